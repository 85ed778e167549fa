"""Who sends what, when, to whom: style b's offenders and the cases they make.

Every incident has a sender. Most senders write once (`lone`); a third of those leave a
key of their own (an address, account, number or name), so keys alone say nothing about
series. Repeat senders (`offender`) have heavy-tailed sizes, one of three rhythms (fixated
over months, sprees over days, episodes around events), one of five ways of choosing
victims (one person of any role and their circle, one MP's household, a party, a region,
anyone), a mix of channels and offences that escalates to harassment, and reveal keys in
only 20-50 % of their incidents, with accounts rotated after suspensions. Bursts
(`burst`) are single senders posting 25-90 times in at most three weeks, one slogan each,
across forces and roles. Slogan groups are 10-16 unrelated senders (`slogan_user`) who
each quote the same slogan. Key pairs (`key_pair`) are two incidents months apart that
share exactly one key and nothing else. Mass events are hundreds of unrelated senders
(`mass_sender`) on one day, one trigger, no series at all.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from dataclasses import dataclass, field

from etl.synth.population import Membership
from etl.synth.sampling import weighted
from etl.synth.style_b.identities import RELAYS, Registry
from etl.synth.style_b.phrases import ABUSE, FORMS, Phrase, Phrasebook, demands_on
from etl.synth.style_b.summaries import topic
from etl.synth.style_b.victims import ROLES, Victims, investigating_force

OFFENCE_MIX: dict[str, float] = {
    "malicious_communications": 0.815, "harassment": 0.06, "stalking": 0.015,
    "threats_to_kill": 0.03, "criminal_damage": 0.027, "public_order": 0.02,
    "communications_act": 0.01, "hoax": 0.006, "assault": 0.005,
    "burglary_or_trespass": 0.004, "other": 0.008,
}
CHANNEL_BY_OFFENCE: dict[str, dict[str, float]] = {
    "malicious_communications": {"email": 0.42, "social_media": 0.38, "letter": 0.08,
                                 "phone": 0.05, "online_other": 0.05, "unknown": 0.02},
    "communications_act": {"phone": 0.45, "email": 0.25, "social_media": 0.2,
                           "online_other": 0.1},
    "harassment": {"email": 0.3, "social_media": 0.25, "phone": 0.15, "in_person": 0.15,
                   "letter": 0.1, "unknown": 0.05},
    "stalking": {"in_person": 0.5, "social_media": 0.2, "email": 0.1, "phone": 0.1,
                 "letter": 0.1},
    "threats_to_kill": {"email": 0.35, "social_media": 0.3, "letter": 0.15, "phone": 0.15,
                        "in_person": 0.05},
    "public_order": {"in_person": 0.9, "unknown": 0.1},
    "criminal_damage": {"in_person": 0.85, "unknown": 0.15},
    "assault": {"in_person": 1.0},
    "hoax": {"letter": 0.6, "phone": 0.3, "email": 0.1},
    "burglary_or_trespass": {"in_person": 1.0},
    "other": {"online_other": 0.5, "social_media": 0.3, "unknown": 0.2},
}
REMOTE_OFFENCES = {"malicious_communications": 0.84, "harassment": 0.07,
                   "threats_to_kill": 0.045, "communications_act": 0.025, "stalking": 0.01,
                   "other": 0.01}
IN_PERSON_OFFENCES = {"public_order": 0.45, "criminal_damage": 0.3, "stalking": 0.1,
                      "assault": 0.1, "burglary_or_trespass": 0.05}
SENDER_CHANNELS = {"email": 0.35, "social_media": 0.35, "letter": 0.1, "phone": 0.08,
                   "in_person": 0.07, "online_other": 0.05}
HATE = {"race": 0.35, "religion": 0.3, "sex": 0.2, "sexual_orientation": 0.07,
        "transgender": 0.05, "disability": 0.03}
TARGETING = {"fixated": 0.3, "household": 0.1, "party": 0.15, "region": 0.2,
             "scattergun": 0.25}
FIXATED_ROLES = {"mp": 0.35, "mp_staff": 0.15, "councillor": 0.15, "candidate": 0.12,
                 "family": 0.12, "other": 0.11}
TIMING = {"fixated": 0.5, "spree": 0.25, "episodic": 0.25}
LONE_REVEAL = 0.35
SERIES_SHARE = 0.2
SIZE_EXPONENT = 2.1
MAX_SIZE = 150
FLASHPOINTS = (
    dt.date(2016, 6, 24), dt.date(2017, 12, 14), dt.date(2019, 1, 16), dt.date(2019, 3, 29),
    dt.date(2019, 9, 4), dt.date(2020, 10, 22), dt.date(2022, 7, 7), dt.date(2023, 11, 16),
    dt.date(2024, 2, 22), dt.date(2024, 9, 11), dt.date(2024, 11, 29), dt.date(2025, 1, 9),
    dt.date(2025, 6, 20), dt.date(2025, 7, 3), dt.date(2026, 3, 12),
)
MASS_SENDERS = (200, 350)
RELAYED = (55, 70)


@dataclass(eq=False)
class Sender:
    """Someone who sends: their keys, their phrase, how they choose channels and victims."""

    offender_id: str
    kind: str
    series_id: str = ""
    campaign_id: str = ""
    name: str | None = None
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    handles: list[str] = field(default_factory=list)
    phrase: Phrase | None = None
    phrase_kind: str = ""
    phrase_share: float = 0.0
    forms: dict[str, float] = field(default_factory=dict)
    channels: dict[str, float] = field(default_factory=dict)
    platform: str | None = None
    hate_strand: str | None = None
    topic: str | None = None
    pet_abuse: str | None = None
    targeting: str = "scattergun"
    anchor_role: str = ""
    timing: str = ""
    cases: list[Case] = field(default_factory=list)

    def identifiers(self) -> list[tuple[str, str]]:
        return ([("email", e) for e in self.emails] + [("phone", p) for p in self.phones]
                + [("handle", h) for h in self.handles]
                + ([("suspect_name", self.name)] if self.name else []))


@dataclass(eq=False)
class Case:
    """One incident as planned: its sender, where it happened, what it reveals."""

    sender: Sender
    day: dt.date
    member: Membership
    venue: str
    channel: str
    offence_group: str
    index: int = 0
    revealed: bool = False
    keys: list[tuple[str, str]] = field(default_factory=list)
    form: str = ""
    campaign_id: str = ""

    @property
    def force_id(self) -> str:
        return investigating_force(self.member, self.venue)


@dataclass
class World:
    """What the plants draw on; one stream each, so adding a plant moves nothing else."""

    victims: Victims
    registry: Registry
    phrases: Phrasebook
    first: dt.date
    last: dt.date
    phone_share: float
    senders: list[Sender] = field(default_factory=list)
    _series: int = 0
    _campaigns: Counter[str] = field(default_factory=Counter)

    def sender(self, kind: str, series_id: str = "", campaign_id: str = "") -> Sender:
        s = Sender(f"O{len(self.senders) + 1:07d}", kind, series_id, campaign_id)
        self.senders.append(s)
        return s

    def series_id(self) -> str:
        self._series += 1
        return f"B{self._series:06d}"

    def campaign(self, prefix: str) -> str:
        self._campaigns[prefix] += 1
        return f"{prefix}{self._campaigns[prefix]:04d}"

    @property
    def days(self) -> int:
        return (self.last - self.first).days

    def clamp(self, day: dt.date) -> dt.date:
        return min(max(day, self.first), self.last)


# -- helpers ------------------------------------------------------------------------------
def _offence_for(rng: random.Random, channel: str, index: int = 0) -> str:
    if channel == "in_person":
        return weighted(rng, IN_PERSON_OFFENCES)
    table = dict(REMOTE_OFFENCES)
    if index >= 2:
        table["harassment"] += 0.25
    if channel == "letter":
        table["hoax"] = 0.02
    if channel == "phone":
        table["communications_act"] += 0.05
    return weighted(rng, table)


def channel_for(rng: random.Random, offence: str, day: dt.date) -> str:
    drift = (day.year - 2016) + day.month / 12
    table = {c: w * (0.6 + 0.08 * drift if c == "social_media" else
                     max(0.3, 1.3 - 0.07 * drift) if c == "letter" else 1.0)
             for c, w in CHANNEL_BY_OFFENCE[offence].items()}
    return weighted(rng, table)


def _forms(rng: random.Random, social: bool) -> dict[str, float]:
    """A sender's own mix of how their phrase ends up in summaries (never one form only)."""
    weights = {f: rng.random() + 0.1 for f in FORMS}
    if not social:
        weights["hashtag"] = 0.02
    return weights


