"""Summaries as different officers write them: five voices, many frames, any length.

A force's summaries come from its officers, and officers differ: some write formal
sentences ("The victim received an email..."), some terse notes with abbreviations ("IP
rec'd msg via X, susp NK"), some long narratives, some lower-case fragments, and a few
records were never written up beyond a few words. Each force draws its own mix of voices,
typo rate and habit of capitals from the seed. A summary is built from parts in a varying
order: who was targeted (in words for their role: "a caseworker", "the MP's husband", "IP
(cllr)"), how it came (channel and platform), what it said (offence, hate strand, a topic:
the sender's own fixation or one of the day), optionally the offender's phrase framed in
one of many ways and placed anywhere, optionally a stock line of abuse, optionally an
identifier the officer copied into the text (redacted at ingest, listed in the truth), and
closing notes. An officer's note that reports are linked is rare and not always right
(6 % of a series' later incidents, 1 % of lone senders' ones).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from etl.synth.population import Membership
from etl.synth.sampling import weighted
from etl.synth.style_b.phrases import ABUSE, Phrase, render, typo

VOICES = ("formal", "terse", "narrative", "notes", "stub")
# Where the offender's phrase goes while the officer's slips are made: quotations are
# copied, not retyped, so typos stay outside them (the offender's own stay inside).
PLACEHOLDER = "\x00\x01\x00"
ABBREVIATIONS = {
    "received": "rec'd", "message": "msg", "messages": "msgs", "suspect": "susp",
    "constituency": "constit", "regarding": "re", "unknown": "NK", "approximately": "approx",
    "information": "info", "telephone": "tel", "victim": "IP", "address": "addr",
}
ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "mp": ("the MP", "the member", "the victim, a sitting MP", "IP (MP)", "the MP concerned",
           "the local MP", "the member of parliament"),
    "mp_staff": ("a caseworker", "the MP's office manager", "a member of the MP's staff",
                 "IP (staff)", "a parliamentary assistant", "the MP's researcher",
                 "a constituency office worker"),
    "family": ("the MP's partner", "a relative of the MP", "IP (family of MP)",
               "the MP's spouse", "a family member of the MP"),
    "councillor": ("a local councillor", "IP (cllr)", "the ward councillor",
                   "a county councillor", "a borough councillor", "the council leader"),
    "candidate": ("a parliamentary candidate", "the candidate", "IP (PPC)",
                  "a prospective candidate", "the victim, standing for election",
                  "a candidate in the election"),
    "other": ("an office volunteer", "the MP's agent", "a constituency party officer",
              "IP (volunteer)", "a member of the public who defended the MP",
              "a campaign volunteer"),
}
FAMILY_WORDS = {"female": ("the MP's wife", "the MP's daughter", "the MP's mother"),
                "male": ("the MP's husband", "the MP's adult son", "the MP's father")}
CHANNEL_WORDS: dict[str, tuple[str, ...]] = {
    "email": ("received an email", "was sent an abusive email", "got an e-mail via the "
              "parliamentary inbox", "received emails to the office account",
              "was emailed", "found an email in the constituency inbox"),
    "social_media": ("was sent replies on {platform}", "was tagged in posts on {platform}",
                     "received direct messages on {platform}", "was targeted in comments on "
                     "{platform}", "was mentioned in a {platform} thread",
                     "saw a post on {platform} aimed at {pron}"),
    "letter": ("received a handwritten letter", "was sent a typed letter", "received a card "
               "at the office", "opened a letter at the constituency office",
               "received a letter with no return address", "was posted an anonymous note"),
    "phone": ("received a voicemail", "took a call at the office", "was sent text messages",
              "received repeated calls", "got a call from a withheld number",
              "was left phone messages"),
    "in_person": ("was approached in the street", "was confronted at a surgery",
                  "was shouted at outside the office", "was followed after an event",
                  "was confronted at a hustings", "was accosted at the station"),
    "online_other": ("was sent a message through the website contact form",
                     "received a message via {platform}", "was sent a message on a forum",
                     "had comments left on a petition page", "got a message via an app"),
    "unknown": ("reported abusive contact", "reported receiving threats",
                "reported a communication (method not recorded)", "reported abuse"),
}
OFFENCE_WORDS: dict[str, tuple[str, ...]] = {
    "malicious_communications": ("abusive and offensive", "grossly offensive language",
                                 "insulting and degrading content", "abusive content",
                                 "offensive remarks", "intended to cause distress",
                                 "abusive language throughout", "vile and upsetting"),
    "communications_act": ("menacing in character", "grossly offensive",
                           "sent to cause annoyance", "persistent nuisance messages"),
    "harassment": ("continued contact despite being asked to stop",
                   "a course of conduct over several weeks", "repeated unwanted contact",
                   "the latest of a number of contacts", "ongoing harassment"),
    "stalking": ("seen near {poss} home more than once", "followed {pron} from the station",
                 "turning up at events {pron_subject} attends", "monitoring {poss} movements",
                 "fixated behaviour"),
    "threats_to_kill": ("a threat to kill", "stated the victim would be killed",
                        "threatened to stab {pron}", "said the victim would end up dead",
                        "a direct threat to {poss} life"),
    "public_order": ("threatening words and behaviour", "shouting and swearing",
                     "aggressive behaviour causing alarm", "intimidating conduct"),
    "criminal_damage": ("office window smashed", "graffiti on the office door",
                        "car tyres slashed", "paint thrown at the office",
                        "posters defaced and door damaged"),
    "assault": ("pushed the victim", "egg thrown at the victim", "grabbed {poss} arm",
                "spat at the victim"),
    "hoax": ("white powder in the envelope", "hoax device left at the office",
             "bomb hoax called in", "suspicious substance, later found harmless"),
    "burglary_or_trespass": ("entered the office without permission",
                             "gained entry to the garden", "refused to leave the premises"),
    "other": ("impersonation of the victim online", "fraudulent use of the victim's name",
              "false report made about the victim"),
}
HATE_WORDS = {
    "race": ("racist abuse", "racial slurs", "racially abusive language"),
    "religion": ("abuse about {poss} faith", "anti-religious abuse", "religious slurs"),
    "sexual_orientation": ("homophobic abuse", "homophobic slurs"),
    "disability": ("abuse mocking disability", "disablist language"),
    "transgender": ("transphobic abuse", "transphobic content"),
    "sex": ("misogynistic abuse", "sexual and misogynistic language", "sexist abuse"),
}
TOPICS: tuple[tuple[dt.date, dt.date, tuple[str, ...]], ...] = (
    (dt.date(2016, 1, 1), dt.date(2020, 1, 31), ("Brexit", "the referendum",
                                                  "the withdrawal agreement", "leaving the EU")),
    (dt.date(2020, 3, 1), dt.date(2021, 12, 31), ("lockdown", "vaccines", "Covid rules",
                                                   "masks")),
    (dt.date(2022, 1, 1), dt.date(2023, 12, 31), ("the cost of living", "energy bills",
                                                   "partygate", "strikes")),
    (dt.date(2023, 1, 1), dt.date(2024, 12, 31), ("ULEZ", "small boats", "net zero")),
    (dt.date(2023, 10, 7), dt.date(2026, 12, 31), ("Gaza", "the ceasefire vote", "Israel",
                                                    "Palestine")),
    (dt.date(2024, 7, 5), dt.date(2026, 12, 31), ("winter fuel payments", "farm tax",
                                                   "assisted dying", "the grooming gangs",
                                                   "immigration")),
    (dt.date(2016, 1, 1), dt.date(2026, 12, 31), ("immigration", "the NHS", "housing",
                                                   "a local planning decision",
                                                   "a vote in the Commons", "trans rights")),
)
PHRASE_FRAMES = (
    "signed off {q}", "ending {q}", "which read {q}", "including the words {q}",
    "saying {q}", "with the line {q}", "sender called themself {q}", "subject line {q}",
    "{q} written at the bottom", "signed {q}", "finishing with {q}", "quoting {q}",
)
PARAPHRASE_FRAMES = (
    "signed off as {q}", "words to the effect of {q}", "something like {q}",
    "the gist being {q}", "describes themself as {q}", "claims to be {q}",
    "ends along the lines of {q}", "said roughly {q}",
)
CLOSINGS = (
    "No suspect details.", "Enquiries ongoing.", "Sender not known.",
    "Office security reviewed.", "Safety advice given.", "PLaIT informed.",
    "Op Bridger notified.", "Victim distressed.", "No previous reports.", "Intel submitted.",
    "Victim does not wish to support a prosecution at this time.",
    "Retained for intelligence.",
)
CHANNEL_CLOSINGS: dict[str, tuple[str, ...]] = {
    "letter": ("Letter seized for forensic examination.", "Envelope retained.",
               "Postmark noted."),
    "social_media": ("Platform asked to preserve data.", "Account details requested.",
                     "Screenshots obtained."),
    "online_other": ("Provider asked to preserve data.", "Screenshots obtained."),
    "email": ("Email headers requested.", "Email forwarded to the OIC."),
    "phone": ("Call data requested.", "Voicemail saved."),
    "in_person": ("CCTV requested.", "Scene visited.", "House-to-house enquiries made."),
    "unknown": (),
}
LINK_NOTES = ("Believed linked to earlier reports.", "Similar to previous messages.",
              "Same sender as before, per the victim.")
MASS_NOTES = ("One of many similar messages received that day.",
              "Part of a wave of near-identical emails after the vote.",
              "Office received a large number of these.")


@dataclass(frozen=True)
class Officers:
    """How one force's officers write: a mix of voices and a rate of slips."""

    voices: dict[str, float]
    typo_rate: float
    capitals: float

    @classmethod
    def draw(cls, rng: random.Random) -> Officers:
        weights = {v: rng.random() ** 2 + 0.05 for v in VOICES}
        weights["stub"] *= 0.3
        return cls(weights, rng.choice((0.0, 0.01, 0.02, 0.04)),
                   rng.choice((0.0, 0.0, 0.03, 0.1)))


