"""A redaction corpus written apart from the generator (`etl.synth`): forms people really type.

Each `FORMS` entry is a sentence as an officer or a complainant might write it and the text
that must not survive it. The forms were collected from how numbers, addresses and names are
written in correspondence and on the web (Ofcom's drama ranges and the +1 555-01xx numbers
where a real-looking number is needed), not from what `plait synth` writes: most of them are
forms the generator never produces (numbers without a leading zero or with dots, other
countries, handles without `@`, names after titles it never uses).

`SURVIVORS` are ordinary words and offence terms that must come through redaction untouched,
in lower case inside a sentence and capitalised at its start. The list was written from the
Home Office counting rules' offence wordings and everyday English, before the name rules were
run on it; nothing in the redactor was chosen by looking at this file.
"""

from __future__ import annotations

from typing import NamedTuple


class Form(NamedTuple):
    kind: str
    text: str
    secret: str  # must not appear in the redacted text (case-insensitive)
    names: tuple[str, ...] = ()  # the file's own name columns, where the form needs them
    handles: tuple[str, ...] = ()  # the file's own handle column values, where it needs them


FORMS: tuple[Form, ...] = (
    # --- UK phone numbers, every way they get written
    Form("phone", "He rang from 07700 900123 twice last night.", "900123"),
    Form("phone", "Caller withheld nothing: 07700900123.", "07700900123"),
    Form("phone", "Number given was 0044 7700 900123 on the form.", "900123"),
    Form("phone", "Texts came from 447700900123 over the weekend.", "447700900123"),
    Form("phone", "Messages from +447700900124 at 3am.", "900124"),
    Form("phone", "WhatsApp from +44 7700 900125 with a photo.", "900125"),
    Form("phone", "Called +44 (0)7700 900126 repeatedly.", "900126"),
    Form("phone", "Contact number 07700.900.127 written on the card.", "900.127"),
    Form("phone", "Voicemail left from 07700-900-128.", "900-128"),
    Form("phone", "Landline (0113) 496 0129 traced to a call box.", "496 0129"),
    Form("phone", "He gave 0113 496 0130 as his number.", "496 0130"),
    Form("phone", "Office line 020 7946 0131 received the threat.", "7946 0131"),
    Form("phone", "Calls from 02079460132 were logged.", "02079460132"),
    Form("phone", "Silent calls from +44 20 7946 0133.", "7946 0133"),
    Form("phone", "The fax came from 0118 496 0134.", "496 0134"),
    Form("phone", "Rang the surgery from 028 9018 0135 in Belfast.", "9018 0135"),
    Form("phone", "Mobile 07700 900 136 on the letterhead.", "900 136"),
    Form("phone", "Number: +44-7700-900137.", "900137"),
    # --- other countries
    Form("phone", "Call came from +1 212 555 0199 in New York.", "555 0199"),
    Form("phone", "US number +1 (415) 555-0142 sent the texts.", "555-0142"),
    Form("phone", "Texts from +1-312-555-0173 overnight.", "555-0173"),
    Form("phone", "A Dublin number +353 1 555 0188 left messages.", "555 0188"),
    Form("phone", "Irish mobile +353 85 555 0144 sent abuse.", "555 0144"),
    Form("phone", "French number +33 1 23 45 67 89 called the office.", "45 67 89"),
    Form("phone", "Called from +49 30 901820 in Berlin.", "901820"),
    Form("phone", "Australian number +61 2 9876 5432 rang.", "9876 5432"),
    Form("phone", "Messages from +91 98765 43210 on WhatsApp.", "43210"),
    Form("phone", "Dutch number 0031 20 555 0123 sent letters.", "555 0123"),
    # --- emails
    Form("email", "Email from jo.bloggs+mp@example.co.uk arrived.", "jo.bloggs"),
    Form("email", "Sent from first.middle.last@sub.example.org again.", "first.middle.last"),
    Form("email", "Address J.Smith@Example.COM on the header.", "j.smith"),
    Form("email", "From: angry-voter_99@mail.example.net", "angry-voter_99"),
    Form("email", "reply to o'neill@example.ie was bounced", "o'neill@"),
    Form("email", "<someone+tag+more@example.com> wrote the threat", "someone+tag"),
    Form("email", "Emails from x@y.example.uk continued.", "x@y.example"),
    # --- handles with and without @
    Form("handle", "Posted by @patriot_dave1987 on X.", "patriot_dave1987"),
    Form("handle", "Replies from @Real.Truth.Teller under every post.", "Truth.Teller"),
    Form("handle", "Tagged @mp_hater in the thread.", "mp_hater"),
    Form("handle", "The account patriot_dave1987 posted again.", "patriot_dave1987",
         handles=("patriot_dave1987",)),
    Form("handle", "DMs from NorthernLass77 every evening.", "NorthernLass77",
         handles=("northernlass77",)),
    Form("handle", "Account Xx_Kev_xX quoted the MP.", "Xx_Kev_xX", handles=("@xx_kev_xx",)),
    # --- URLs
    Form("url", "See https://x.com/patriot_dave1987/status/1234567890 for the post.",
         "1234567890"),
    Form("url", "Video at http://youtube.example/watch?v=abc123XYZ was reported.", "abc123XYZ"),
    Form("url", "Link www.hate-forum.example/thread/55 was shared.", "hate-forum"),
    Form("url", "Posted on HTTPS://WWW.FACEBOOK.COM/some.page.name today.", "some.page.name"),
    Form("url", "Screenshot from https://t.me/joinchat/AbCdEf attached.", "AbCdEf"),
    # --- UK postcodes, with and without the space
    Form("postcode", "Letter posted in SW1A 0AA on Monday.", "SW1A"),
    Form("postcode", "Suspect lives near sw1a0aa apparently.", "sw1a0aa"),
    Form("postcode", "Seen outside LS1 4AP at noon.", "LS1 4AP"),
    Form("postcode", "Parcel sent from M1 1AE.", "M1 1AE"),
    Form("postcode", "Address was in EC1A1BB.", "EC1A1BB"),
    Form("postcode", "Graffiti at B33 8TH overnight.", "B33 8TH"),
    Form("postcode", "Leaflets delivered to CF10 1EP.", "CF10 1EP"),
    Form("postcode", "The van was registered to BT1 5GS.", "BT1 5GS"),
    # --- names in running text
    Form("name", "Letter addressed to Priya Venkataraman MP about the vote.", "Venkataraman"),
    Form("name", "Threats against John Smith MP were posted.", "Smith"),
    Form("name", "Dear Mrs Hollis, you will regret this.", "Hollis"),
    Form("name", "He said Mr. Okonkwo would pay.", "Okonkwo"),
    Form("name", "Abuse aimed at Ms Delacroix-Byrne online.", "Delacroix"),
    Form("name", "Dr Fenwick was named in the letter.", "Fenwick"),
    Form("name", "Messages about Sir Geoffrey Pemberton continued.", "Pemberton"),
    Form("name", "Dame Ottoline Ferrars was targeted.", "Ferrars"),
    Form("name", "Cllr Aldous was copied in.", "Aldous"),
    Form("name", "Emails to Lord Ashdown-Pryce threatening violence.", "Ashdown"),
    Form("name", "The caller asked for Sarah Thompson by name.", "Thompson"),
    Form("name", "Sarah Thompson was sent a dead bird.", "Sarah"),
    Form("name", "Posts said Michael Roberts should hang.", "Roberts"),
    Form("name", "Victim's husband, Gareth Wyn-Jones, took the call.", "Wyn-Jones",
         names=("Gareth Wyn-Jones",)),
    Form("name", "the suspect signs off as ZEPHANIAH QUARTERMAINE", "QUARTERMAINE",
         names=("Zephaniah Quartermaine",)),
    Form("name", "quartermaine wrote again on tuesday", "quartermaine",
         names=("Zephaniah Quartermaine",)),
    Form("name", "Friends of Emily Watson were also messaged.", "Watson"),
    Form("name", "The letter was signed David Patel.", "Patel"),
    Form("name", "Threats to kill Jessica Murphy and her children.", "Murphy"),
)

