"""Filling in a crime: times, hate strand, platform, place, suspect, text and outcome.

The shares follow what the PLaIT figures and force practice suggest: about 8 % of crimes
are hate crimes (race and religion most often, and only those are "aggravated" offences);
the sender is known for most emails and social-media posts but rarely for letters; about
30 % of records name a suspect. Outcomes age as real ones do: a case stays under
investigation until its time to outcome (lognormal, median two months) has passed, so
recent months are mostly open and old ones mostly closed.

In the plant quarter (`intelligence.Plan`) the platform weights and, for one offence
group, the time to outcome change; each still takes the same draws, so nothing else moves.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from etl.synth.geography import WESTMINSTER, point_near, postcode_in
from etl.synth.incident import Incident
from etl.synth.names import Identities, written_phone
from etl.synth.sampling import weighted
from etl.synth.summaries import compose, url_for

if TYPE_CHECKING:
    from etl.synth.intelligence import Plan

HATE_SHARE = 0.08
STRANDS = {"race": 0.38, "religion": 0.27, "sex": 0.15, "sexual_orientation": 0.10,
           "transgender": 0.05, "disability": 0.05}
AGGRAVATED_GROUPS = frozenset({"harassment", "public_order", "criminal_damage", "assault"})
PLATFORMS = {
    "social_media": {"X": 0.45, "Facebook": 0.24, "Instagram": 0.1, "TikTok": 0.08,
                     "YouTube": 0.05, "WhatsApp": 0.03, "Telegram": 0.02, "Reddit": 0.02,
                     "Other": 0.01},
    "online_other": {"Other": 0.5, "Reddit": 0.15, "Telegram": 0.15, "WhatsApp": 0.15,
                     "YouTube": 0.05},
}
# P(known): name, email, handle, phone — by channel.
SUSPECT_KNOWN: dict[str, tuple[float, float, float, float]] = {
    "email": (0.35, 0.9, 0.05, 0.05),
    "social_media": (0.2, 0.05, 0.9, 0.02),
    "phone": (0.25, 0.02, 0.0, 0.6),
    "letter": (0.2, 0.06, 0.02, 0.02),
    "in_person": (0.55, 0.0, 0.0, 0.05),
    "online_other": (0.2, 0.45, 0.4, 0.0),
    "unknown": (0.1, 0.05, 0.05, 0.05),
}
CLOSED_KNOWN = {"charged": 0.22, "caution": 0.08, "community_resolution": 0.07,
                "no_further_action": 0.33, "victim_declined": 0.2, "suspect_not_identified": 0.1}
CLOSED_UNKNOWN = {"suspect_not_identified": 0.6, "no_further_action": 0.2,
                  "victim_declined": 0.2}
MEDIAN_DAYS_TO_OUTCOME = 60.0
HOURS = {h: w for h, w in zip(range(7, 23), (1, 3, 6, 8, 8, 7, 7, 7, 7, 6, 5, 4, 3, 3, 2, 1),
                              strict=True)}


@dataclass(frozen=True)
class Span:
    """The generated period: no date before `first` or after `last` is ever written."""

    first: dt.date
    last: dt.date


def clock(rng: random.Random, day: dt.date) -> dt.datetime:
    """A time of day, mostly office hours, when reports are made."""
    return dt.datetime(day.year, day.month, day.day, weighted(rng, HOURS), rng.randrange(60),
                       rng.randrange(60))


def fill(incident: Incident, rng: random.Random, ids: Identities, span: Span, *,
         suspect: bool = True, welsh: bool = False, plan: Plan | None = None) -> None:
    """Everything but the suspect's identity for planted series (they bring their own)."""
    incident.victim_name = incident.victim.person.name
    incident.reported = clock(rng, incident.day)
    incident.occurred = occurred(incident, rng, span)
    if rng.random() < HATE_SHARE:
        incident.hate_strand = weighted(rng, STRANDS)
        incident.aggravated = (incident.hate_strand in ("race", "religion")
                               and incident.offence_group in AGGRAVATED_GROUPS
                               and rng.random() < 0.6)
    if incident.channel in PLATFORMS and rng.random() < 0.95:
        table = plan.platforms(incident.channel, incident.day) if plan else (
            PLATFORMS[incident.channel])
        incident.platform = weighted(rng, table)
    place(incident, rng)
    if suspect:
        background_suspect(incident, rng, ids, welsh)
    settle(incident, rng, span, plan)