def _reveal_count(rng: random.Random, n: int) -> int:
    low, high = max(1, math.ceil(0.2 * n)), max(1, math.floor(0.5 * n))
    return rng.randint(low, max(low, high))


def size(rng: random.Random) -> int:
    """Heavy-tailed series size on 2..MAX_SIZE, P(n) ∝ n^-SIZE_EXPONENT (inverse CDF)."""
    u = rng.random()
    a = 1.0 - SIZE_EXPONENT
    lo, hi = 2.0 ** a, (MAX_SIZE + 1.0) ** a
    return min(MAX_SIZE, int((lo + u * (hi - lo)) ** (1.0 / a)))


def mean_size() -> float:
    weights = [n ** -SIZE_EXPONENT for n in range(2, MAX_SIZE + 1)]
    return sum(n * w for n, w in zip(range(2, MAX_SIZE + 1), weights, strict=True)) / sum(
        weights)


def _give_keys(world: World, rng: random.Random, sender: Sender, channels: list[str],
               name_share: float) -> None:
    reg = world.registry
    if rng.random() < name_share:
        sender.name = reg.name()
    if any(c in ("email", "online_other", "letter") for c in channels):
        sender.emails.append(reg.email(sender.name))
    if any(c in ("social_media", "online_other") for c in channels):
        sender.handles.append(reg.handle())
    if "phone" in channels and rng.random() < world.phone_share:
        phone = reg.phone()
        if phone:
            sender.phones.append(phone)
    if not sender.identifiers():
        sender.name = reg.name()