@dataclass
class Content:
    """What a summary must say, decided by the generator; the officer decides the words."""

    member: Membership
    channel: str
    platform: str | None
    offence_group: str
    hate_strand: str | None
    day: dt.date
    phrase: Phrase | None = None
    form: str = ""
    mention: tuple[str, str] | None = None
    link_note: bool = False
    mass_note: bool = False
    abuse: str | None = None
    topic: str | None = None


@dataclass(frozen=True)
class Parts:
    """The pieces a voice arranges: each is already worded, or None when left out."""

    who: str
    how: str
    what: str
    hate: str | None
    about: str | None
    abuse: str | None
    phrase: str | None
    mention: str | None
    closing: list[str]
    notes: list[str]


def _pron(member: Membership) -> str:
    return "her" if member.person.gender == "female" else "him"


def topic(rng: random.Random, day: dt.date) -> str:
    live = [t for start, end, topics in TOPICS if start <= day <= end for t in topics]
    return rng.choice(live)


def _fill(text: str, content: Content) -> str:
    female = content.member.person.gender == "female"
    return text.format(pron=_pron(content.member), poss="her" if female else "his",
                       pron_subject="she" if female else "he",
                       platform=content.platform or "social media")


def _phrase(rng: random.Random, content: Content) -> str | None:
    if content.phrase is None or not content.form:
        return None
    q = render(rng, content.phrase, content.form)
    frames = PARAPHRASE_FRAMES if content.form in ("paraphrase", "fragment") else PHRASE_FRAMES
    return rng.choice(frames).format(q=q)


