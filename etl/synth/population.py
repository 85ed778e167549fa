"""Invented victims: an MP for every seat in every parliament, their staff and families,
councillors, and candidates during campaigns.

Abuse is heavy-tailed (a few MPs get most of it) and falls more on women (police-data.md
§5: Q1 2024, 166 of 363 victims female while about a third of MPs were), so every victim
carries an intensity: lognormal, raised for women and for the few high-profile members.
Incidents pick victims in proportion to it. Because each victim belongs to one seat and
the seat to one force, the same weights also give each force's expected share of crimes,
which the exceedance baseline needs (`force_share`).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass

from etl.synth.elections import ELECTIONS, campaign_on, parliament_on
from etl.synth.geography import Constituency, constituencies
from etl.synth.names import Identities
from etl.synth.sampling import cumulative, pick, weighted

# Who is targeted, outside and during a campaign (PLaIT figures count staff and family).
ROLE_SHARE: dict[str, float] = {
    "mp": 0.62, "mp_staff": 0.20, "family": 0.03, "councillor": 0.09, "other": 0.06,
}
CAMPAIGN_CANDIDATE_SHARE = 0.30
# Where the crime happens decides who investigates it: the Westminster estate is the Met's,
# the railway BTP's, everything else the victim's local force.
VENUE_SHARE: dict[str, dict[str, float]] = {
    "mp": {"local": 0.87, "estate": 0.115, "train": 0.015},
    "mp_staff": {"local": 0.85, "estate": 0.15},
}
FEMALE_FACTOR = 1.7
HIGH_PROFILE_SHARE = 0.05
HIGH_PROFILE_FACTOR = 4.0

PARTIES: dict[tuple[str, int], dict[str, float]] = {
    ("England", 2015): {"Con": 0.59, "Lab": 0.39, "LD": 0.01, "Green": 0.005, "Ind": 0.005},
    ("England", 2017): {"Con": 0.56, "Lab": 0.42, "LD": 0.015, "Green": 0.005},
    ("England", 2019): {"Con": 0.65, "Lab": 0.33, "LD": 0.014, "Green": 0.003, "Ind": 0.003},
    ("England", 2024): {"Lab": 0.64, "Con": 0.21, "LD": 0.13, "Reform": 0.01, "Green": 0.008,
                        "Ind": 0.012},
    ("Wales", 2015): {"Lab": 0.6, "Con": 0.28, "PC": 0.08, "LD": 0.04},
    ("Wales", 2017): {"Lab": 0.7, "Con": 0.2, "PC": 0.1},
    ("Wales", 2019): {"Lab": 0.55, "Con": 0.35, "PC": 0.1},
    ("Wales", 2024): {"Lab": 0.84, "PC": 0.12, "LD": 0.04},
    ("Scotland", 2015): {"SNP": 0.95, "Lab": 0.017, "Con": 0.017, "LD": 0.016},
    ("Scotland", 2017): {"SNP": 0.59, "Con": 0.22, "Lab": 0.12, "LD": 0.07},
    ("Scotland", 2019): {"SNP": 0.81, "Con": 0.1, "LD": 0.07, "Lab": 0.02},
    ("Scotland", 2024): {"Lab": 0.65, "SNP": 0.16, "LD": 0.11, "Con": 0.08},
}
NI_PARTIES = {"DUP": 0.45, "SF": 0.35, "SDLP": 0.1, "Alliance": 0.05, "Ind": 0.05}

Segment = tuple[int, int]
"""(parliament, campaign): the sitting parliament's election year, and the election being
fought (0 outside campaigns). Victim pools are constant within a segment."""


@dataclass(eq=False, slots=True)
class Person:
    """One invented human; the same person can be a candidate, then an MP, across segments."""

    person_id: str
    name: str
    gender: str
    party: str
    intensity: float
    high_profile: bool = False


@dataclass(eq=False, frozen=True, slots=True)
class Membership:
    """A person in a role at a seat: what an incident's victim fields are written from."""

    person: Person
    role: str
    constituency: Constituency
    weight: float
    mp: Person | None = None


@dataclass(frozen=True)
class Pool:
    members: tuple[Membership, ...]
    cum: tuple[float, ...]

    @property
    def total(self) -> float:
        return self.cum[-1] if self.cum else 0.0


def segment_of(day: dt.date) -> Segment:
    campaign = campaign_on(day)
    return parliament_on(day), campaign.year if campaign else 0


def is_local(seat: Constituency) -> bool:
    """Scottish seats have no force mapping (Police Scotland is optional): rail crime only."""
    return seat.force_id != "police-scotland"


