"""Crimes recorded twice: first by the force that took the report, then by the one that
investigates (Home Office Counting Rules: the crime counts for the receiving force).

The first record is closed as `transferred`; the receiving force records the same victim,
offence group and text 0-14 days later under its own reference and outcome. Ingest pairs
the two by victim, offence group and date (it takes the nearest record of that victim in
another force from 3 days before to 30 days after), so a transfer is planted only where no
other record of the same victim and offence group lies within 35 days of the receiver: the
pairing the truth states is then the only one the data allow.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections import defaultdict

from etl.synth.crimes import Span, clock
from etl.synth.elections import boundary_year
from etl.synth.geography import force_regions
from etl.synth.incident import CrimeBook, Incident

SHARE = 0.015
MAX_LAG_DAYS = 14
CLEAR_DAYS = 35
# Where a crime is first reported when it is not the investigating force: PLaIT at
# Westminster (the Met) mostly, else BTP or a neighbouring force.
ORIGIN_SHARE = {"metropolitan": 0.6, "btp": 0.15, "neighbour": 0.25}
MET_NEIGHBOURS = ("city-of-london", "surrey", "kent", "essex", "hertfordshire",
                  "thames-valley")


def _origin_force(rng: random.Random, receiver: str, forces: list[str]) -> str:
    """Where a crime was first reported before being passed to the investigating force."""
    if receiver == "metropolitan":
        return rng.choice([*MET_NEIGHBOURS, "btp"])
    roll = rng.random()
    if roll < ORIGIN_SHARE["metropolitan"]:
        return "metropolitan"
    if roll < ORIGIN_SHARE["metropolitan"] + ORIGIN_SHARE["btp"] and receiver != "btp":
        return "btp"
    regions = force_regions()
    near = [f for f in forces if f != receiver and f != "btp"
            and regions.get(f) == regions.get(receiver)]
    return rng.choice(near) if near else "metropolitan"


def plant(book: CrimeBook, rng: random.Random, span: Span, forces: list[str],
          code_forces: frozenset[str], encodings: dict[str, str]) -> list[Incident]:
    """Turn about 1.5 % of ordinary crimes into transfer pairs; returns the origin records."""
    live = book.live()
    seen: dict[tuple[str, str], list[dt.date]] = defaultdict(list)
    for i in live:
        seen[(i.victim.person.person_id, i.offence_group)].append(i.day)
    candidates = [i for i in live if i.is_plain]
    rng.shuffle(candidates)
    wanted = round(SHARE * len(live))
    origins: list[Incident] = []
    for receiver in candidates:
        if len(origins) >= wanted:
            break
        if not receiver.is_plain:
            continue
        key = (receiver.victim.person.person_id, receiver.offence_group)
        if sum(abs((d - receiver.day).days) <= CLEAR_DAYS for d in seen[key]) > 1:
            continue
        origin_force = _origin_force(rng, receiver.force_id, forces)
        if origin_force == receiver.force_id:
            continue
        if receiver.offence_group in ("communications_act", "hoax") and (
                origin_force in code_forces):
            continue
        day = receiver.day - dt.timedelta(days=rng.randint(0, MAX_LAG_DAYS))
        if day < span.first or boundary_year(day) != boundary_year(receiver.day):
            continue
        if not _encodable(receiver, encodings[origin_force]):
            continue
        origin = dataclasses.replace(
            receiver, day=day, force_id=origin_force, origin="background",
            transfer_role="origin", partner=receiver, outcome="transferred",
            outcome_date=receiver.day, identifiers=list(receiver.identifiers),
            summary_pii=list(receiver.summary_pii),
        )
        origin.reported = min(clock(rng, day), receiver.reported or clock(rng, day))
        if origin.occurred and origin.occurred > origin.reported:
            origin.occurred = origin.reported
        receiver.occurred = origin.occurred
        receiver.transfer_role, receiver.partner = "receiver", origin
        if rng.random() < 0.3:
            receiver.victim_name = receiver.victim_name.upper()
        seen[key].append(day)
        book.absorb(rng, origin)
        book.add(origin)
        origins.append(origin)
    return origins


def _encodable(incident: Incident, encoding: str) -> bool:
    """A cp1252 force cannot write a name such as Glyndŵr, so it cannot be the origin."""
    texts = [incident.summary, incident.victim_name, incident.suspect_name or "",
             incident.victim.constituency.name, *(v for _, v in incident.identifiers)]
    try:
        for text in texts:
            text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True