def _mention(rng: random.Random, content: Content) -> str | None:
    if content.mention is None:
        return None
    kind, value = content.mention
    if kind == "email":
        return rng.choice((f"Sent from {value}.", f"Sender address {value}.",
                           f"email came from {value}"))
    if kind == "handle":
        return rng.choice((f"Account @{value}.", f"Posted by @{value}.",
                           f"from the account @{value}"))
    if kind == "phone":
        return rng.choice((f"Caller's number {value}.", f"Texts from {value}.",
                           f"number shown as {value}"))
    return rng.choice((f"Suspect named as {value}.", f"Letter signed {value}.",
                       f"suspect gave name {value}"))


def write(rng: random.Random, officers: Officers, content: Content) -> str:
    """One summary in a voice drawn from the force's mix."""
    voice = weighted(rng, officers.voices)
    words = ROLE_WORDS[content.member.role]
    if content.member.role == "family":
        words += FAMILY_WORDS[content.member.person.gender]
    who = rng.choice(words)
    how = _fill(rng.choice(CHANNEL_WORDS[content.channel]), content)
    what = _fill(rng.choice(OFFENCE_WORDS[content.offence_group]), content)
    hate = (_fill(rng.choice(HATE_WORDS[content.hate_strand]), content)
            if content.hate_strand else None)
    if content.topic and rng.random() < 0.7:
        about: str | None = content.topic
    else:
        about = topic(rng, content.day) if rng.random() < 0.55 else None
    abuse = content.abuse
    quoted = _phrase(rng, content)
    phrase = PLACEHOLDER if quoted else None
    mention = _mention(rng, content)
    closing = rng.sample((*CLOSINGS, *CHANNEL_CLOSINGS[content.channel]),
                         k=weighted(rng, {0: 0.35, 1: 0.45, 2: 0.2}))
    notes = [*(rng.sample(LINK_NOTES, 1) if content.link_note else []),
             *(rng.sample(MASS_NOTES, 1) if content.mass_note else [])]
    parts = Parts(who, how, what, hate, about, abuse, phrase, mention, closing, notes)
    text = {"terse": _terse, "notes": _notes, "narrative": _narrative, "stub": _stub}.get(
        voice, _formal)(rng, parts)
    text = typo(rng, text, officers.typo_rate)
    if quoted:
        text = text.replace(PLACEHOLDER, quoted)
    if rng.random() < officers.capitals:
        text = text.upper()
    return " ".join(text.split())


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?'\"" else text + "."


