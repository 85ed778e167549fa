"""From a planned case to a crime record: times, platform, place, outcome, keys, summary.

Reports reach the police in office hours, sometimes days after the offence (letters most
of all). Outcomes depend on age and on whether the sender left anything to trace: recent
cases are mostly open, old ones closed, and identified senders are charged or cautioned
far more often. Keys are written in the forms people type them (capitals, spaced phone
numbers), which ingest normalises to the same hash. Officers sometimes copy a key into the
summary instead of the suspect fields: a raw value that ingest redacts, listed in the
truth's pii.csv like every other raw value.
"""

from __future__ import annotations

import datetime as dt
import random

from etl.synth.dates import TODAY
from etl.synth.geography import WESTMINSTER, point_near, postcode_in
from etl.synth.incident import Incident
from etl.synth.sampling import weighted
from etl.synth.style_b.identities import written_email, written_handle, written_phone
from etl.synth.style_b.plants import Case, abuse_for
from etl.synth.style_b.summaries import Content, Officers, write

PLATFORMS_BY_ERA: tuple[tuple[dt.date, dict[str, float]], ...] = (
    (dt.date(2016, 1, 1), {"X": 0.6, "Facebook": 0.3, "Instagram": 0.05, "YouTube": 0.05}),
    (dt.date(2019, 6, 1), {"X": 0.5, "Facebook": 0.25, "Instagram": 0.1, "YouTube": 0.05,
                           "TikTok": 0.07, "Reddit": 0.03}),
    (dt.date(2023, 1, 1), {"X": 0.42, "Facebook": 0.2, "Instagram": 0.12, "TikTok": 0.16,
                           "YouTube": 0.05, "Reddit": 0.05}),
)
OTHER_PLATFORMS = {"WhatsApp": 0.4, "Telegram": 0.2, "Other": 0.2, "": 0.2}
CLOSED_IDENTIFIED = {"charged": 0.25, "caution": 0.12, "community_resolution": 0.1,
                     "no_further_action": 0.3, "victim_declined": 0.15,
                     "suspect_not_identified": 0.08}
CLOSED_UNKNOWN = {"suspect_not_identified": 0.6, "no_further_action": 0.2,
                  "victim_declined": 0.2}
AGGRAVATABLE = {"harassment", "public_order", "criminal_damage", "assault"}
OFFICE_HOURS = {8: 1, 9: 3, 10: 4, 11: 4, 12: 3, 13: 3, 14: 4, 15: 4, 16: 3, 17: 2, 18: 1,
                19: 1, 20: 1, 21: 0.5, 22: 0.3}
LAG_DAYS = {"letter": (0, 10), "email": (0, 3), "social_media": (0, 2), "phone": (0, 2),
            "in_person": (0, 1), "online_other": (0, 4), "unknown": (0, 7)}


def platform_for(rng: random.Random, channel: str, day: dt.date,
                 own: str | None) -> str | None:
    if channel == "social_media":
        if own:
            return own
        table = next(t for start, t in reversed(PLATFORMS_BY_ERA) if day >= start)
        return weighted(rng, table)
    if channel == "online_other":
        return weighted(rng, OTHER_PLATFORMS) or None
    return None


def _outcome(rng: random.Random, reported: dt.date, traced: bool) -> tuple[str, dt.date | None]:
    age = (TODAY - reported).days
    open_share = 0.85 if age < 60 else 0.5 if age < 365 else 0.12 if age < 730 else 0.04
    if rng.random() < open_share:
        return "under_investigation", None
    outcome = weighted(rng, CLOSED_IDENTIFIED if traced else CLOSED_UNKNOWN)
    closed = reported + dt.timedelta(days=max(1, int(rng.lognormvariate(3.8, 0.8))))
    if closed > TODAY:
        return "under_investigation", None
    return outcome, closed


def build(rng: random.Random, case: Case, officers: Officers) -> Incident:
    """The crime record of one case, ready for a force's house style."""
    sender = case.sender
    day = case.day
    hour = weighted(rng, OFFICE_HOURS)
    reported = dt.datetime(day.year, day.month, day.day, hour, rng.randrange(60),
                           rng.randrange(60))
    incident = Incident(day=day, force_id=case.force_id, victim=case.member, venue=case.venue,
                        offence_group=case.offence_group, channel=case.channel,
                        origin="background" if sender.kind == "lone" else sender.kind,
                        series_id=sender.series_id, campaign_id=case.campaign_id)
    incident.reported = reported
    if rng.random() < 0.85:
        low, high = LAG_DAYS[case.channel]
        back = dt.timedelta(days=rng.randint(low, high), minutes=rng.randrange(24 * 60))
        occurred = min(reported - back, reported)
        incident.occurred = max(occurred, dt.datetime(2016, 1, 1))
    strand = sender.hate_strand if sender.hate_strand and (
        sender.kind == "lone" or rng.random() < 0.6) else None
    incident.hate_strand = strand
    incident.aggravated = bool(strand in ("race", "religion")
                               and case.offence_group in AGGRAVATABLE)
    incident.platform = platform_for(rng, case.channel, day, sender.platform)
    if case.venue == "estate":
        incident.latitude, incident.longitude = point_near(rng, "metropolitan", WESTMINSTER,
                                                           spread=0.05)
    elif case.channel == "in_person" or rng.random() < 0.3:
        incident.latitude, incident.longitude = point_near(rng, case.force_id)
    if case.channel == "in_person":
        incident.postcode = postcode_in(rng, case.force_id)
    incident.victim_name = case.member.person.name
    written: list[tuple[str, str]] = []
    for kind, value in case.keys:
        if kind == "suspect_name":
            incident.suspect_name = value
        elif kind == "email":
            written.append(("email", written_email(rng, value)))
        elif kind == "phone":
            written.append(("phone", written_phone(rng, value)))
        else:
            written.append(("handle", written_handle(rng, value)))
    incident.identifiers = written
    incident.outcome, incident.outcome_date = _outcome(rng, day, bool(case.keys))
    incident.summary, incident.summary_pii = _summary(rng, case, incident, officers)
    return incident


def _summary(rng: random.Random, case: Case, incident: Incident,
             officers: Officers) -> tuple[str, list[tuple[str, str]]]:
    sender = case.sender
    pii: list[tuple[str, str]] = []
    mention = None
    keys = case.keys or []
    hidden = not keys and sender.identifiers() and rng.random() < 0.04
    if (keys and rng.random() < 0.15) or hidden:
        kind, value = rng.choice(keys or sender.identifiers())
        if kind == "phone":
            value = written_phone(rng, value, in_text=True)
        mention = (kind, value)
        pii.append(("suspect_name" if kind == "suspect_name" else kind, value))
    content = Content(
        member=case.member, channel=case.channel, platform=incident.platform,
        offence_group=case.offence_group, hate_strand=incident.hate_strand, day=case.day,
        phrase=sender.phrase if case.form else None, form=case.form, mention=mention,
        link_note=(bool(sender.series_id) and case.index > 0 and rng.random() < 0.06)
        or (sender.kind == "lone" and rng.random() < 0.01),
        mass_note=sender.kind == "mass_sender" and rng.random() < 0.25,
        abuse=abuse_for(rng, case), topic=sender.topic,
    )
    text = write(rng, officers, content)
    if rng.random() < 0.03:
        name = case.member.person.name
        text = f"{name}: {text}" if rng.random() < 0.5 else f"{text} Victim: {name}."
        pii.append(("victim_name", name))
    return text, pii