def _pick_keys(rng: random.Random, sender: Sender, channel: str,
               index: int, n: int) -> list[tuple[str, str]]:
    """What one revealed incident shows: the key its channel gives, maybe one more."""
    handle = sender.handles[min(len(sender.handles) - 1, index * len(sender.handles) // n)] \
        if sender.handles else None
    preferred: list[tuple[str, str]] = []
    if channel in ("email", "online_other", "letter") and sender.emails:
        preferred.append(("email", rng.choice(sender.emails)))
    if channel in ("social_media", "online_other") and handle:
        preferred.append(("handle", handle))
    if channel == "phone" and sender.phones:
        preferred.append(("phone", sender.phones[0]))
    if channel in ("letter", "in_person") and sender.name:
        preferred.append(("suspect_name", sender.name))
    every = [k for k in sender.identifiers() if k[0] != "handle"] + (
        [("handle", handle)] if handle else [])
    chosen = [rng.choice(preferred)] if preferred else [rng.choice(every)]
    others = [k for k in every if k not in chosen]
    if others and rng.random() < 0.25:
        chosen.append(rng.choice(others))
    return chosen


def _victim(world: World, rng: random.Random, sender: Sender, day: dt.date,
            anchor: Membership | None, anchor_venue: str,
            choice: dict[str, str]) -> tuple[Membership, str]:
    v = world.victims
    t = sender.targeting
    if t == "fixated" and anchor is not None:
        if rng.random() < 0.8:
            return anchor, anchor_venue
        mp = v.mp(anchor.constituency, day) if anchor.constituency.force_id in v.mapped \
            else None
        circle = [mp, *v.entourage(mp)] if mp else []
        circle = [m for m in circle if m.person is not anchor.person]
        return (rng.choice(circle), "local") if circle else (anchor, anchor_venue)
    if t == "household" and anchor is not None:
        mp = v.mp(anchor.constituency, day)
        member = rng.choice([mp, mp, *v.entourage(mp)])
        return member, "local"
    if t == "party":
        role = weighted(rng, {"mp": 0.6, "candidate": 0.2, "councillor": 0.2})
        return v.draw(rng, day, role=role, party=choice["party"])
    if t == "region":
        return v.draw(rng, day, region=choice["region"])
    return v.draw(rng, day)


def _days_for(rng: random.Random, world: World, timing: str, n: int) -> list[dt.date]:
    """Incident days for a series of n: gaps by rhythm, the whole run inside the span."""
    if timing == "spree":
        gaps = [rng.expovariate(1 / rng.uniform(0.5, 4.0)) for _ in range(n - 1)]
    elif timing == "episodic":
        episodes = rng.randint(2, max(2, min(5, n // 2)))
        breaks = set(rng.sample(range(1, n), k=min(n - 1, episodes - 1)))
        gaps = [rng.uniform(45, 300) if i in breaks else rng.expovariate(1 / 2.0)
                for i in range(1, n)]
    else:
        mean = rng.uniform(10, 90)
        gaps = [rng.expovariate(1 / mean) for _ in range(n - 1)]
    total = sum(gaps)
    if total > world.days * 0.9:
        gaps = [g * world.days * 0.9 / total for g in gaps]
        total = sum(gaps)
    start = world.first + dt.timedelta(days=rng.randint(0, max(0, int(world.days - total))))
    days, t = [start], 0.0
    for g in gaps:
        t += g
        days.append(world.clamp(start + dt.timedelta(days=int(t))))
    return days


def _assign(world: World, rng: random.Random, sender: Sender, days: list[dt.date],
            reveal: int | None, fixed_channel: str | None = None) -> None:
    """Make the sender's cases: victims, channels, offences, which reveal keys, phrases."""
    n = len(days)
    first_member, first_venue = world.victims.draw(
        rng, days[0], role=sender.anchor_role or weighted(rng, FIXATED_ROLES)) \
        if sender.targeting == "fixated" else world.victims.draw(rng, days[0])
    choice = {"party": first_member.person.party, "region": first_member.constituency.region}
    revealed = set(rng.sample(range(n), k=reveal)) if reveal is not None else {
        i for i in range(n) if rng.random() < LONE_REVEAL}
    for i, day in enumerate(days):
        if i == 0 and sender.targeting in ("fixated", "household", "scattergun"):
            member, venue = first_member, first_venue
        else:
            member, venue = _victim(world, rng, sender, day, first_member, first_venue, choice)
        channel = fixed_channel or weighted(rng, sender.channels)
        venue = world.victims.reachable(member, venue)
        offence = _offence_for(rng, channel, i)
        case = Case(sender, day, member, venue, channel, offence, index=i,
                    campaign_id=sender.campaign_id)
        if i in revealed:
            case.revealed = True
            case.keys = _pick_keys(rng, sender, channel, i, n)
        if sender.phrase is not None and rng.random() < sender.phrase_share:
            case.form = weighted(rng, sender.forms)
        sender.cases.append(case)


def _channel_mix(rng: random.Random) -> dict[str, float]:
    primary = weighted(rng, SENDER_CHANNELS)
    mix = {primary: 1.0}
    if rng.random() < 0.5:
        other = weighted(rng, {c: w for c, w in SENDER_CHANNELS.items() if c != primary})
        mix[other] = rng.uniform(0.1, 0.5)
    return mix


# -- plants -------------------------------------------------------------------------------
def repeat_offenders(world: World, rng: random.Random, incidents: float) -> None:
    """Repeat senders until their incidents reach `incidents` (a share of the volume); the
    first six fix on one person of each role in turn, so every role is a series victim."""
    made = 0
    while made < incidents:
        n = size(rng)
        sender = world.sender("offender", series_id=world.series_id())
        sender.targeting = weighted(rng, TARGETING)
        first = sum(s.kind == "offender" for s in world.senders)
        if first <= len(ROLES):
            sender.targeting, sender.anchor_role = "fixated", ROLES[first - 1]
        sender.timing = weighted(rng, TIMING)
        sender.channels = _channel_mix(rng)
        _give_keys(world, rng, sender, list(sender.channels), name_share=0.3)
        if sender.handles and n >= 6 and rng.random() < 0.35:
            for _ in range(rng.randint(1, 3)):
                sender.handles.append(world.registry.rotated(sender.handles[0]))
        days = _days_for(rng, world, sender.timing, n)
        kind = weighted(rng, {"signature": 0.65, "slogan": 0.15, "": 0.2})
        if kind:
            sender.phrase = world.phrases.signature() if kind == "signature" \
                else world.phrases.slogan(days[0])
            sender.phrase_kind = kind
            sender.phrase_share = rng.uniform(0.3, 0.9)
            sender.forms = _forms(rng, "social_media" in sender.channels)
        if rng.random() < 0.15:
            sender.hate_strand = weighted(rng, HATE)
        if rng.random() < 0.6:
            sender.topic = topic(rng, days[0])
        if rng.random() < 0.4:
            sender.pet_abuse = rng.choice(ABUSE)
        _assign(world, rng, sender, days, _reveal_count(rng, n))
        made += n


def bursts(world: World, rng: random.Random, count: int) -> None:
    """Single senders posting 25-90 times within at most 21 days, one slogan each; the
    first is always 66-84 incidents in 10-21 days, 80 % of them quoting it word for word."""
    for b in range(count):
        n = rng.randint(66, 84) if b == 0 else rng.randint(25, 90)
        window = rng.randint(10, 21) if b == 0 else rng.randint(5, 21)
        window = min(window, max(1, world.days))
        sender = world.sender("burst", series_id=world.series_id())
        sender.channels = {"social_media": 0.8, "email": 0.2}
        sender.targeting = "scattergun"
        sender.timing = f"burst:{window}d"
        sender.platform = weighted(rng, {"X": 0.6, "Facebook": 0.15, "TikTok": 0.15,
                                         "Instagram": 0.1})
        _give_keys(world, rng, sender, ["social_media", "email"], name_share=0.05)
        if not sender.handles:
            sender.handles.append(world.registry.handle())
        for _ in range(n // rng.randint(8, 15)):
            sender.handles.append(world.registry.rotated(sender.handles[0]))
        start = _burst_start(world, rng, window)
        sender.phrase = world.phrases.slogan(start)
        sender.phrase_kind = "slogan"
        sender.phrase_share = rng.uniform(0.85, 1.0)
        sender.forms = {"hashtag": 0.25, "double": 0.15, "unquoted": 0.2, "caps": 0.15,
                        "paraphrase": 0.15, "single": 0.05, "fragment": 0.05}
        days = sorted(world.clamp(start + dt.timedelta(
            days=min(window - 1, int(window * rng.betavariate(1, 2))))) for _ in range(n))
        _assign(world, rng, sender, days, _reveal_count(rng, n))
        if b == 0:
            _verbatim(rng, sender, math.ceil(0.8 * n))


def _verbatim(rng: random.Random, sender: Sender, count: int) -> None:
    """The first burst quotes its slogan word for word in `count` incidents (more than 50,
    the count at which the default style calls a phrase stock), the rest in other forms."""
    order = rng.sample(range(len(sender.cases)), k=len(sender.cases))
    for i, n in enumerate(order):
        sender.cases[n].form = (rng.choice(("double", "single", "unquoted", "caps")) if i < count
                                else rng.choice(("hashtag", "paraphrase", "fragment", "")))


def _burst_start(world: World, rng: random.Random, window: int) -> dt.date:
    latest = world.last - dt.timedelta(days=window)
    near = [d for d in FLASHPOINTS if world.first <= d <= latest]
    if near and rng.random() < 0.6:
        return rng.choice(near)
    return world.first + dt.timedelta(days=rng.randint(0, max(0, (latest - world.first).days)))


def slogan_groups(world: World, rng: random.Random, count: int) -> None:
    """Each group: one slogan quoted by 10-16 senders who have nothing else in common."""
    for _ in range(count):
        campaign = world.campaign("SLG")
        length = min(world.days, rng.randint(60, 240))
        start = world.first + dt.timedelta(days=rng.randint(0, max(0, world.days - length)))
        slogan = world.phrases.slogan(start)
        for _ in range(rng.randint(10, 16)):
            n = weighted(rng, {1: 0.6, 2: 0.25, 3: 0.1, 4: 0.05})
            sender = world.sender("slogan_user", campaign_id=campaign,
                                  series_id=world.series_id() if n > 1 else "")
            sender.channels = _channel_mix(rng)
            sender.targeting = weighted(rng, {"scattergun": 0.5, "region": 0.3, "party": 0.2})
            _give_keys(world, rng, sender, list(sender.channels), name_share=0.15)
            sender.phrase, sender.phrase_kind = slogan, "shared_slogan"
            sender.phrase_share = rng.uniform(0.8, 1.0)
            sender.forms = _forms(rng, "social_media" in sender.channels)
            own = start + dt.timedelta(days=rng.randint(0, length))
            days = sorted(world.clamp(own + dt.timedelta(days=rng.randint(0, 40)))
                          for _ in range(n))
            _assign(world, rng, sender, days, _reveal_count(rng, n) if n > 1 else None)


def key_pairs(world: World, rng: random.Random, count: int) -> None:
    """Two incidents months apart sharing exactly one key: nothing else in common."""
    for _ in range(count):
        kind = weighted(rng, {"email": 0.45, "handle": 0.35,
                              "phone": 0.2 * world.phone_share})
        sender = world.sender("key_pair", series_id=world.series_id())
        sender.targeting = "scattergun"
        reg = world.registry
        value = reg.phone() if kind == "phone" else None
        if kind == "phone" and value:
            sender.phones.append(value)
            channels = ["phone"]
        elif kind == "handle":
            sender.handles.append(reg.handle())
            channels = ["social_media", "online_other"]
        else:
            sender.emails.append(reg.email())
            channels = ["email", "online_other", "letter"]
        gap = rng.randint(30, min(400, max(31, world.days)))
        first = world.first + dt.timedelta(days=rng.randint(0, max(0, world.days - gap)))
        days = [first, world.clamp(first + dt.timedelta(days=gap))]
        for i, day in enumerate(days):
            member, venue = world.victims.draw(rng, day)
            while i and member.person is sender.cases[0].member.person:
                member, venue = world.victims.draw(rng, day)
            channel = rng.choice(channels)
            case = Case(sender, day, member, venue, channel, _offence_for(rng, channel), index=i,
                        revealed=True, keys=list(sender.identifiers()))
            sender.cases.append(case)


def mass_events(world: World, rng: random.Random, count: int) -> None:
    """Hundreds of unrelated senders on one day about one trigger: links nobody.

    55-70 of each event's email senders write through one relay (the events take the relays
    in turn), so a relay that appears at all is used by more than 50 incidents: stock by
    any count, as a shared relay is."""
    days = [d for d in FLASHPOINTS if world.first <= d <= world.last]
    rng.shuffle(days)
    for e in range(count):
        day = days[e] if e < len(days) else world.first + dt.timedelta(
            days=rng.randint(0, world.days))
        campaign = world.campaign("MASS")
        slogan = world.phrases.slogan(day)
        forms = {"double": 0.2, "unquoted": 0.25, "paraphrase": 0.25, "caps": 0.1,
                 "hashtag": 0.1, "fragment": 0.1}
        size = rng.randint(*MASS_SENDERS)
        channels = [weighted(rng, {"email": 0.8, "social_media": 0.2}) for _ in range(size)]
        emails = [i for i, c in enumerate(channels) if c == "email"]
        relayed = set(rng.sample(emails, k=min(len(emails), rng.randint(*RELAYED))))
        relay = RELAYS[e % len(RELAYS)]
        for i, channel in enumerate(channels):
            sender = world.sender("mass_sender", campaign_id=campaign)
            sender.channels = {channel: 1.0}
            sender.phrase, sender.phrase_kind = slogan, "mass_slogan"
            sender.phrase_share, sender.forms = 0.9, forms
            role = weighted(rng, {"mp": 0.72, "mp_staff": 0.18, "candidate": 0.04,
                                  "councillor": 0.03, "family": 0.01, "other": 0.02})
            member, venue = world.victims.draw(rng, day, role=role)
            case = Case(sender, day, member, venue, channel, "malicious_communications",
                        campaign_id=campaign)
            if i in relayed:
                case.revealed, case.keys = True, [("email", relay)]
            elif rng.random() < 0.45:
                _give_keys(world, rng, sender, [channel], name_share=0.05)
                case.revealed, case.keys = True, _pick_keys(rng, sender, channel, 0, 1)
            if rng.random() < sender.phrase_share:
                case.form = weighted(rng, forms)
            sender.cases.append(case)


def background(world: World, rng: random.Random, day: dt.date) -> Case:
    """A lone sender's one incident; a third leave a key of their own, a few a relay's."""
    offence = weighted(rng, OFFENCE_MIX)
    channel = channel_for(rng, offence, day)
    sender = world.sender("lone")
    sender.channels = {channel: 1.0}
    member, venue = world.victims.draw(rng, day)
    case = Case(sender, day, member, venue, channel, offence)
    if rng.random() < LONE_REVEAL:
        if channel == "email" and rng.random() < 0.03:
            case.keys = [("email", RELAYS[0])]
        else:
            _give_keys(world, rng, sender, [channel], name_share=0.12 if channel in (
                "letter", "in_person") else 0.05)
            case.keys = _pick_keys(rng, sender, channel, 0, 1)
        case.revealed = True
    if rng.random() < 0.07:
        sender.hate_strand = weighted(rng, HATE)
    if rng.random() < 0.08:
        demand = rng.choice(demands_on(day))
        sender.phrase = Phrase((demand,), (rng.randrange(len(demand)),), ())
        sender.phrase_kind = "common"
        case.form = rng.choice(("double", "single", "unquoted", "caps", "paraphrase"))
    sender.cases.append(case)
    return case


def abuse_for(rng: random.Random, case: Case) -> str | None:
    """A stock line of abuse: anyone may use it, so alone it links nobody (a repeat sender
    may have a favourite, which is weak evidence: hundreds share each line)."""
    pet = case.sender.pet_abuse
    if pet and rng.random() < 0.5:
        return pet
    share = 0.4 if case.sender.kind == "lone" else 0.25
    return rng.choice(ABUSE) if rng.random() < share else None