def _formal(rng: random.Random, p: Parts) -> str:
    who, how, what, hate, about = p.who, p.how, p.what, p.hate, p.about
    abuse, phrase, mention, closing, notes = p.abuse, p.phrase, p.mention, p.closing, p.notes
    first = rng.choice(("report that {w} {h}", "it is reported that {w} {h}", "{w} {h}",
                        "{w} {h}")).format(w=who, h=how)
    if about and rng.random() < 0.5:
        first += f" about {about}"
    parts = [_sentence(first)]
    body = [rng.choice(("{w}", "{w}", "nature of the offence: {w}", "described as {w}",
                        "content: {w}")).format(w=what)]
    if hate:
        body.append(f"with {hate}")
    if abuse:
        body.append(rng.choice((f"calling the victim '{abuse}'",
                                f"telling the victim {abuse}", f"saying {abuse}")))
    middle = _sentence(", ".join(body))
    extras = [p for p in (phrase, mention) if p]
    rng.shuffle(extras)
    order = [middle, *(_sentence(e) for e in extras)]
    if about and phrase and rng.random() < 0.3:
        order.insert(0, _sentence(f"regarding {about}"))
    if rng.random() < 0.25 and len(order) > 1:
        order[0], order[-1] = order[-1], order[0]
    return " ".join([*parts, *order, *notes, *closing])


def _terse(rng: random.Random, p: Parts) -> str:
    who, how, what, hate, about = p.who, p.how, p.what, p.hate, p.about
    abuse, phrase, mention, closing, notes = p.abuse, p.phrase, p.mention, p.closing, p.notes
    head = f"{who} {how}"
    bits = [what]
    if hate:
        bits.append(hate)
    if about:
        bits.append(f"re {about}")
    if abuse and rng.random() < 0.6:
        bits.append(f"'{abuse}'" if rng.random() < 0.5 else abuse)
    if phrase:
        bits.insert(rng.randrange(len(bits) + 1), phrase)
    if mention:
        bits.append(mention.rstrip("."))
    text = f"{head}. " + ", ".join(bits) + ". " + " ".join([*notes, *closing[:1]])
    for word, short in ABBREVIATIONS.items():
        if rng.random() < 0.7:
            text = text.replace(f" {word} ", f" {short} ")
    return text


def _stub(rng: random.Random, p: Parts) -> str:
    """A few words, as when the record was opened and never written up."""
    noun = rng.choice(("report", "crime", "incident", "complaint"))
    text = rng.choice((f"{p.what} - {noun}", f"{p.how} ({p.who})", f"{p.who}: {p.what}"))
    if p.phrase and rng.random() < 0.7:
        text += f", {p.phrase}"
    return _sentence(text)


def _notes(rng: random.Random, p: Parts) -> str:
    who, how, what, hate, about = p.who, p.how, p.what, p.hate, p.about
    abuse, phrase, mention, closing, notes = p.abuse, p.phrase, p.mention, p.closing, p.notes
    bits = [f"{who} {how}", what]
    for extra in (hate, about and f"topic {about}", abuse and f"words used: {abuse}", phrase,
                  mention):
        if extra:
            bits.append(extra)
    head, rest = bits[:1], bits[1:]
    rng.shuffle(rest)
    text = "; ".join(b.rstrip(".") for b in head + rest + [n.rstrip(".") for n in notes])
    if closing:
        text += "; " + closing[0].rstrip(".")
    return text.lower() if rng.random() < 0.7 else text


def _narrative(rng: random.Random, p: Parts) -> str:
    who, how, what, hate, about = p.who, p.how, p.what, p.hate, p.about
    abuse, phrase, mention, closing, notes = p.abuse, p.phrase, p.mention, p.closing, p.notes
    opener = rng.choice(("On the day in question", "Earlier this week", "Over the weekend",
                         "Yesterday", "Shortly after an event", "This morning",
                         "Late in the evening"))
    parts = [_sentence(f"{opener} {who} {how}")]
    if about:
        parts.append(_sentence(rng.choice((
            f"it appears to relate to {about}", f"the sender was angry about {about}",
            f"it followed comments on {about}", f"it referred to {about}"))))
    parts.append(_sentence(rng.choice(("details: {w}", "the victim described it as {w}",
                                       "in short, {w}")).format(w=what)))
    if hate:
        parts.append(_sentence(f"it contained {hate}"))
    if abuse:
        parts.append(_sentence(rng.choice((f"among other things it said '{abuse}'",
                                           f"the victim was told {abuse}",
                                           f"one line was \"{abuse}\""))))
    extras = [_sentence(p) for p in (phrase, mention) if p]
    for extra in extras:
        parts.insert(rng.randrange(1, len(parts) + 1), extra)
    parts.append(_sentence(rng.choice((
        "the victim was shaken and has asked for extra patrols",
        "the office has reviewed its procedures", "the victim reported it the same day",
        "the victim is concerned for staff safety", "no one was hurt"))))
    return " ".join([*parts, *notes, *closing])


def abuse_line(rng: random.Random) -> str:
    return rng.choice(ABUSE)
