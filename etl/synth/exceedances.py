"""Planted exceedances: short episodes where a series runs well above the model's mean.

Each episode is a unit (national, a police region or a force) and a series within it (an
offence group and/or a channel) that, for one to three months, receives extra crimes on
top of the Poisson background: 2 to 3.5 times the expected count, and never fewer than
3·√expected + 2 extra, so that a Farrington-type test (Noufaily et al. 2013) at α = 0.05
flags it even where the mean is small. Episodes are placed after the first five years of
the span, so detection models have history, and away from campaign and event months, so
the truth is not confounded with spikes the background already has. Episodes whose units
overlap never overlap in time, so each extra crime belongs to exactly one episode.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from etl.periods import month_end
from etl.synth.elections import ELECTIONS
from etl.synth.geography import force_regions
from etl.synth.incident import CrimeBook, Incident
from etl.synth.sampling import cumulative, pick, weighted
from etl.synth.volumes import EVENTS, RateModel

HISTORY_MONTHS = 60
MIN_BASELINE = 0.5
LEVELS: dict[str, float] = {"national": 0.25, "region": 0.30, "force": 0.45}
SERIES: dict[str, tuple[tuple[str, str], ...]] = {
    "national": (("threats_to_kill", "all"), ("harassment", "all"), ("all", "letter"),
                 ("all", "phone"), ("criminal_damage", "all"), ("all", "online_other"),
                 ("malicious_communications", "letter"), ("all", "in_person")),
    "region": (("all", "all"), ("malicious_communications", "all"), ("all", "email"),
               ("all", "social_media"), ("harassment", "all"), ("all", "letter")),
    "force": (("all", "all"), ("malicious_communications", "all"), ("all", "social_media"),
              ("all", "email"), ("all", "letter")),
}
DURATION: dict[int, float] = {1: 0.4, 2: 0.35, 3: 0.25}


@dataclass
class Episode:
    """One planted exceedance and, month by month, what the model expected and what was added."""

    exceedance_id: str
    level: str
    unit: str
    offence_group: str
    channel: str
    months: list[int]
    forces: list[str]
    baseline: list[float]
    extra: list[int]


def extra_for(baseline: float, multiplier: float) -> int:
    return max(math.ceil((multiplier - 1.0) * baseline), math.ceil(3 * math.sqrt(baseline)) + 2)


def quiet_months(model: RateModel) -> list[bool]:
    """Months with no event multiplier and no campaign day: a clean baseline to plant on."""
    quiet = []
    for m, key in enumerate(model.months):
        first = model.month_first_day(m)
        last = month_end(first)
        campaign = any(e.dissolution <= last and first <= e.polling for e in ELECTIONS)
        quiet.append(key not in EVENTS and not campaign)
    return quiet


def plan(model: RateModel, rng: random.Random) -> list[Episode]:
    """Choose ~20 episodes on feasible series: mean at least 0.5 a month, so an excess can show."""
    n_months = len(model.months)
    history = min(HISTORY_MONTHS, n_months // 2)
    quiet = quiet_months(model)
    allowed = [m >= history and quiet[m] for m in range(n_months)]
    available = sum(allowed)
    if available < 3:
        return []
    target = rng.randint(16, 24) if available >= 48 else max(1, round(20 * available / 60))
    regions_of = force_regions()
    forces = sorted(f for f in model.force_expected if f != "btp")
    regions = sorted({regions_of[f] for f in forces})
    size = {f: sum(model.force_expected[f]) for f in forces}
    force_cum = cumulative([math.sqrt(size[f]) for f in forces])
    episodes: list[Episode] = []
    for _ in range(4000):
        if len(episodes) >= target:
            break
        level = weighted(rng, LEVELS)
        if level == "national":
            unit, members = "national", sorted(model.force_expected)
        elif level == "region":
            unit = rng.choice(regions)
            members = [f for f in forces if regions_of[f] == unit]
        else:
            unit = pick(rng, forces, force_cum)
            members = [unit]
        group, channel = rng.choice(SERIES[level])
        length = weighted(rng, DURATION)
        start = rng.randrange(n_months)
        months = list(range(start, start + length))
        if months[-1] >= n_months or not all(allowed[m] for m in months):
            continue
        baseline = [model.expected(members, group, channel, m) for m in months]
        if min(baseline) < MIN_BASELINE:
            continue
        if any(set(months) & set(e.months) and set(members) & set(e.forces) for e in episodes):
            continue
        multiplier = rng.uniform(2.0, 3.5)
        episodes.append(Episode("", level, unit, group, channel, months, members, baseline,
                                [extra_for(b, multiplier) for b in baseline]))
    episodes.sort(key=lambda e: (e.months[0], e.level, e.unit))
    for n, e in enumerate(episodes, start=1):
        e.exceedance_id = f"EXC-{n:02d}"
    return episodes


def plant(model: RateModel, rng: random.Random, book: CrimeBook, episodes: list[Episode]) -> None:
    """Add each episode's extra crimes, spread over its forces as the series' own mix is."""
    population = model.population
    for e in episodes:
        for m, extra in zip(e.months, e.extra, strict=True):
            weights = [model.force_expected[f][m] * model.share_of(f, m, e.offence_group,
                                                                     e.channel)
                       for f in e.forces]
            cum = cumulative(weights)
            for _ in range(extra):
                force = pick(rng, e.forces, cum)
                keys, kcum = model.mix(force, m)
                kept = [(k, c - p) for k, c, p in zip(keys, kcum, (0.0, *kcum[:-1]), strict=True)
                        if e.offence_group in ("all", k[0]) and e.channel in ("all", k[1])]
                group, channel = pick(rng, [k for k, _ in kept],
                                      cumulative([w for _, w in kept]))
                day = model.draw_day(rng, m)
                member, venue = population.draw_in_force(rng, model.segment_on(day), force)
                book.add(Incident(day, force, member, venue, group, channel,
                                  origin="exceedance", exceedance_id=e.exceedance_id))