SURVIVORS: tuple[str, ...] = (
    # offence terms and their parts (Home Office counting rules, Communications Act, PHA)
    "harassment", "stalking", "malicious", "communications", "threats", "kill", "threatening",
    "behaviour", "public", "order", "criminal", "damage", "assault", "battery", "hoax",
    "burglary", "trespass", "fear", "violence", "provocation", "intentional", "alarm",
    "distress", "racially", "religiously", "aggravated", "grossly", "offensive", "indecent",
    "obscene", "menacing", "false", "persistent", "annoyance", "anxiety", "inconvenience",
    "blackmail", "extortion", "intimidation", "witness", "arson", "endangering", "life",
    "explosive", "substance", "noxious", "wounding", "grievous", "bodily", "harm", "actual",
    "common", "robbery", "theft", "fraud", "forgery", "bomb", "threat", "incitement",
    "hatred", "hate", "crime", "incident", "offence", "offender", "suspect", "victim",
    "complainant", "caution", "charge", "charged", "community", "resolution", "further",
    "action", "investigation", "transferred", "declined", "identified", "outcome",
    # channels and places of the work
    "email", "letter", "phone", "telephone", "call", "voicemail", "text", "message", "post",
    "social", "media", "online", "website", "forum", "comment", "reply", "thread", "account",
    "parcel", "envelope", "leaflet", "graffiti", "office", "constituency", "surgery",
    "parliament", "parliamentary", "house", "commons", "lords", "council", "councillor",
    "candidate", "campaign", "election", "hustings", "canvassing", "staff", "caseworker",
    "family", "member", "police", "force", "officer", "detective", "constable", "sergeant",
    "inspector", "report", "reported", "received", "sent", "posted", "delivered",
    # everyday words, many of them also given names or surnames somewhere
    "will", "may", "mark", "bill", "grace", "hope", "faith", "joy", "rose", "lily", "ruby",
    "amber", "dawn", "summer", "june", "august", "frank", "rich", "young", "white", "green",
    "brown", "black", "long", "short", "hill", "wood", "field", "mills", "banks", "king",
    "price", "rice", "page", "cook", "baker", "mason", "carter", "turner", "hunter", "fisher",
    "walker", "knight", "bishop", "church", "marsh", "lane", "ward", "hall", "bell", "stone",
    "bird", "fox", "wolf", "sharp", "bright", "early", "moody", "noble", "free", "best",
    "weekend", "monday", "tuesday", "night", "morning", "evening", "week", "month", "year",
    "again", "twice", "after", "before", "about", "against", "because", "every", "several",
    "repeatedly", "anonymous", "unknown", "abusive", "abuse", "racist", "homophobic",
    "antisemitic", "islamophobic", "misogynistic", "transphobic", "disablist", "traitor",
    "vote", "voted", "debate", "resign", "regret", "pay", "watch", "know", "where", "live",
    "home", "address", "street", "road", "car", "window", "door", "photo", "video",
    "screenshot", "link", "account", "profile", "group", "page", "channel", "platform",
)
