"""Style b's victims: every role, any time, each person with their own pull.

Who is abused is not only MPs: PLaIT counts staff, family, councillors and candidates, and
the Speaker's Conference heard from all of them. Every seat has, per parliament, an MP with
three staff and two family members; per council term four councillors; per election cycle
three prospective candidates (abused all year, far more in the campaign weeks); and two
others (office volunteers, an agent). A person's pull is Pareto for MPs (a few take most of
the abuse) and lognormal for the rest; staff and family inherit part of their MP's.
Scottish seats have no mapped force, so their people are reached only on the Westminster
estate (the Met) or on the railway (BTP). Names are unique, because ingest keys victims by
name.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
from collections import defaultdict
from dataclasses import dataclass

from etl.synth.elections import BOUNDARY_CHANGE
from etl.synth.geography import Constituency, constituencies
from etl.synth.population import Membership, Person
from etl.synth.sampling import weighted
from etl.synth.style_b.identities import Registry

ROLES = ("mp", "mp_staff", "family", "councillor", "candidate", "other")
ROLE_WEIGHT: dict[str, float] = {
    "mp": 0.50, "mp_staff": 0.17, "family": 0.06, "councillor": 0.12, "candidate": 0.07,
    "other": 0.08,
}
CAMPAIGN_CANDIDATE_WEIGHT = 0.45
# Parliaments by the date their members took their seats; campaigns dissolution..polling.
PARLIAMENTS = (dt.date(2015, 5, 7), dt.date(2017, 6, 8), dt.date(2019, 12, 12),
               dt.date(2024, 7, 4))
CAMPAIGNS = ((dt.date(2017, 5, 3), dt.date(2017, 6, 8)), (dt.date(2019, 11, 6),
             dt.date(2019, 12, 12)), (dt.date(2024, 5, 30), dt.date(2024, 7, 4)))
RETAINED = {PARLIAMENTS[1]: 0.85, PARLIAMENTS[2]: 0.78, PARLIAMENTS[3]: 0.5}
COUNCIL_TERMS = (dt.date(2015, 5, 7), dt.date(2019, 5, 2), dt.date(2023, 5, 4))
VENUES: dict[str, dict[str, float]] = {
    "mp": {"local": 0.85, "estate": 0.13, "train": 0.02},
    "mp_staff": {"local": 0.8, "estate": 0.2},
}
PARTY_TABLE: dict[str, dict[str, float]] = {
    "England": {"Lab": 0.4, "Con": 0.4, "LD": 0.1, "Green": 0.04, "Reform": 0.04, "Ind": 0.02},
    "Wales": {"Lab": 0.6, "Con": 0.15, "PC": 0.2, "LD": 0.05},
    "Scotland": {"SNP": 0.6, "Lab": 0.2, "Con": 0.1, "LD": 0.1},
    "Northern Ireland": {"DUP": 0.4, "SF": 0.35, "SDLP": 0.1, "Alliance": 0.1, "UUP": 0.05},
}


def epoch(day: dt.date, starts: tuple[dt.date, ...]) -> dt.date:
    current = starts[0]
    for s in starts:
        if s <= day:
            current = s
    return current


def in_campaign(day: dt.date) -> bool:
    return any(a <= day <= b for a, b in CAMPAIGNS)


def cycle(day: dt.date) -> int:
    """The general election a prospective candidate is standing in."""
    for _, polling in CAMPAIGNS:
        if day <= polling:
            return polling.year
    return 2029


def seats_on(day: dt.date) -> tuple[Constituency, ...]:
    return constituencies(2010 if day < BOUNDARY_CHANGE else 2024)


@dataclass(frozen=True)
class Pool:
    members: tuple[Membership, ...]
    cum: tuple[float, ...]

    def draw(self, rng: random.Random) -> Membership:
        x = rng.random() * self.cum[-1]
        return self.members[min(bisect.bisect_right(self.cum, x), len(self.members) - 1)]


class Victims:
    """Everyone who can be a victim, built lazily per seat and period in a fixed order."""

    def __init__(self, rng: random.Random, registry: Registry, mapped: frozenset[str]) -> None:
        self._rng = rng
        self._registry = registry
        self._mapped = mapped
        self._next = 0
        self._mps: dict[tuple[dt.date, str], Membership] = {}
        self._entourage: dict[str, list[Membership]] = {}
        self._people: dict[tuple[str, object, str], list[Membership]] = {}
        self._pools: dict[tuple[object, ...], Pool] = {}

    @property
    def mapped(self) -> frozenset[str]:
        return self._mapped

    def reachable(self, member: Membership, venue: str) -> str:
        """A local crime in an area no mapped force polices is reported at Westminster."""
        if venue == "local" and member.constituency.force_id not in self._mapped:
            return "estate"
        return venue

    # -- people ----------------------------------------------------------------------------
    def _person(self, pull: float, party: str, female: float = 0.45) -> Person:
        gender = "female" if self._rng.random() < female else "male"
        self._next += 1
        if gender == "female":
            pull *= 1.6
        return Person(f"V{self._next:06d}", self._registry.name(gender), gender, party, pull,
                      pull > 8)

    def _party(self, seat: Constituency) -> str:
        return weighted(self._rng, PARTY_TABLE.get(seat.nation, PARTY_TABLE["England"]))

    def mp(self, seat: Constituency, day: dt.date) -> Membership:
        term = epoch(day, PARLIAMENTS)
        key = (term, seat.code)
        if key not in self._mps:
            before = [t for t in PARLIAMENTS if t < term]
            kept = None
            if before:
                old_seats = {s.name: s for s in seats_on(before[-1])}
                old = old_seats.get(seat.name)
                if old is not None and self._rng.random() < RETAINED.get(term, 0.8):
                    kept = self.mp(old, before[-1]).person
            person = kept or self._person(self._rng.paretovariate(1.4), self._party(seat),
                                          female=0.38)
            self._mps[key] = Membership(person, "mp", seat, person.intensity)
        return self._mps[key]

    def entourage(self, mp: Membership) -> list[Membership]:
        """Staff and family of an MP at a seat: they take part of the MP's abuse."""
        key = f"{mp.person.person_id}:{mp.constituency.code}"
        if key not in self._entourage:
            rng = self._rng
            people = []
            for role, share, female in (("mp_staff", 0.3, 0.65), ("mp_staff", 0.3, 0.65),
                                        ("mp_staff", 0.3, 0.65), ("family", 0.2, 0.5),
                                        ("family", 0.2, 0.5)):
                person = self._person(mp.weight * share * rng.lognormvariate(0, 0.5),
                                      mp.person.party, female=female)
                people.append(Membership(person, role, mp.constituency, person.intensity,
                                         mp.person))
            self._entourage[key] = people
        return self._entourage[key]

    def locals_of(self, role: str, seat: Constituency, day: dt.date) -> list[Membership]:
        """Councillors (per council term), candidates (per election cycle), others."""
        period: object = (epoch(day, COUNCIL_TERMS) if role == "councillor"
                          else cycle(day) if role == "candidate" else seat.boundary_year)
        key = (role, period, seat.code)
        if key not in self._people:
            rng = self._rng
            count = {"councillor": 4, "candidate": 3, "other": 2}[role]
            self._people[key] = [
                Membership(p, role, seat, p.intensity) for p in (
                    self._person(rng.lognormvariate(0, 0.9 if role != "other" else 0.5),
                                 self._party(seat)) for _ in range(count))
            ]
        return self._people[key]

    def members(self, role: str, seat: Constituency, day: dt.date) -> list[Membership]:
        if role == "mp":
            return [self.mp(seat, day)]
        if role in ("mp_staff", "family"):
            return [m for m in self.entourage(self.mp(seat, day)) if m.role == role]
        return self.locals_of(role, seat, day)

    # -- draws -----------------------------------------------------------------------------
    def role_weights(self, day: dt.date) -> dict[str, float]:
        weights = dict(ROLE_WEIGHT)
        if in_campaign(day):
            weights["candidate"] = CAMPAIGN_CANDIDATE_WEIGHT
        return weights

    def pool(self, role: str, day: dt.date, local: bool, region: str | None = None,
             party: str | None = None) -> Pool:
        """People of one role reachable on `day` (locally: only in mapped forces' areas)."""
        period = (epoch(day, PARLIAMENTS), epoch(day, COUNCIL_TERMS), cycle(day),
                  day >= BOUNDARY_CHANGE)
        key = (role, period, local, region, party)
        if key not in self._pools:
            members = [m for seat in seats_on(day)
                       if (not local or seat.force_id in self._mapped)
                       and (region is None or seat.region == region)
                       for m in self.members(role, seat, day)
                       if party is None or m.person.party == party]
            if not members:
                members = [m for seat in seats_on(day) if seat.force_id in self._mapped
                           for m in self.members(role, seat, day)]
            self._pools[key] = Pool(tuple(members), tuple(itertools.accumulate(
                m.weight for m in members)))
        return self._pools[key]

    def draw(self, rng: random.Random, day: dt.date, role: str | None = None,
             region: str | None = None, party: str | None = None) -> tuple[Membership, str]:
        """A victim and where the offence happened: `local`, `estate` or `train`."""
        role = role or weighted(rng, self.role_weights(day))
        venue = weighted(rng, VENUES.get(role, {"local": 1.0}))
        member = self.pool(role, day, venue == "local", region, party).draw(rng)
        return member, self.reachable(member, venue)

    def regions(self) -> list[str]:
        return sorted({s.region for s in seats_on(dt.date(2020, 1, 1))
                       if s.force_id in self._mapped})


def investigating_force(member: Membership, venue: str) -> str:
    if venue == "estate":
        return "metropolitan"
    if venue == "train":
        return "btp"
    return member.constituency.force_id


def by_force(members: list[Membership]) -> dict[str, list[Membership]]:
    out: dict[str, list[Membership]] = defaultdict(list)
    for m in members:
        out[m.constituency.force_id].append(m)
    return out
