"""Modus-operandi text as officers write it, raw identifiers and names included.

Real summaries quote the sender's address, the caller's number, the account, a link or a
postcode, and name the victim ("Letter addressed to ... MP"), which is why ingest must
redact free text. Every raw value a summary receives is logged on the incident
(`summary_pii`) so the truth lists exactly what must never reach the warehouse. Names are
always followed by "MP" or preceded by "Cllr" or belong to the row's own victim or suspect,
the cues the ingest's redaction works from. The text uses ’, é and £ so that a cp1252
extract differs from a UTF-8 one; nothing outside cp1252 is used except in Welsh forces,
whose extracts are UTF-8.
"""

from __future__ import annotations

import datetime as dt
import random

from etl.synth.incident import Incident

X_REBRAND = dt.date(2023, 7, 24)

PLATFORM_URL = {
    "X": "https://x.com/{h}", "Facebook": "https://www.facebook.com/{h}",
    "Instagram": "https://www.instagram.com/{h}/", "TikTok": "https://www.tiktok.com/@{h}",
    "YouTube": "https://www.youtube.com/@{h}", "Reddit": "https://www.reddit.com/user/{h}",
    "Telegram": "https://t.me/{h}", "WhatsApp": "https://chat.whatsapp.example/{h}",
    "Other": "https://forum.example.net/members/{h}",
}

BY_CHANNEL: dict[str, tuple[str, ...]] = {
    "email": (
        "Abusive email sent to {v} calling them a traitor and saying they should be 'dealt with'.",
        "Email received at the constituency office inbox with threats and obscene language "
        "directed at {v}.",
        "Series of abusive emails to {v} after a vote in the House.",
        "Email to the parliamentary account of {v}; sender says they know where the MP’s "
        "surgery is held.",
        "Sender emailed {v} stating 'you will pay for your vote' after the debate.",
        "Misogynistic email to {v} demanding that they resign.",
    ),
    "social_media": (
        "Abusive replies posted on {p} under a post by {v}.",
        "Threatening direct message on {p} sent to {v}.",
        "Video posted on {p} naming {v} and urging followers to 'pay a visit' to the office.",
        "Co-ordinated abuse on {p} after {v} spoke in a debate; misogynistic content.",
        "Post on {p} sharing a doctored image of {v} with violent captions.",
    ),
    "letter": (
        "Handwritten letter addressed to {v} at the constituency office, abusive throughout.",
        "Anonymous typed letter to {v} at the House of Commons, threatening in tone.",
        "Letter posted to the MP’s home address for {v}, contents distressing.",
        "Card delivered to the constituency office for {v}, containing offensive drawings.",
    ),
    "phone": (
        "Caller rang the constituency office and made threats towards {v}.",
        "Repeated abusive calls to the office line of {v} over several days.",
        "Voicemail left for {v} stating they would be 'sorted out'.",
        "Text messages sent to {v} with abusive content.",
    ),
    "in_person": (
        "Man approached {v} at a constituency surgery and became aggressive, shouting abuse.",
        "Woman confronted {v} outside the café near the office and made threats.",
        "Protester shouted abuse at {v} during a street stall on the High Street.",
    ),
    "online_other": (
        "Abusive comments left on the website contact form of {v}.",
        "Post on a forum listing the office address of {v} and inviting people to 'visit'.",
        "Messages sent to {v} through a petition site’s comment box.",
    ),
    "unknown": (
        "Abuse reported by {v}; how it was received was not recorded at the time.",
        "Offensive material received by {v}; contact method not known.",
    ),
}
BY_OFFENCE: dict[str, tuple[str, ...]] = {
    "threats_to_kill": (
        "Threat to kill {v} and their family made {how}.",
        "Threat made {how} to kill {v}; it refers to a weapon.",
    ),
    "harassment": (
        "Course of conduct against {v}: repeated unwanted contact {how} over several weeks.",
        "Harassment of {v} {how} after they declined to meet the sender.",
    ),
    "stalking": (
        "Suspect repeatedly turned up near the home of {v} and followed them from the station.",
        "Stalking of {v}: persistent contact {how} and attendance at their public events.",
    ),
    "criminal_damage": (
        "Window of the constituency office smashed overnight; graffiti calling {v} a traitor "
        "sprayed on the door.",
        "Paint thrown over the office frontage used by {v}; damage estimated at £{amount}.",
        "Car belonging to {v} scratched and tyres slashed outside their home.",
    ),
    "public_order": (
        "Group shouted abuse and threats at {v} outside the office, causing alarm and distress.",
        "Suspect blocked the path of {v} after a hustings and shouted threats.",
    ),
    "assault": (
        "Victim ({v}) pushed and struck by a man while canvassing.",
        "Egg thrown at {v} during a visit to a local school; minor injury.",
    ),
    "hoax": (
        "Envelope containing white powder sent to {v}; later found harmless.",
        "Hoax bomb threat made {how} against the office of {v}.",
    ),
    "burglary_or_trespass": (
        "Break-in at the constituency office used by {v}; papers disturbed.",
        "Trespass in the grounds of the home of {v}.",
    ),
    "other": (
        "Theft of a bag belonging to {v} at a public meeting; about £{amount} taken.",
        "Attempted fraud using the name of {v} to solicit money.",
    ),
    "communications_act": (
        "Grossly offensive messages sent to {v} {how}.",
        "Menacing message to {v} {how} over a public network.",
    ),
}
WELSH_TOUCHES = (
    " Reported at the office near Ysgol Gymraeg.",
    " Victim’s office is on Stryd Fawr.",
    " Message partly in Welsh (‘bradwr’).",
)
HOW = {
    "email": "by email", "letter": "in a letter", "phone": "in a phone call",
    "in_person": "in person", "online_other": "online", "unknown": "by unknown means",
}


