"""How many crimes, when, where and of what kind: the calibrated rate model.

National volumes follow the public PLaIT figures (police-data.md §5): about 100 crimes in
2016, 280 in 2020, 520 in 2023, about 380 in Q1 2024 alone, 550-650 a year after; a Brexit
spike in early 2019 (December 2018 → January 2019: 34 → 128) and surges in the three
general-election campaigns. A month's national mean is a run rate (interpolated between
yearly anchors) times mild seasonality times the month's event multiplier; campaign days
are multiplied again. Each force gets the share its victims' weights give it
(`Population.force_share`), and the offence-and-channel mix drifts from email towards
social media over the decade.

Counts are Poisson at every level because each crime independently picks its day, victim
and force (Poisson thinning), so `expected` is the exact mean of every series the
exceedance models will see; the planted exceedances are measured against it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from functools import cache

from etl.periods import add_months
from etl.synth.dates import months_between
from etl.synth.elections import surge_on
from etl.synth.incident import CrimeBook, Incident
from etl.synth.population import Population, Segment, segment_of
from etl.synth.sampling import cumulative, pick, poisson

RUN_RATE: dict[int, float] = {
    2016: 7.0, 2017: 12.0, 2018: 29.0, 2019: 30.0, 2020: 22.0, 2021: 29.0, 2022: 36.0,
    2023: 40.0, 2024: 44.0, 2025: 47.0, 2026: 49.0,
}
SEASONALITY = (1.05, 1.0, 1.05, 0.95, 1.0, 1.0, 1.0, 0.85, 0.95, 1.05, 1.05, 1.05)
# Months when national events drove reports up (police-data.md §5 and the news record).
EVENTS: dict[str, float] = {
    "2016-06": 1.6, "2016-07": 1.4,  # referendum; murder of Jo Cox
    "2019-01": 4.2, "2019-02": 2.0, "2019-03": 2.3, "2019-04": 1.3,  # meaningful votes
    "2019-09": 1.4, "2019-10": 1.3,  # prorogation
    "2021-10": 1.5, "2021-11": 1.2,  # murder of Sir David Amess
    "2024-01": 2.8, "2024-02": 3.0, "2024-03": 2.9, "2024-04": 1.6, "2024-05": 1.4,  # Gaza
}

OFFENCE_MIX: dict[str, float] = {
    "malicious_communications": 0.83, "harassment": 0.058, "stalking": 0.016,
    "threats_to_kill": 0.028, "criminal_damage": 0.025, "public_order": 0.015,
    "communications_act": 0.012, "hoax": 0.005, "assault": 0.004,
    "burglary_or_trespass": 0.003, "other": 0.004,
}
CHANNEL_GIVEN_OFFENCE: dict[str, dict[str, float]] = {
    "communications_act": {"phone": 0.4, "email": 0.3, "social_media": 0.2, "online_other": 0.1},
    "harassment": {"email": 0.3, "social_media": 0.25, "phone": 0.15, "in_person": 0.15,
                   "letter": 0.1, "unknown": 0.05},
    "stalking": {"in_person": 0.35, "social_media": 0.25, "email": 0.15, "phone": 0.1,
                 "letter": 0.1, "unknown": 0.05},
    "threats_to_kill": {"email": 0.35, "social_media": 0.3, "letter": 0.15, "phone": 0.15,
                        "in_person": 0.05},
    "public_order": {"in_person": 0.85, "unknown": 0.15},
    "criminal_damage": {"in_person": 0.8, "unknown": 0.2},
    "assault": {"in_person": 1.0},
    "hoax": {"letter": 0.5, "phone": 0.3, "email": 0.2},
    "burglary_or_trespass": {"in_person": 0.7, "unknown": 0.3},
    "other": {"in_person": 0.4, "email": 0.2, "online_other": 0.2, "unknown": 0.2},
}
# A force that records Home Office codes cannot record an offence that has none: s127 goes
# down as malicious communications (8R), a bomb hoax under public order (66).
CODE_FORCE_FOLD: dict[str, str] = {
    "communications_act": "malicious_communications",
    "hoax": "public_order",
}

Mix = tuple[tuple[tuple[str, str], ...], tuple[float, ...]]


def recorded_group(group: str, uses_codes: bool) -> str:
    return CODE_FORCE_FOLD.get(group, group) if uses_codes else group


def run_rate(year: int, month: int) -> float:
    """Linear between mid-year anchors, flat beyond the first and last."""
    t = year + (month - 0.5) / 12
    years = sorted(RUN_RATE)
    if t <= years[0] + 0.5:
        return RUN_RATE[years[0]]
    if t >= years[-1] + 0.5:
        return RUN_RATE[years[-1]]
    low = int(t - 0.5)
    frac = t - 0.5 - low
    return RUN_RATE[low] * (1 - frac) + RUN_RATE[low + 1] * frac


def month_rate(year: int, month: int) -> float:
    key = f"{year:04d}-{month:02d}"
    return run_rate(year, month) * SEASONALITY[month - 1] * EVENTS.get(key, 1.0)


@cache
def offence_channel_mix(year: int, month: int, uses_codes: bool) -> Mix:
    """P(offence group, channel) for one month; social media gains on email each year."""
    frac = min(max((year + (month - 1) / 12 - 2016) / 10.75, 0.0), 1.0)
    malicious = {"email": 0.50 - 0.16 * frac, "social_media": 0.26 + 0.16 * frac,
                 "letter": 0.12, "phone": 0.04, "online_other": 0.06, "unknown": 0.02}
    table: dict[tuple[str, str], float] = defaultdict(float)
    for group, p_group in OFFENCE_MIX.items():
        channels = malicious if group == "malicious_communications" else (
            CHANNEL_GIVEN_OFFENCE[group])
        for channel, p_channel in channels.items():
            table[(recorded_group(group, uses_codes), channel)] += p_group * p_channel
    keys = tuple(table)
    return keys, tuple(cumulative([table[k] for k in keys]))


class RateModel:
    """Expected counts by force, month, offence group and channel, and the draws behind them."""

    def __init__(self, population: Population, first: dt.date, last: dt.date, scale: float,
                 code_forces: frozenset[str]) -> None:
        self.population = population
        self.first, self.last, self.scale = first, last, scale
        self.code_forces = code_forces
        self.months = months_between(first, last)
        self.days: list[dt.date] = []
        self.daily: list[float] = []
        self.month_days: list[list[int]] = [[] for _ in self.months]
        self.segments: list[Segment] = []
        day = first
        while day <= last:
            m = (day.year - first.year) * 12 + day.month - first.month
            month_first = day.replace(day=1)
            length = (add_months(month_first, 1) - month_first).days
            self.month_days[m].append(len(self.days))
            self.days.append(day)
            self.daily.append(month_rate(day.year, day.month) / length * surge_on(day))
            self.segments.append(segment_of(day))
            day += dt.timedelta(days=1)
        self.force_expected: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(
            self.months))
        for m, indices in enumerate(self.month_days):
            for i in indices:
                for force, share in population.force_share(self.segments[i]).items():
                    self.force_expected[force][m] += self.daily[i] * share * scale

    def month_index(self, day: dt.date) -> int:
        return (day.year - self.first.year) * 12 + day.month - self.first.month

    def segment_on(self, day: dt.date) -> Segment:
        return self.segments[(day - self.first).days]

    def month_first_day(self, m: int) -> dt.date:
        return add_months(self.first.replace(day=1), m)

    def mix(self, force_id: str, m: int) -> Mix:
        """The offence-and-channel mix a force records in month m (code forces fold two groups)."""
        first = self.month_first_day(m)
        return offence_channel_mix(first.year, first.month, force_id in self.code_forces)

    def share_of(self, force_id: str, m: int, group: str, channel: str) -> float:
        """The part of a force's crimes in month m that falls in one (group, channel) series."""
        keys, cum = self.mix(force_id, m)
        total, previous = 0.0, 0.0
        for (g, c), upto in zip(keys, cum, strict=True):
            if (group in ("all", g)) and (channel in ("all", c)):
                total += upto - previous
            previous = upto
        return total / cum[-1]

    def expected(self, forces: list[str], group: str, channel: str, m: int) -> float:
        """The model's mean count for a series (forces, offence group, channel) in month m."""
        return sum(self.force_expected[f][m] * self.share_of(f, m, group, channel)
                   for f in forces if f in self.force_expected)

    def draw_day(self, rng: random.Random, m: int) -> dt.date:
        """A day in month m, weighted by the daily rate (campaign days are likelier)."""
        indices = self.month_days[m]
        cum = cumulative([self.daily[i] for i in indices])
        return self.days[pick(rng, indices, cum)]

    def draw_any_day(self, rng: random.Random) -> dt.date:
        """A day anywhere in the span, busier days likelier (planted series start here)."""
        if not hasattr(self, "_all_cum"):
            self._all_cum = cumulative(self.daily)
        return self.days[pick(rng, range(len(self.days)), self._all_cum)]

    def national_expected(self, day: dt.date) -> float:
        """The model's national mean count for the month containing `day`."""
        return sum(self.daily[i] for i in self.month_days[self.month_index(day)]) * self.scale

    def draw_offence(self, rng: random.Random, force_id: str, m: int) -> tuple[str, str]:
        keys, cum = self.mix(force_id, m)
        return pick(rng, keys, cum)


def background(model: RateModel, rng: random.Random, book: CrimeBook) -> None:
    """Ordinary crimes: Poisson many per month, each with its day, victim, force and offence."""
    population = model.population
    for m, indices in enumerate(model.month_days):
        weights = [model.daily[i] for i in indices]
        cum = cumulative(weights)
        for _ in range(poisson(rng, model.scale * cum[-1])):
            i = pick(rng, indices, cum)
            member, venue, force = population.draw(rng, model.segments[i])
            group, channel = model.draw_offence(rng, force, m)
            book.add(Incident(model.days[i], force, member, venue, group, channel))


def surge_months(threshold: float = 1.2) -> list[str]:
    """Months the generator raised everywhere (national events, election campaigns).

    They are real excesses that no planted episode explains, so detection scoring leaves
    them out (`analytics.detection_scoring`).
    """
    from etl.synth.elections import ELECTIONS

    months = {m for m, factor in EVENTS.items() if factor >= threshold}
    for e in ELECTIONS:
        day = e.dissolution
        while day <= e.polling:
            months.add(f"{day:%Y-%m}")
            day += dt.timedelta(days=1)
    return sorted(months)
