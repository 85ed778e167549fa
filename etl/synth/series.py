"""Planted cross-border series (one offender, many forces) and shared-template campaigns.

Follows the generator of series-linkage.md §4. Offenders have heavy-tailed sizes (many of
2-5 crimes, a few of 30+), a habitual channel and platform, a set of identifiers of which
each crime shows only some, handles that rotate to evade bans (`user123` → `user123_uk`),
a signature phrase that drifts (typos, swapped words), a target-selection rule (one party,
one region, or the most prominent MPs) and bursty timing. Because victims live in many
constituencies, a series spans forces by construction.

Campaigns are the hard negatives: many senders, each with their own identifiers, send one
template within days. They share `campaign_id` but each sender is a series of their own.

Planted crimes take the place of an ordinary crime in the same force and month where there
is one (`CrimeBook.absorb`), so the counts the exceedance baseline expects stay as they are.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import defaultdict
from dataclasses import dataclass, field

from etl.synth.crimes import PLATFORMS, Span, fill, settle
from etl.synth.incident import CrimeBook, Incident
from etl.synth.intelligence import Plan
from etl.synth.names import Identities, written_phone
from etl.synth.population import Membership, Population, Segment, is_local, segment_of
from etl.synth.sampling import weighted
from etl.synth.summaries import compose, url_for
from etl.synth.volumes import RateModel, recorded_group

OFFENDERS_AT_SCALE_1 = (24, 36)
CAMPAIGNS_AT_SCALE_1 = 3
DEFAULT_SPAN_MONTHS = 129
HABITS = {"social_media": 0.45, "email": 0.35, "phone": 0.1, "letter": 0.07,
          "online_other": 0.03}
OFFENDER_OFFENCES = {"malicious_communications": 0.74, "harassment": 0.14,
                     "threats_to_kill": 0.07, "communications_act": 0.05}
SIG_SUBJECTS = (
    "the reckoning", "your betrayal", "the silent majority", "the people of this town",
    "every traitor in Westminster", "your party", "the truth", "our patience",
    "the ballot box", "history", "the real Britain", "the working man", "common sense",
    "the day of judgement", "justice",
)
SIG_PREDICATES = (
    "is coming for you", "will not be forgotten", "has had enough", "is watching you",
    "will have its say", "will catch up with you", "will not stay silent",
    "is running out", "knows what you did", "will sweep you away", "remembers everything",
)
SIG_ENDINGS = ("", " - a patriot", " #NoSurrender", " Yours, The Watcher", " Tick tock.",
               " You have been warned.", " - N.O.T.A.", " Wake up.")
SIG_CODAS = (
    "Remember", "Never forget", "Mark my words about", "Think hard about", "So much for",
    "Do not test", "Enjoy", "Count the days of", "Fear", "Answer to", "Pray for",
    "Say goodbye to", "Look over your shoulder for", "Dream of", "Ask yourself about",
)
CROWDED = 40
SWAPS = {"betrayal": "treachery", "traitor": "turncoat", "watching": "watchin",
         "forgotten": "forgiven", "enough": "enuf", "people": "public", "will": "shall",
         "you": "u", "your": "ur", "coming": "comin", "truth": "TRUTH", "justice": "JUSTICE"}
CAMPAIGNS = (
    ("Stop the Betrayal", "You have betrayed the 17.4 million and we will remember it at the "
     "ballot box."),
    ("Not In Our Name", "History will judge every MP who voted for this, and so will we."),
    ("Hands Off Our Pensions", "Keep your hands off our pensions or face the consequences."),
    ("Ceasefire Now", "Your silence makes you complicit and your constituents will not "
     "forgive it."),
    ("Scrap the Net Zero Scam", "Stop lying to us about net zero or lose your seat."),
    ("Defend Free Speech", "You want to silence ordinary people and we will not be "
     "silenced."),
    ("Save Our Green Belt", "Vote against this or we will make sure everyone knows who sold "
     "us out."),
    ("End the Lockdown Lies", "You locked us up for nothing and you will answer for it."),
)


@dataclass
class Offender:
    """One sender: who they are online, how they write, whom they pick."""

    series_id: str
    kind: str
    channel: str
    platform: str | None
    signature: str
    targeting: str
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    handles: list[str] = field(default_factory=list)
    name: str | None = None
    campaign_id: str = ""
    incidents: list[Incident] = field(default_factory=list)


def mutate(text: str, rng: random.Random) -> str:
    """One small drift: a typo, a swapped word, shouting, or punctuation."""
    words = text.split(" ")
    op = rng.choice(("typo", "swap", "case", "punct"))
    long = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if op == "typo" and long:
        i = rng.choice(long)
        w = words[i]
        j = rng.randrange(1, len(w) - 2)
        words[i] = rng.choice((w[:j] + w[j + 1] + w[j] + w[j + 2:], w[:j] + w[j + 1:],
                               w[:j] + w[j] + w[j:]))
    elif op == "swap":
        options = [i for i, w in enumerate(words) if w.lower() in SWAPS]
        if options:
            i = rng.choice(options)
            words[i] = SWAPS[words[i].lower()]
    elif op == "case" and long:
        i = rng.choice(long)
        words[i] = words[i].upper()
    else:
        return text.rstrip(".!") + rng.choice(("!!", "!!!", "...", ""))
    return " ".join(words)


def sizes(rng: random.Random, n: int) -> list[int]:
    """Heavy-tailed: Pareto(α=1.3) from 2, capped at 70, with a few prolific offenders."""
    out = [min(70, int(2 * (1 - rng.random()) ** (-1 / 1.3))) for _ in range(n)]
    for k in range(round(n * 0.08)):
        out[k] = rng.randint(30, 60)
    rng.shuffle(out)
    return out


class Targets:
    """The MPs each target-selection rule picks from, per segment (rules few, days many)."""

    def __init__(self, population: Population) -> None:
        self.population = population
        self._cache: dict[tuple[Segment, str], list[Membership]] = {}

    def on(self, targeting: str, day: dt.date) -> list[Membership]:
        segment = segment_of(day)
        key = (segment, targeting)
        if key not in self._cache:
            mps = [m for m in self.population.sitting_mps(segment) if is_local(m.constituency)]
            if targeting.startswith("party:"):
                chosen = [m for m in mps if m.person.party == targeting[6:]]
            elif targeting.startswith("region:"):
                chosen = [m for m in mps if m.constituency.region == targeting[7:]]
            else:
                chosen = sorted(mps, key=lambda m: -m.weight)[:40]
            self._cache[key] = chosen or mps
        return self._cache[key]


def _targeting(population: Population, rng: random.Random, day: dt.date) -> str:
    """An offender's rule for choosing victims: one party, one region, or the most prominent."""
    mps = [m for m in population.sitting_mps(segment_of(day)) if is_local(m.constituency)]
    kind = weighted(rng, {"party": 0.45, "region": 0.3, "high_profile": 0.25})
    if kind == "party":
        counts: dict[str, int] = defaultdict(int)
        for m in mps:
            counts[m.person.party] += 1
        return "party:" + rng.choice(sorted(p for p, c in counts.items() if c >= 20))
    if kind == "region":
        return "region:" + rng.choice(sorted({m.constituency.region for m in mps}))
    return "high_profile"


