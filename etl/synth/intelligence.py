"""What the quarterly release's intelligence statistics must find, planted in one quarter.

The release compares each quarter with the four before it: repeat victimisation, the
channel and platform mix (chi-square with adjusted residuals), emerging terms in the
summaries (log-odds with an informative Dirichlet prior, Monroe, Colaresi & Quinn 2008) and
time to outcome (Kaplan–Meier, open cases censored at the as-of date). A statistic can only
be shown to work if the data hold something for it to find, so the last complete calendar
quarter of the span (the *plant quarter*) gets four plants:

- a repeat victim: one MP becomes the victim of a cluster of ordinary crimes of their own
  force (`REPEAT_AT_SCALE_1` at scale 1, at most half the force's crimes of the quarter),
  which take the place of other ordinary crimes as series do;
- a platform shift: every platform chosen in the quarter (a one-off sender's, or a series
  or campaign sender's first) is drawn from `SHIFTED_PLATFORMS` (TikTok up, X down), one
  draw as before; an offender who started earlier keeps their platform, so the shift shows
  most clearly among one-off senders;
- an emerging term: `TERM_SHARE` of email, social-media and other online crimes get
  `TERM_SENTENCE`, whose word no template uses, from a stream of its own;
- an outcome delay: one offence group reported in the 12 months to the quarter's end takes
  `DELAY_FACTOR` times as long to an outcome, so many are still open at the span's end.

Every plant keeps the draws of every step before transfers where they were, so a seed's
series (which the linkage tests measure) stay exactly as they were; transfers and dirt,
which meet the repeat victim's crimes and the crimes they replaced, are drawn afresh.

With fewer than `MIN_QUARTERS` complete quarters there is no "previous four" to compare
with, and nothing is planted. `truth/intelligence.json` (`truth`) says what was planted.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from etl.periods import add_months, month_end
from etl.synth.crimes import MEDIAN_DAYS_TO_OUTCOME, PLATFORMS, Span, fill
from etl.synth.house_style import WELSH_FORCES
from etl.synth.incident import CrimeBook, Incident
from etl.synth.names import Identities
from etl.synth.population import Membership, segment_of
from etl.synth.volumes import RateModel

MIN_QUARTERS = 5
REPEAT_AT_SCALE_1 = 12
SHIFT_CHANNEL = "social_media"
SHIFT_PLATFORM = "TikTok"
# PLATFORMS["social_media"] in the same order, 0.27 moved from X to TikTok.
SHIFTED_PLATFORMS = {"X": 0.18, "Facebook": 0.24, "Instagram": 0.1, "TikTok": 0.35,
                     "YouTube": 0.05, "WhatsApp": 0.03, "Telegram": 0.02, "Reddit": 0.02,
                     "Other": 0.01}
TERM = "deepfake"
TERM_SENTENCE = " The message included a deepfake video of the victim."
TERM_CHANNELS = frozenset({"email", "social_media", "online_other"})
TERM_SHARE = 0.3
DELAY_GROUP = "harassment"
DELAY_FACTOR = 3
DELAY_MONTHS = 12
REPEAT_ORIGIN = "repeat_victim"


@dataclass(frozen=True)
class Plan:
    """The plant quarter and the delay window: what `crimes.fill` and `settle` consult."""

    quarter: str
    start: dt.date
    end: dt.date
    delay_from: dt.date

    def in_quarter(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def platforms(self, channel: str, day: dt.date) -> dict[str, float]:
        """The platform weights a crime draws from: shifted in the quarter, else as ever."""
        if channel == SHIFT_CHANNEL and self.in_quarter(day):
            return SHIFTED_PLATFORMS
        return PLATFORMS[channel]

    def delay_factor(self, incident: Incident) -> float:
        """How many times longer this crime takes to an outcome (1 outside the window)."""
        if incident.offence_group == DELAY_GROUP and self.delay_from <= incident.day <= self.end:
            return DELAY_FACTOR
        return 1.0


@dataclass(frozen=True)
class RepeatVictim:
    member: Membership
    force_id: str
    incidents: tuple[Incident, ...]


def quarter_label(start: dt.date) -> str:
    return f"{start.year}Q{(start.month - 1) // 3 + 1}"


def plan_for(span: Span) -> Plan | None:
    """The last complete calendar quarter of the span, if at least five are complete."""
    first = span.first.replace(day=1)
    start = add_months(first, (-(first.month - 1)) % 3)
    if start < span.first:
        start = add_months(start, 3)
    complete: list[dt.date] = []
    while month_end(add_months(start, 2)) <= span.last:
        complete.append(start)
        start = add_months(start, 3)
    if len(complete) < MIN_QUARTERS:
        return None
    last = complete[-1]
    return Plan(quarter_label(last), last, month_end(add_months(last, 2)),
                add_months(last, 3 - DELAY_MONTHS))


def plant_repeat_victim(plan: Plan, model: RateModel, book: CrimeBook, rng: random.Random,
                        ids: Identities, span: Span) -> RepeatVictim | None:
    """One MP becomes the victim of a cluster of crimes of their own force in the quarter.

    The force is the one with most ordinary crimes left in the quarter, the MP one of its
    own MPs already a victim there. The cluster's crimes are ordinary crimes of that force
    (offence and channel from its mix, days from the model, details filled in as any
    other's), each taking the place of an ordinary crime as planted series do
    (`CrimeBook.absorb`), so national and regional counts stay as the model expects. It
    comes after the series and campaigns, on a stream of its own, so they are exactly as
    without it: reassigning the victims of ordinary crimes instead would have to come
    before the series replace them, and either lose most of the cluster to them (in seed 7
    the series replace all but six of the Met's ordinary crimes of 2026Q3) or change what
    they draw.
    """
    live = [i for i in book.live() if plan.in_quarter(i.day)]
    plain = Counter(i.force_id for i in live if i.is_plain and i.venue != "train")
    if not plain:
        return None
    force = min(plain, key=lambda f: (-plain[f], f))
    mps: dict[str, Membership] = {}
    for i in live:
        if (i.force_id == force and i.victim.role == "mp"
                and i.victim.constituency.force_id == force and not segment_of(i.day)[1]):
            mps.setdefault(i.victim.person.person_id, i.victim)
    in_force = sum(i.force_id == force for i in live)
    count = min(max(2, round(REPEAT_AT_SCALE_1 * model.scale)), in_force // 2)
    if not mps or count < 2:
        return None
    member = mps[rng.choice(sorted(mps))]
    first = model.month_index(plan.start)
    months = [m for m in range(first, first + 3)
              if not any(segment_of(d)[1] for d in (model.days[i] for i in model.month_days[m]))]
    planted: list[Incident] = []
    for _ in range(count if months else 0):
        m = rng.choice(months)
        group, channel = model.draw_offence(rng, force, m)
        incident = Incident(model.draw_day(rng, m), force, member, "local", group, channel,
                            origin=REPEAT_ORIGIN)
        fill(incident, rng, ids, span, welsh=force in WELSH_FORCES, plan=plan)
        book.absorb(rng, incident)
        book.add(incident)
        planted.append(incident)
    return RepeatVictim(member, force, tuple(planted)) if planted else None


def plant_term(plan: Plan, incidents: Iterable[Incident], rng: random.Random) -> None:
    """Add the new word to some online crimes' summaries (after all text, before transfers
    copy it), one draw per eligible crime from a stream no other step uses."""
    for incident in incidents:
        if (not incident.removed and incident.channel in TERM_CHANNELS
                and plan.in_quarter(incident.day) and rng.random() < TERM_SHARE):
            incident.summary += TERM_SENTENCE


def _platform_share(crimes: list[Incident]) -> dict[str, object]:
    """The platform's share of social-media crimes, of all and of one-off senders' (a series
    keeps the platform its offender chose, perhaps before the shift)."""
    out: dict[str, object] = {}
    for name, keep in (("all", lambda i: True), ("one_off", lambda i: not i.series_id)):
        social = [i for i in crimes if i.channel == SHIFT_CHANNEL and i.platform and keep(i)]
        hits = sum(i.platform == SHIFT_PLATFORM for i in social)
        out[name] = {"incidents": len(social), "platform_count": hits,
                     "share": round(hits / len(social), 4) if social else None}
    return out


def truth(plan: Plan | None, repeat: RepeatVictim | None, live: list[Incident],
          span: Span) -> dict[str, object]:
    """The `truth/intelligence.json` object; counts are crimes (a transfer's first record is
    not counted again), as the release counts them."""
    if plan is None:
        return {"quarter": None, "quarter_start": None, "repeat_victim": None,
                "platform_shift": None, "emerging_term": None, "outcome_delay": None}
    crimes = [i for i in live if i.transfer_role != "origin"]
    in_quarter = [i for i in crimes if plan.in_quarter(i.day)]
    before = [i for i in crimes if add_months(plan.start, -12) <= i.day < plan.start]
    repeat_victim = None if repeat is None else {
        "person_id": repeat.member.person.person_id,
        "force_id": repeat.force_id,
        "victim_role": repeat.member.role,
        "planted_count": sum(not i.removed for i in repeat.incidents),
        "quarter_count": sum(i.victim.person is repeat.member.person for i in in_quarter),
    }
    window = [i for i in crimes
              if i.offence_group == DELAY_GROUP and plan.delay_from <= i.day <= plan.end]
    return {
        "quarter": plan.quarter,
        "quarter_start": plan.start.isoformat(),
        "quarter_end": plan.end.isoformat(),
        "repeat_victim": repeat_victim,
        "platform_shift": {
            "channel": SHIFT_CHANNEL, "platform": SHIFT_PLATFORM,
            "weights_before": PLATFORMS[SHIFT_CHANNEL],
            "weights_in_quarter": SHIFTED_PLATFORMS,
            "in_quarter": _platform_share(in_quarter),
            "previous_four_quarters": _platform_share(before),
        },
        "emerging_term": {
            "term": TERM,
            "planted_count": sum(TERM in i.summary for i in in_quarter),
            "sentence": TERM_SENTENCE.strip(),
            "channels": sorted(TERM_CHANNELS),
            "share": TERM_SHARE,
        },
        "outcome_delay": {
            "offence_group": DELAY_GROUP,
            "from": plan.delay_from.isoformat(),
            "to": plan.end.isoformat(),
            "median_days": round(MEDIAN_DAYS_TO_OUTCOME * DELAY_FACTOR),
            "factor": DELAY_FACTOR,
            "as_of": span.last.isoformat(),
            "incident_count": len(window),
            "open_count_at_end": sum(i.outcome == "under_investigation" for i in window),
        },
    }
