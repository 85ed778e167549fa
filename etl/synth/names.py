"""Invented people and their identifiers: names, emails, phone numbers, handles.

Names are built from given names and compound surnames made of English and Welsh
place-name parts ("Wrenthwaite", "Quillholme"), so no victim or suspect carries a real MP's
name, and every full name is distinctive enough that a leak test can search for it.
Given names that are also English words (Will, Grace, Mark) are left out, because ingest
redacts every name part found in the file from free text, and would eat the words too.
Phone numbers come only from Ofcom's ranges reserved for drama (07700 900xxx, 0113 496 0xxx,
020 7946 0xxx, ...); email domains are under `.example` or plainly invented.
"""

from __future__ import annotations

import random
import unicodedata

FEMALE = (
    "Aisha", "Amelia", "Anjali", "Bethan", "Bronwen", "Camilla", "Carys", "Catrin", "Chloé",
    "Ciara", "Davina", "Deborah", "Eilidh", "Eleanor", "Elin", "Esther", "Fatima", "Ffion",
    "Fiona", "Francesca", "Gemma", "Georgina", "Gwenllian", "Hannah", "Harpreet", "Harriet",
    "Helena", "Ifeoma", "Imogen", "Ingrid", "Isla", "Joanna", "Keira", "Kerry", "Lakshmi",
    "Leonie", "Louisa", "Lowri", "Lucinda", "Marianne", "Maryam", "Megan", "Miriam",
    "Morwenna", "Nadia", "Naomi", "Nerys", "Niamh", "Nkechi", "Olwen", "Orla", "Philippa",
    "Priya", "Rachel", "Rhiannon", "Rosalind", "Rukhsana", "Sabrina", "Saoirse", "Seren",
    "Shreya", "Siân", "Sinead", "Tabitha", "Tamsin", "Theodora", "Ursula", "Valentina",
    "Xanthe", "Yasmin", "Yolanda", "Zainab", "Zoë", "Agnieszka", "Beatrix", "Cordelia",
)
MALE = (
    "Aaron", "Adebayo", "Alistair", "Ambrose", "Anwar", "Barnaby", "Benedict", "Callum",
    "Cedric", "Ciaran", "Cormac", "Cosmo", "Dafydd", "Darius", "Declan", "Dominic", "Eamon",
    "Emrys", "Evander", "Fergus", "Florian", "Gareth", "Gethin", "Gideon", "Hamish",
    "Horatio", "Hywel", "Idris", "Ignatius", "Imran", "Ioan", "Jasper", "Jonah", "Kieran",
    "Kwame", "Lachlan", "Leopold", "Lorcan", "Lucian", "Malachy", "Mathias", "Mihail",
    "Nathaniel", "Niall", "Nikhil", "Oisin", "Orson", "Osian", "Percival", "Peregrine",
    "Quentin", "Rajesh", "Ravi", "Rhodri", "Rhys", "Rupert", "Sanjay", "Seamus", "Sebastian",
    "Silas", "Tarquin", "Thaddeus", "Tobias", "Torin", "Ulrich", "Umar", "Vaughan", "Vikram",
    "Wilfred", "Wystan", "Xavier", "Yusuf", "Zachary", "Émile", "Benedek", "Caspian",
)
SURNAME_HEADS = (
    "Alder", "Ashen", "Brack", "Bramble", "Calder", "Corrie", "Cress", "Dray", "Elver",
    "Fenn", "Frith", "Gorse", "Harrow", "Heron", "Holly", "Ivel", "Jessel", "Keld",
    "Kestrel", "Larch", "Linnet", "Lunn", "Marl", "Mereth", "Nettle", "Ormer", "Osier",
    "Pell", "Quill", "Rook", "Sedge", "Sorrel", "Tansy", "Thistle", "Umber", "Vetch", "Wren",
    "Yarrow", "Birk", "Cullen", "Drum", "Garrow", "Hazle", "Inch", "Lapp",
)
SURNAME_TAILS = (
    "beck", "bourne", "by", "combe", "cote", "den", "field", "garth", "hithe", "holme",
    "hurst", "lowe", "mere", "more", "ridge", "sett", "shaw", "stow", "thwaite", "well",
    "wick", "wold", "worth", "ford", "ley",
)
HANDLE_ADJECTIVES = (
    "angry", "loyal", "proud", "grumpy", "honest", "silent", "northern", "free", "true",
    "awake", "fedup", "plain", "blunt", "concerned", "fearless", "furious", "weary",
    "patient", "vigilant", "outspoken", "disgusted", "ordinary", "sensible", "stubborn",
)
HANDLE_NOUNS = (
    "voter", "taxpayer", "ratepayer", "patriot", "citizen", "bulldog", "lion", "eagle",
    "watcher", "truthseeker", "commoner", "yeoman", "farmer", "pensioner", "veteran",
    "mum", "dad", "lad", "lass", "bloke", "observer", "critic", "heckler", "islander",
)
EMAIL_DOMAINS = (
    "example-mail.co.uk", "mailhub.example", "inbox.example.org", "securepost.example",
    "freemail.example.net", "anonbox.example", "postbox.example.co.uk", "webmail.example.com",
)
# Ofcom's drama ranges: (national prefix, 1000 numbers each, how it is grouped when written).
PHONE_RANGES: tuple[tuple[str, str], ...] = (
    ("07700900", "mobile"), ("01134960", "area3"), ("01144960", "area3"),
    ("01154960", "area3"), ("01164960", "area3"), ("01174960", "area3"),
    ("01184960", "area3"), ("01214960", "area3"), ("01314960", "area3"),
    ("01414960", "area3"), ("01514960", "area3"), ("01614960", "area3"),
    ("02079460", "area2"), ("02920180", "area2"), ("02890180", "area2"),
    ("01632960", "area4"),
)


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