def _timeline(rng: random.Random, size: int, span: Span, model: RateModel) -> list[dt.date]:
    """Bursts: a few centres over up to 18 months, crimes a few days apart within each.

    Series start where crime is commoner (busier years), as prolific offenders are part of
    the rise in reports rather than apart from it.
    """
    start = model.draw_any_day(rng)
    bursts = 1 + (size >= 6) + (size >= 15) + (size >= 30)
    reach = max(1, min(540, (span.last - start).days))
    centres = sorted(start + dt.timedelta(days=rng.randint(0, reach)) for _ in range(bursts))
    days: list[dt.date] = []
    per = [size // bursts + (i < size % bursts) for i in range(bursts)]
    for centre, count in zip(centres, per, strict=True):
        day = centre
        for _ in range(count):
            if day <= span.last:
                days.append(day)
            day += dt.timedelta(days=round(rng.expovariate(1 / 2.5)))
    return sorted(days)


def _victims(rng: random.Random, targets: Targets, targeting: str,
             days: list[dt.date]) -> list[Membership]:
    """One victim per crime; some are targeted again, and a series always spans two forces."""
    chosen: list[Membership] = []
    for day in days:
        pool = targets.on(targeting, day)
        sitting = {(m.person.person_id, m.constituency.code) for m in pool}
        repeat = [m for m in chosen if (m.person.person_id, m.constituency.code) in sitting]
        if repeat and rng.random() < 0.2:
            chosen.append(rng.choice(repeat))
        else:
            chosen.append(rng.choices(pool, weights=[m.weight for m in pool])[0])
    forces = {m.constituency.force_id for m in chosen}
    if len(chosen) >= 2 and len(forces) < 2:
        pool = [m for m in targets.on(targeting, days[-1])
                if m.constituency.force_id not in forces]
        pool = pool or [m for m in targets.population.sitting_mps(segment_of(days[-1]))
                        if is_local(m.constituency) and m.constituency.force_id not in forces]
        chosen[-1] = rng.choice(pool)
    return chosen


def _reveal(offender: Offender, incident: Incident, rng: random.Random,
            handle_index: int) -> list[tuple[str, str]]:
    """Which identifiers this crime shows: the habitual one usually, others now and then."""
    out: list[tuple[str, str]] = []
    channel = incident.channel
    current = offender.handles[handle_index] if offender.handles else None
    chance = {"email": (0.85, 0.1, 0.05), "social_media": (0.08, 0.9, 0.02),
              "phone": (0.02, 0.02, 0.75), "letter": (0.1, 0.03, 0.0),
              "online_other": (0.5, 0.4, 0.0)}.get(channel, (0.05, 0.05, 0.05))
    if offender.emails and rng.random() < chance[0]:
        email = rng.choice(offender.emails) if rng.random() < 0.2 else offender.emails[0]
        out.append(("email", email if rng.random() < 0.9 else email.capitalize()))
    if current and rng.random() < chance[1]:
        out.append(("handle", current))
        if handle_index and rng.random() < 0.15:
            out.append(("handle", offender.handles[handle_index - 1]))
    if offender.phones and rng.random() < chance[2]:
        out.append(("phone", written_phone(rng, rng.choice(offender.phones))))
    return out


def _make_offender(rng: random.Random, ids: Identities, series_id: str, targeting: str,
                   used_signatures: set[str], first_day: dt.date,
                   plan: Plan | None = None) -> Offender:
    """An offender's habits and identity; identifiers are reserved so no one else uses them.

    The platform is chosen on the first crime's day, so one starting in the plant quarter
    follows that quarter's platform shift (the same single draw either way).
    """
    channel = weighted(rng, HABITS)
    platform = None
    if channel in PLATFORMS:
        table = plan.platforms(channel, first_day) if plan else PLATFORMS[channel]
        platform = weighted(rng, table)
    for attempt in itertools.count():
        signature = (rng.choice(SIG_SUBJECTS) + " " + rng.choice(SIG_PREDICATES)).capitalize()
        signature += rng.choice(SIG_ENDINGS)
        if attempt >= CROWDED:
            # Past a few thousand offenders (large --scale) the plain phrases run out; a
            # second clause gives each offender a phrase of their own again.
            signature += " " + rng.choice(SIG_CODAS) + " " + rng.choice(SIG_SUBJECTS) + "."
        if signature not in used_signatures:
            used_signatures.add(signature)
            break
    name = ids.person_name("male" if rng.random() < 0.8 else "female") if (
        rng.random() < 0.4) else None
    offender = Offender(series_id, "offender", channel, platform, signature, targeting,
                        name=name)
    offender.emails = [ids.email(name) for _ in range(rng.choice((1, 1, 2, 3)))]
    if channel in ("social_media", "online_other") or rng.random() < 0.3:
        offender.handles = ids.handle_variants(ids.handle(), rng.choice((1, 2, 3, 4)))
    if channel == "phone" or rng.random() < 0.2:
        offender.phones = [p for p in (ids.phone() for _ in range(rng.choice((1, 1, 2)))) if p]
    return offender


def _how_many(at_scale_1: float, model: RateModel) -> int:
    """Counts quoted for scale 1 over the default span (2016-01..2026-09, 129 months) shrink
    with the span and the scale, so a short or small data set is not all planted series."""
    wanted = at_scale_1 * model.scale * len(model.months) / DEFAULT_SPAN_MONTHS
    expected = sum(sum(v) for v in model.force_expected.values())
    return max(1, round(wanted)) if expected >= 50 else round(wanted)


def _plant(incident: Incident, rng: random.Random, book: CrimeBook) -> None:
    """A planted crime replaces an ordinary one where it can, then joins the book."""
    book.absorb(rng, incident)
    book.add(incident)


def offenders(model: RateModel, rng: random.Random, ids: Identities, book: CrimeBook,
              span: Span, welsh_forces: frozenset[str],
              plan: Plan | None = None) -> list[Offender]:
    """Plant the offenders' series; each has at least two crimes in two forces."""
    population, code_forces = model.population, model.code_forces
    targets = Targets(population)
    count = _how_many(rng.uniform(*OFFENDERS_AT_SCALE_1), model)
    out: list[Offender] = []
    used: set[str] = set()
    for n, size in enumerate(sizes(rng, count), start=1):
        days = _timeline(rng, max(2, size), span, model)
        if len(days) < 2:
            continue
        offender = _make_offender(rng, ids, f"SER-{n:04d}",
                                  _targeting(population, rng, days[0]), used, days[0], plan)
        handle_index = 0
        phrase = offender.signature
        for day, member in zip(days, _victims(rng, targets, offender.targeting, days),
                               strict=True):
            channel = offender.channel if rng.random() < 0.88 else rng.choice(
                [c for c in HABITS if c != offender.channel])
            venue = "estate" if rng.random() < 0.1 else "local"
            force = "metropolitan" if venue == "estate" else member.constituency.force_id
            group = recorded_group(weighted(rng, OFFENDER_OFFENCES), force in code_forces)
            incident = Incident(day, force, member, venue, group, channel, origin="series",
                                series_id=offender.series_id)
            fill(incident, rng, ids, span, suspect=False, plan=plan)
            if channel == offender.channel and offender.platform:
                incident.platform = offender.platform
            if offender.handles and rng.random() < 0.2:
                handle_index = min(handle_index + 1, len(offender.handles) - 1)
            incident.identifiers = _reveal(offender, incident, rng, handle_index)
            incident.suspect_name = offender.name if offender.name and rng.random() < 0.35 \
                else None
            settle(incident, rng, span, plan)
            if rng.random() < 0.5:
                phrase = mutate(phrase if rng.random() < 0.5 else offender.signature, rng)
            mentions = []
            if incident.identifiers and rng.random() < 0.3:
                mentions.append(rng.choice(incident.identifiers))
            if offender.handles and channel == "social_media" and rng.random() < 0.15:
                mentions.append(("url", url_for(incident.platform,
                                                offender.handles[handle_index], rng)))
            closing = rng.choice((f' Message included the phrase "{phrase}".',
                                  f' Signed off "{phrase}".', f' Text ends: "{phrase}"'))
            compose(incident, rng, extra=closing, mentions=mentions,
                    welsh=force in welsh_forces)
            offender.incidents.append(incident)
            _plant(incident, rng, book)
        out.append(offender)
    return out


def campaigns(model: RateModel, rng: random.Random, ids: Identities, book: CrimeBook,
              span: Span, first_series: int, plan: Plan | None = None) -> list[Offender]:
    """Shared-template mass mailings: each sender their own series, one campaign id.

    A campaign is sized to at most 40 % of its month's expected crimes, so that the ordinary
    crimes it replaces keep the month's count where the model expects it.
    """
    population = model.population
    targets = Targets(population)
    count = _how_many(CAMPAIGNS_AT_SCALE_1, model)
    senders: list[Offender] = []
    n = first_series
    for c in range(1, count + 1):
        title, sentence = CAMPAIGNS[(c - 1) % len(CAMPAIGNS)]
        campaign_id = f"CAMP-{c:03d}"
        channel = weighted(rng, {"email": 0.7, "letter": 0.2, "social_media": 0.1})
        start = min(model.draw_any_day(rng), span.last - dt.timedelta(days=10))
        start = max(start, span.first)
        targeting = _targeting(population, rng, start)
        room = int(0.4 * model.national_expected(start) / 1.4)
        for _ in range(max(2, min(rng.randint(8, 24), room))):
            n += 1
            name = ids.person_name("male" if rng.random() < 0.6 else "female") if (
                rng.random() < 0.5) else None
            platform = None
            if channel == "social_media":
                table = plan.platforms(channel, start) if plan else PLATFORMS[channel]
                platform = weighted(rng, table)
            sender = Offender(f"SER-{n:04d}", "campaign", channel, platform, sentence,
                              targeting, name=name, campaign_id=campaign_id)
            if channel == "email":
                sender.emails = [ids.email(name)]
            elif channel == "social_media":
                sender.handles = [ids.handle()]
            k = weighted(rng, {1: 0.7, 2: 0.2, 3: 0.1})
            days = sorted(min(span.last, start + dt.timedelta(days=rng.randint(0, 10)))
                          for _ in range(k))
            taken: set[str] = set()
            for day in days:
                pool = [m for m in targets.on(targeting, day)
                        if m.person.person_id not in taken]
                member = rng.choice(pool)
                taken.add(member.person.person_id)
                force = member.constituency.force_id
                incident = Incident(day, force, member, "local", "malicious_communications",
                                    channel, origin="campaign", series_id=sender.series_id,
                                    campaign_id=campaign_id)
                fill(incident, rng, ids, span, suspect=False, plan=plan)
                incident.platform = platform or incident.platform
                ids_shown = [("email", e) for e in sender.emails] + [
                    ("handle", h) for h in sender.handles]
                incident.identifiers = ids_shown if rng.random() < 0.9 else []
                incident.suspect_name = name if name and channel == "letter" else None
                mentions = [("suspect_name", name)] if name and channel == "letter" else []
                settle(incident, rng, span, plan)
                compose(incident, rng, mentions=mentions,
                        extra=f" Text matches the '{title}' template: \"{sentence}\"")
                sender.incidents.append(incident)
                _plant(incident, rng, book)
            if sender.incidents:
                senders.append(sender)
    return senders