def victim_phrase(incident: Incident, rng: random.Random, named: bool) -> str:
    """How the text refers to the victim; naming them logs the name as sensitive."""
    member = incident.victim
    name = member.person.name
    mp = member.mp.name if member.mp else None
    role = member.role
    if named:
        options = {
            "mp": [f"{name} MP"],
            "candidate": [f"candidate {name}"],
            "mp_staff": [f"{name} (caseworker)", f"a caseworker for {mp} MP"],
            "family": [f"the partner of {mp} MP"],
            "councillor": [f"Cllr {name}"],
            "other": [f"{name}, a volunteer"],
        }[role]
        text = rng.choice(options)
        if name in text:
            incident.summary_pii.append(("victim_name", name))
        if mp and mp in text:
            incident.summary_pii.append(("victim_name", mp))
        return text
    return rng.choice({
        "mp": ["the MP", "the Member", "the local MP"],
        "candidate": ["the candidate", "a parliamentary candidate"],
        "mp_staff": ["a caseworker", "a member of the MP’s staff", "constituency office staff"],
        "family": ["the MP’s partner", "a family member of the MP"],
        "councillor": ["the councillor", "a local councillor"],
        "other": ["a volunteer at the constituency office", "a member of the public"],
    }[role])


def platform_name(incident: Incident) -> str:
    """What the platform was called on the day: X was Twitter until July 2023."""
    if incident.platform == "X" and incident.day < X_REBRAND:
        return "Twitter"
    return incident.platform or "social media"


def _how(incident: Incident) -> str:
    if incident.channel == "social_media":
        return f"on {platform_name(incident)}"
    return HOW[incident.channel]


def opening(incident: Incident, rng: random.Random, named: bool) -> str:
    """The first sentence: what happened, to whom, by which channel."""
    group = incident.offence_group
    if group in BY_OFFENCE and (group != "harassment" or rng.random() < 0.6):
        template = rng.choice(BY_OFFENCE[group])
    else:
        template = rng.choice(BY_CHANNEL[incident.channel])
    return template.format(
        v=victim_phrase(incident, rng, named),
        p=platform_name(incident),
        how=_how(incident),
        amount=rng.choice((120, 350, 480, 900, 1500)),
    )


def mention(kind: str, value: str, rng: random.Random, incident: Incident) -> str:
    """A sentence quoting one raw value, logged as sensitive."""
    incident.summary_pii.append((kind, value))
    if kind == "email":
        return rng.choice((f" Sent from {value}.", f" Sender’s address {value}.",
                           f" Reply-to address {value}."))
    if kind == "handle":
        return rng.choice((f" Account @{value} responsible.", f" Posted by @{value}.",
                           f" Sender uses the account @{value}."))
    if kind == "phone":
        return rng.choice((f" Calls came from {value}.", f" Number {value} shown on display.",
                           f" Texts from {value}."))
    if kind == "url":
        return rng.choice((f" Link: {value}", f" See {value}"))
    if kind == "postcode":
        if incident.channel == "letter":
            return rng.choice((f" Return address {value}.", f" Postmarked near {value}."))
        return rng.choice((f" Incident near {value}.", f" Suspect seen near {value}."))
    if kind == "suspect_name":
        return rng.choice((f" Suspect identified as {value}.", f" Letter signed {value}.",
                           f" Suspect named by staff as {value}."))
    raise ValueError(kind)


def url_for(platform: str | None, handle: str | None, rng: random.Random) -> str:
    """A link to the account or post, as officers paste them into the summary."""
    path = handle or f"post{rng.randint(100000, 999999)}"
    return PLATFORM_URL.get(platform or "Other", PLATFORM_URL["Other"]).format(h=path)


def compose(incident: Incident, rng: random.Random, *, extra: str = "",
            mentions: list[tuple[str, str]] | None = None, welsh: bool = False) -> None:
    """Write the summary: an opening, optional quoted values, an optional closing phrase."""
    incident.summary_pii.clear()
    named = rng.random() < 0.22
    text = opening(incident, rng, named)
    for kind, value in mentions or []:
        text += mention(kind, value, rng, incident)
    if extra:
        text += extra
    if welsh and rng.random() < 0.25:
        text += rng.choice(WELSH_TOUCHES)
    incident.summary = text