class Population:
    """Everyone who can be a victim, and the weighted pools incidents draw them from."""

    def __init__(self, rng: random.Random, ids: Identities) -> None:
        self._rng = rng
        self._ids = ids
        self._next_id = 0
        self.mps: dict[int, dict[str, Person]] = {}
        self.mp_seats: dict[int, dict[str, Constituency]] = {}
        self.candidates: dict[int, dict[str, list[Person]]] = {}
        self._staff: dict[str, list[Membership]] = {}
        self._locals: dict[tuple[int, str], list[Membership]] = {}
        self._elect()
        self._pools: dict[tuple[Segment, str, str], Pool] = {}
        self._by_force: dict[tuple[Segment, str, str], Pool] = {}
        self._shares: dict[Segment, dict[str, float]] = {}

    # -- building -------------------------------------------------------------------------
    def _person(self, gender: str | None = None, female_share: float = 0.4,
                party: str = "Ind") -> Person:
        rng = self._rng
        gender = gender or ("female" if rng.random() < female_share else "male")
        self._next_id += 1
        high = rng.random() < HIGH_PROFILE_SHARE
        intensity = rng.lognormvariate(0.0, 1.0) * (FEMALE_FACTOR if gender == "female" else 1.0)
        if high:
            intensity *= HIGH_PROFILE_FACTOR
        return Person(f"P{self._next_id:06d}", self._ids.person_name(gender), gender, party,
                      intensity, high)

    def _party(self, seat: Constituency, year: int) -> str:
        """A seat's winner's party, from that nation's result in that election (roughly)."""
        table = NI_PARTIES if seat.nation == "Northern Ireland" else PARTIES[(seat.nation, year)]
        return weighted(self._rng, table)

    def _elect(self) -> None:
        """Run the four general elections: most MPs re-elected, the rest replaced."""
        rng = self._rng
        seats10 = constituencies(2010)
        seats24 = constituencies(2024)
        first = ELECTIONS[0]
        self.mps[first.year] = {
            s.code: self._person(female_share=first.female_share,
                                 party=self._party(s, first.year))
            for s in seats10
        }
        self.mp_seats[first.year] = {s.code: s for s in seats10}
        previous = self.mps[first.year]
        for e in ELECTIONS[1:]:
            candidates = {
                s.code: [self._person(female_share=0.42, party=self._party(s, e.year))
                         for _ in range(3)]
                for s in seats10
            }
            self.candidates[e.year] = candidates
            if e.year < 2024:
                winners = {}
                for s in seats10:
                    if rng.random() < e.reelection_rate:
                        winners[s.code] = previous[s.code]
                    else:
                        winners[s.code] = rng.choice(candidates[s.code])
                        winners[s.code].party = self._party(s, e.year)
                self.mps[e.year] = winners
                self.mp_seats[e.year] = {s.code: s for s in seats10}
            else:
                self.mps[e.year] = self._elect_on_new_boundaries(seats10, seats24, previous,
                                                                 candidates, e.reelection_rate)
                self.mp_seats[e.year] = {s.code: s for s in seats24}
            previous = self.mps[e.year]

    def _elect_on_new_boundaries(
        self, seats10: tuple[Constituency, ...], seats24: tuple[Constituency, ...],
        previous: dict[str, Person], candidates: dict[str, list[Person]], rate: float,
    ) -> dict[str, Person]:
        """2024: a seat keeping its name keeps its incumbent or a local candidate wins."""
        rng = self._rng
        old_by_name = {s.name: s for s in seats10}
        spare: dict[str, list[Person]] = defaultdict(list)
        for s in seats10:
            if s.name not in {n.name for n in seats24}:
                spare[s.force_id].extend([previous[s.code], *candidates[s.code]])
        winners: dict[str, Person] = {}
        for s in seats24:
            old = old_by_name.get(s.name)
            if old is not None:
                winner = previous[old.code] if rng.random() < rate else rng.choice(
                    candidates[old.code])
            elif spare[s.force_id]:
                winner = spare[s.force_id].pop(rng.randrange(len(spare[s.force_id])))
            else:
                winner = self._person(female_share=0.4)
            if winner is not previous.get(old.code if old else ""):
                winner.party = self._party(s, 2024)
            winners[s.code] = winner
        return winners

    def _entourage(self, mp: Person, seat: Constituency) -> list[Membership]:
        """Staff and family of an MP, kept while the MP sits (abuse spills onto them)."""
        key = f"{mp.person_id}:{seat.code}"
        if key not in self._staff:
            rng = self._rng
            people = [
                Membership(self._person(female_share=0.6), "mp_staff", seat,
                           mp.intensity * 0.5 * rng.lognormvariate(0.0, 0.4), mp)
                for _ in range(2)
            ]
            people.append(Membership(self._person(female_share=0.5), "family", seat,
                                     mp.intensity * 0.4, mp))
            self._staff[key] = people
        return self._staff[key]

    def _local_people(self, year: int, seat: Constituency) -> list[Membership]:
        """Councillors and others (volunteers, office visitors) of a seat on one boundary set."""
        key = (year, seat.code)
        if key not in self._locals:
            rng = self._rng
            self._locals[key] = [
                *(Membership(self._person(female_share=0.4), "councillor", seat,
                             rng.lognormvariate(0.0, 0.8)) for _ in range(2)),
                Membership(self._person(female_share=0.5), "other", seat,
                           rng.lognormvariate(0.0, 0.5)),
            ]
        return self._locals[key]

    # -- pools ----------------------------------------------------------------------------
    def memberships(self, segment: Segment) -> list[Membership]:
        """Everyone who can be a victim during a segment, in a fixed order."""
        parliament, campaign = segment
        seats = self.mp_seats[parliament]
        out: list[Membership] = []
        for code in sorted(seats):
            seat = seats[code]
            mp = self.mps[parliament][code]
            out.append(Membership(mp, "mp", seat, mp.intensity))
            out.extend(self._entourage(mp, seat))
            out.extend(self._local_people(seat.boundary_year, seat))
        if campaign:
            for seat in constituencies(2010):
                for person in self.candidates[campaign][seat.code]:
                    weight = person.intensity / (HIGH_PROFILE_FACTOR if person.high_profile
                                                 else 1.0)
                    out.append(Membership(person, "candidate", seat, weight))
        return out

    def role_share(self, segment: Segment) -> dict[str, float]:
        """P(role): during a campaign candidates take a share from everyone else."""
        if not segment[1]:
            return dict(ROLE_SHARE)
        rest = 1.0 - CAMPAIGN_CANDIDATE_SHARE
        return {**{r: p * rest for r, p in ROLE_SHARE.items()},
                "candidate": CAMPAIGN_CANDIDATE_SHARE}

    @staticmethod
    def venue_share(role: str) -> dict[str, float]:
        """P(venue | role): MPs and staff work on the estate; only MPs are counted on trains."""
        return VENUE_SHARE.get(role, {"local": 1.0})

    def _build(self, segment: Segment) -> None:
        """Pools and force shares for a segment, built once: incidents draw from them many times."""
        if (segment, "mp", "local") in self._pools:
            return
        groups: dict[tuple[str, str], list[Membership]] = defaultdict(list)
        by_force: dict[tuple[str, str], list[Membership]] = defaultdict(list)
        for m in self.memberships(segment):
            for venue in self.venue_share(m.role):
                if venue == "local" and not is_local(m.constituency):
                    continue
                groups[(m.role, venue)].append(m)
            if is_local(m.constituency):
                by_force[(m.role, m.constituency.force_id)].append(m)
        for (role, venue), members in groups.items():
            self._pools[(segment, role, venue)] = Pool(
                tuple(members), tuple(cumulative([m.weight for m in members])))
        for (role, force), members in by_force.items():
            self._by_force[(segment, role, force)] = Pool(
                tuple(members), tuple(cumulative([m.weight for m in members])))
        shares: dict[str, float] = defaultdict(float)
        for role, p_role in self.role_share(segment).items():
            for venue, p_venue in self.venue_share(role).items():
                if venue == "estate":
                    shares["metropolitan"] += p_role * p_venue
                elif venue == "train":
                    shares["btp"] += p_role * p_venue
                else:
                    pool = self._pools[(segment, role, "local")]
                    for m, w in zip(pool.members, _weights(pool.cum), strict=True):
                        shares[m.constituency.force_id] += p_role * p_venue * w / pool.total
        self._shares[segment] = dict(shares)

    def pool(self, segment: Segment, role: str, venue: str) -> Pool:
        """Victims of one role at one venue, with cumulative weights for fast draws."""
        self._build(segment)
        return self._pools[(segment, role, venue)]

    def force_share(self, segment: Segment) -> dict[str, float]:
        """P(an incident in this segment is investigated by each force): exact, not sampled."""
        self._build(segment)
        return self._shares[segment]

    def draw(self, rng: random.Random, segment: Segment) -> tuple[Membership, str, str]:
        """A victim as background crime picks them: (membership, venue, investigating force)."""
        role = weighted(rng, self.role_share(segment))
        venue = weighted(rng, self.venue_share(role))
        pool = self.pool(segment, role, venue)
        member = pick(rng, pool.members, pool.cum)
        return member, venue, investigating_force(member, venue)

    def draw_in_force(self, rng: random.Random, segment: Segment,
                      force_id: str) -> tuple[Membership, str]:
        """A victim for a crime already known to be in one force (planted exceedances)."""
        self._build(segment)
        if force_id == "btp":
            pool = self.pool(segment, "mp", "train")
            return pick(rng, pool.members, pool.cum), "train"
        table: dict[str, float] = {}
        for role, p_role in self.role_share(segment).items():
            local = self.venue_share(role).get("local", 0.0)
            mine = self._by_force.get((segment, role, force_id))
            if mine and local:
                table[role] = p_role * local * mine.total / self.pool(segment, role,
                                                                      "local").total
        role = weighted(rng, table)
        pool = self._by_force[(segment, role, force_id)]
        return pick(rng, pool.members, pool.cum), "local"

    def sitting_mps(self, segment: Segment) -> list[Membership]:
        """MPs of every nation (series offenders pick targets from these)."""
        return list(self.pool(segment, "mp", "train").members)


def investigating_force(member: Membership, venue: str) -> str:
    if venue == "estate":
        return "metropolitan"
    if venue == "train":
        return "btp"
    return member.constituency.force_id


def _weights(cum: tuple[float, ...]) -> list[float]:
    return [c - p for c, p in zip(cum, (0.0, *cum[:-1]), strict=True)]