def occurred(incident: Incident, rng: random.Random, span: Span) -> dt.datetime | None:
    """Often the day of the report, sometimes days before; courses of conduct start earlier."""
    if rng.random() < 0.06:
        return None
    reported = incident.reported
    assert reported is not None
    if incident.offence_group in ("harassment", "stalking"):
        back = weighted(rng, {0: 0.35, rng.randint(1, 14): 0.45, rng.randint(15, 90): 0.2})
    else:
        back = weighted(rng, {0: 0.6, rng.randint(1, 7): 0.3, rng.randint(8, 45): 0.1})
    day = max(incident.day - dt.timedelta(days=back), span.first)
    if day == incident.day:
        seconds = rng.randrange(0, reported.hour * 3600 + reported.minute * 60 + 1)
        return dt.datetime(day.year, day.month, day.day) + dt.timedelta(seconds=seconds)
    return clock(rng, day)


def place(incident: Incident, rng: random.Random) -> None:
    """A point for crimes with a place (in person, letters' delivery), and a postcode."""
    if incident.channel not in ("in_person", "letter"):
        return
    if incident.venue == "estate":
        incident.latitude, incident.longitude = point_near(rng, "metropolitan", WESTMINSTER,
                                                           spread=0.05)
        if incident.channel == "in_person":
            incident.postcode = "SW1A 0AA"
        return
    force = incident.victim.constituency.force_id
    incident.latitude, incident.longitude = point_near(rng, force)
    if incident.channel == "in_person":
        incident.postcode = postcode_in(rng, force)


def background_suspect(incident: Incident, rng: random.Random, ids: Identities,
                       welsh: bool) -> None:
    """A one-off sender: their own identifiers, never reused, so no series is implied."""
    p_name, p_email, p_handle, p_phone = SUSPECT_KNOWN[incident.channel]
    name = ids.person_name("male" if rng.random() < 0.8 else "female") if (
        rng.random() < p_name) else None
    incident.suspect_name = name
    found: list[tuple[str, str]] = []
    if rng.random() < p_email:
        found.append(("email", ids.email(name)))
    if rng.random() < p_handle:
        found.append(("handle", ids.handle()))
    if rng.random() < p_phone:
        number = ids.phone()
        if number:
            found.append(("phone", written_phone(rng, number)))
    shown: list[tuple[str, str]] = []
    mentions: list[tuple[str, str]] = []
    for kind, value in found:
        if rng.random() < 0.85:
            shown.append((kind, value))
        if rng.random() < 0.22:
            mentions.append((kind, value))
    incident.identifiers = shown
    if incident.channel in ("social_media", "online_other") and rng.random() < 0.15:
        handle = next((v for k, v in found if k == "handle"), None)
        mentions.append(("url", url_for(incident.platform, handle, rng)))
    if incident.postcode and rng.random() < 0.3:
        mentions.append(("postcode", incident.postcode))
    elif incident.channel == "letter" and rng.random() < 0.1:
        mentions.append(("postcode", postcode_in(rng, incident.victim.constituency.force_id)))
    if name and rng.random() < 0.2:
        mentions.append(("suspect_name", name))
    compose(incident, rng, mentions=mentions, welsh=welsh)


def settle(incident: Incident, rng: random.Random, span: Span,
           plan: Plan | None = None) -> None:
    """Outcome and its date: open until the case's time to outcome has passed.

    A planted delay stretches the time after every draw is taken on the undelayed one, so
    a delayed case uses the same draws as before and only its date (or openness) changes.
    """
    days = rng.lognormvariate(math.log(MEDIAN_DAYS_TO_OUTCOME), 1.0)
    closed_on = incident.day + dt.timedelta(days=max(1, round(days)))
    if closed_on > span.last or rng.random() < 0.03:
        incident.outcome, incident.outcome_date = "under_investigation", None
        return
    known = bool(incident.suspect_name or incident.identifiers)
    outcome = weighted(rng, CLOSED_KNOWN if known else CLOSED_UNKNOWN)
    factor = plan.delay_factor(incident) if plan else 1.0
    if factor != 1.0:
        closed_on = incident.day + dt.timedelta(days=max(1, round(days * factor)))
        if closed_on > span.last:
            incident.outcome, incident.outcome_date = "under_investigation", None
            return
    incident.outcome, incident.outcome_date = outcome, closed_on