class Identities:
    """Hands out names and identifiers, each used once, so no two invented people collide.

    Uniqueness matters twice over: ingest keys victims by name (two people sharing a name
    would be one victim), and a suspect identifier shared by chance would be a series
    nobody planted.
    """

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._names: set[str] = set()
        self._emails: set[str] = set()
        self._handles: set[str] = set()
        self._phones: list[str] = [
            f"{prefix}{n:03d}" for prefix, _ in PHONE_RANGES for n in range(1000)
        ]
        # Mobiles first: most abusive calls and texts come from mobiles.
        mobiles, landlines = self._phones[:1000], self._phones[1000:]
        rng.shuffle(mobiles)
        rng.shuffle(landlines)
        self._phones = landlines[::-1] + mobiles[::-1]

    def person_name(self, gender: str) -> str:
        """A full 'Given Surname' nobody else in this data set has."""
        rng = self._rng
        given_pool = FEMALE if gender == "female" else MALE
        for attempt in range(200):
            surname = rng.choice(SURNAME_HEADS) + rng.choice(SURNAME_TAILS)
            if attempt > 30:
                surname += "-" + rng.choice(SURNAME_HEADS) + rng.choice(SURNAME_TAILS)
            name = f"{rng.choice(given_pool)} {surname}"
            key = name.lower()
            if key not in self._names:
                self._names.add(key)
                return name
        raise RuntimeError("ran out of invented names")

    def email(self, name: str | None = None) -> str:
        """An address often built from the person's name, as real senders' often are."""
        rng = self._rng
        for _ in range(200):
            if name and rng.random() < 0.7:
                given, surname = ascii_fold(name).lower().split(" ", 1)
                surname = surname.replace("-", "")
                local = rng.choice((
                    f"{given[0]}.{surname}{rng.randint(50, 99)}",
                    f"{given}.{surname}",
                    f"{given}{surname[:4]}{rng.randint(1, 999)}",
                    f"{surname}.{given[0]}{rng.randint(1960, 2005)}",
                ))
            else:
                local = rng.choice((
                    f"{rng.choice(HANDLE_ADJECTIVES)}.{rng.choice(HANDLE_NOUNS)}"
                    f"{rng.randint(1, 99)}",
                    f"{rng.choice(HANDLE_NOUNS)}{rng.randint(1950, 2005)}",
                    f"the.{rng.choice(HANDLE_ADJECTIVES)}.{rng.choice(HANDLE_NOUNS)}",
                ))
            address = f"{local}@{rng.choice(EMAIL_DOMAINS)}"
            if address not in self._emails:
                self._emails.add(address)
                return address
        raise RuntimeError("ran out of invented email addresses")

    def handle(self) -> str:
        """A bare handle (no @) of at least 8 characters, so it never hides inside a word."""
        rng = self._rng
        for _ in range(500):
            adjective, noun = rng.choice(HANDLE_ADJECTIVES), rng.choice(HANDLE_NOUNS)
            number = rng.randint(1, 99) if rng.random() < 0.6 else rng.randint(1950, 2008)
            handle = rng.choice((
                f"{adjective}_{noun}{number}",
                f"{adjective.capitalize()}{noun.capitalize()}{number}",
                f"{noun}_{adjective}{number}",
                f"{noun}{number}_{adjective}",
            ))
            if handle.lower() not in self._handles:
                self._handles.add(handle.lower())
                return handle
        raise RuntimeError("ran out of invented handles")

    def handle_variants(self, base: str, count: int) -> list[str]:
        """Ban evasion: the same stem with a suffix (`user123` → `user123_uk`, `user1232`)."""
        out = [base]
        suffixes = ["_uk", "2", "_x", "_real", "_official", "3", "_gb", "_"]
        self._rng.shuffle(suffixes)
        for suffix in suffixes:
            if len(out) >= count:
                break
            variant = base + suffix
            if variant.lower() not in self._handles:
                self._handles.add(variant.lower())
                out.append(variant)
        return out

    def phone(self) -> str | None:
        """A national-format drama number, or None once the reserved ranges are used up."""
        return self._phones.pop() if self._phones else None


def written_phone(rng: random.Random, number: str) -> str:
    """One of the ways a force's staff type the same number."""
    kind = next(k for prefix, k in PHONE_RANGES if number.startswith(prefix))
    rest = number[1:]
    forms: tuple[str, ...]
    if kind == "mobile":
        forms = (f"{number[:5]} {number[5:]}", number, f"+44 {rest[:4]} {rest[4:]}",
                 f"+44{rest}", f"{number[:5]} {number[5:8]} {number[8:]}",
                 f"+44 (0){rest[:4]} {rest[4:]}")
    elif kind == "area3":
        forms = (f"{number[:4]} {number[4:7]} {number[7:]}",
                 f"({number[:4]}) {number[4:7]} {number[7:]}",
                 f"+44 {rest[:3]} {rest[3:6]} {rest[6:]}", number)
    elif kind == "area2":
        forms = (f"{number[:3]} {number[3:7]} {number[7:]}",
                 f"({number[:3]}) {number[3:7]} {number[7:]}",
                 f"+44 {rest[:2]} {rest[2:6]} {rest[6:]}")
    else:
        forms = (f"{number[:5]} {number[5:]}", f"+44 {rest[:4]} {rest[4:]}")
    return rng.choice(forms)
