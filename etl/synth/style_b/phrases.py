"""Signatures and slogans as offenders write them and as officers pass them on.

A phrase is a few slots, each a group of interchangeable wordings ("tick tock" / "the clock
is ticking" / "not long now"). An offender's own phrase picks one wording per slot; an
officer who paraphrases picks other wordings from the same groups, drops a slot, or
describes it ("signs as a proud ratepayer"), so a series' texts share meaning more often
than strings. Distinctness is kept at the level of groups: no two offenders get the same
groups (a signature also carries initials or a number, a slogan a place or a demand), so
offenders stay distinguishable at a million incidents while their common parts ("tick
tock", "enough is enough") become stock phrases that unrelated people share.

How a phrase reaches the summary (`FORMS`): in double quotes, in single quotes, unquoted,
in capitals, as a hashtag, paraphrased, as a fragment, or not at all; and anywhere in the
text, not only at its end. Offenders misspell their own phrases consistently; officers add
typos of their own.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable
from dataclasses import dataclass

MOTTOS: tuple[tuple[str, ...], ...] = (
    ("you have been warned", "consider yourself warned", "this is your only warning",
     "you were warned"),
    ("tick tock", "the clock is ticking", "time is running out", "not long now"),
    ("we are watching", "we see everything", "eyes everywhere", "always watching you"),
    ("the reckoning is coming", "judgement day is coming", "payback is coming",
     "your reckoning is near"),
    ("traitors will answer for it", "treason has a price", "betrayal is never forgotten",
     "the people will not forget"),
    ("remember who you serve", "you work for us", "never forget who pays you",
     "you answer to us"),
    ("the silent majority speaks", "the quiet ones are angry", "the silent millions are awake",
     "we are the majority"),
    ("enough is enough", "no more lies", "the lies stop here", "done being lied to"),
    ("see you soon", "we will meet", "I will find you", "our paths will cross"),
    ("sleep well", "sweet dreams", "rest easy while you can", "enjoy your sleep"),
    ("no surrender", "never surrender", "we will not yield", "we never give in"),
    ("heaven sees your sins", "God is keeping count", "you will answer to God",
     "judgement is not only ours"),
    ("karma is coming", "what goes around comes around", "you reap what you sow",
     "it will come back to you"),
    ("the truth will out", "we know the truth", "the truth always wins",
     "you cannot hide the truth"),
)
ADJECTIVES: tuple[tuple[str, ...], ...] = (
    ("proud", "loyal"), ("angry", "furious"), ("honest", "decent"), ("forgotten", "ignored"),
    ("ordinary", "average"), ("tired", "fed up"), ("true", "real"), ("hard working", "working"),
    ("betrayed", "let down"), ("old fashioned", "traditional"), ("silent", "quiet"),
    ("concerned", "worried"),
)
NOUNS: tuple[tuple[str, ...], ...] = (
    ("taxpayer", "ratepayer"), ("patriot", "true Brit"), ("mother", "mum"),
    ("veteran", "ex-serviceman"), ("pensioner", "OAP"), ("voter", "constituent"),
    ("worker", "grafter"), ("christian", "believer"), ("farmer", "countryman"),
    ("nurse", "carer"), ("father", "dad"), ("citizen", "subject"), ("driver", "motorist"),
    ("student", "young person"), ("neighbour", "local"),
)
PLACES: tuple[tuple[str, ...], ...] = (
    ("from the valleys", "in the valleys"), ("from up north", "from the north"),
    ("from the coast", "by the sea"), ("from the shires", "from the countryside"),
    ("from the fens", "out in the fens"), ("from down south", "from the south"),
    ("from the estate", "off the estate"), ("from the borders", "near the border"),
    ("from the Midlands", "from the middle of England"), ("from the Potteries", "in Stoke"),
    ("from the Wirral", "over the water"), ("from the Black Country", "from Dudley way"),
    ("from the Dales", "from the Yorkshire Dales"), ("from the Marches", "on the border"),
    ("from the Lakes", "from Cumbria"), ("from the Downs", "from the South Downs"),
)
DEMANDS: tuple[tuple[str, ...], ...] = (
    ("ceasefire now", "stop the bombing", "ceasefire immediately"),
    ("stop the boats", "turn back the boats", "close the channel"),
    ("scrap net zero", "net zero is a con", "ditch net zero"),
    ("respect the vote", "honour the referendum", "deliver what we voted for"),
    ("save our farms", "hands off our farms", "no tax on family farms"),
    ("hands off our pensions", "give back the winter fuel", "pensioners first"),
    ("free speech now", "stop censoring us", "let us speak"),
    ("end the lockdown", "open everything up", "no more lockdowns"),
    ("no to ULEZ", "scrap the ULEZ", "stop the car tax"),
    ("protect our children", "leave our kids alone", "keep it out of schools"),
    ("get Brexit done", "leave means leave", "out means out"),
    ("no more wars", "bring the troops home", "not our war"),
    ("justice for the victims", "public inquiry now", "tell the truth"),
    ("stop the jabs", "no vaccine passports", "my body my choice"),
    ("build homes not excuses", "fix the housing crisis", "rent is too high"),
    ("clean up our rivers", "stop the sewage", "end the dumping"),
    ("save our hospital", "hands off our NHS", "fund our A&E"),
    ("stop the pylons", "no to the solar farm", "leave our fields alone"),
    ("free Palestine", "end the occupation", "justice for Gaza"),
    ("stand with Israel", "bring them home", "never again is now"),
    ("scrap the two child cap", "feed our kids", "end child poverty"),
    ("stop the closures", "save our high street", "keep our library open"),
)
_ANY = (dt.date(2016, 1, 1), dt.date(2099, 12, 31))
# When each demand was being made (same order as DEMANDS): slogans fit their day.
DEMAND_ERAS: tuple[tuple[dt.date, dt.date], ...] = (
    (dt.date(2023, 10, 7), _ANY[1]), (dt.date(2018, 1, 1), _ANY[1]),
    (dt.date(2019, 6, 1), _ANY[1]), (dt.date(2016, 6, 24), dt.date(2020, 1, 31)),
    (dt.date(2024, 10, 30), _ANY[1]), (dt.date(2024, 7, 29), _ANY[1]), _ANY,
    (dt.date(2020, 3, 23), dt.date(2021, 7, 19)), (dt.date(2022, 11, 1), dt.date(2024, 12, 31)),
    _ANY, (dt.date(2016, 6, 24), dt.date(2020, 1, 31)), _ANY, _ANY,
    (dt.date(2020, 12, 1), dt.date(2022, 6, 30)), _ANY, (dt.date(2021, 1, 1), _ANY[1]), _ANY,
    (dt.date(2022, 1, 1), _ANY[1]), (dt.date(2023, 10, 7), _ANY[1]),
    (dt.date(2023, 10, 7), _ANY[1]), (dt.date(2023, 6, 1), _ANY[1]), _ANY,
)
CONSEQUENCES: tuple[tuple[str, ...], ...] = (
    ("or lose your seat", "or you lose your seat", "or say goodbye to your seat"),
    ("or face the people", "or answer to the people", "or face us"),
    ("or resign", "or step down", "or get out"),
    ("or we remember at the ballot box", "we will remember at the election",
     "your majority is gone"),
    ("or pay the price", "or you will pay", "or there will be a price"),
    ("you are next", "you could be next", "your turn is coming"),
    ("or else", "or you will see", "or find out what happens"),
)
CALLS: tuple[tuple[str, ...], ...] = (
    ("{town} says", "{town} demands", "the people of {town} say"),
    ("wake up {town}", "{town} is awake", "{town} will not forget"),
    ("from {town} with anger", "{town} is watching", "{town} has had enough"),
)
TOWNS = (
    "Wigan", "Grimsby", "Clacton", "Barnsley", "Hartlepool", "Stoke", "Swindon", "Bolton",
    "Mansfield", "Boston", "Thurrock", "Blyth", "Bassetlaw", "Rhyl", "Merthyr", "Newry",
    "Ipswich", "Luton", "Crawley", "Dover", "Redcar", "Carlisle", "Telford", "Hastings",
    "Burnley", "Blackpool", "Margate", "Corby", "Hull", "Sunderland", "Workington", "Yeovil",
    "Bedford", "Wrexham", "Lowestoft", "Scunthorpe", "Doncaster", "Rochdale", "Oldham",
    "Wakefield", "Halifax", "Peterborough", "Gloucester", "Taunton", "Barrow", "Whitby",
    "Grantham", "Kettering", "Tamworth", "Nuneaton", "Rugby", "Basildon", "Harlow", "Slough",
)
ABUSE: tuple[str, ...] = (
    "you are a disgrace", "get out of our town", "you make me sick", "nobody voted for this",
    "resign now", "you should be ashamed", "shame on you", "useless waste of space",
    "go back to London", "hope you lose your seat", "liar", "traitor", "you are finished",
    "you will regret this", "we know where you are", "watch your back", "you do not belong here",
    "you sold us out", "parasite", "get back in your box", "nobody will miss you",
    "you are a joke", "coward", "hypocrite", "step down", "enemy of the people",
    "you are not welcome", "we will be waiting", "your days are numbered", "scum",
)
MISSPELL = {
    "warned": "warnd", "watching": "watchin", "reckoning": "reconing", "traitors": "traiters",
    "believer": "beleiver", "ceasefire": "ceasfire", "immediately": "immediatly",
    "forgotten": "forgoten", "surrender": "surender", "sleep": "sleap", "neighbour": "neighbor",
    "coming": "comming", "answer": "anser", "pensioners": "pentioners", "your": "you're",
    "truth": "truth", "people": "poeple", "referendum": "referendum", "seat": "seat",
    "lose": "loose", "there": "their", "pays": "pay's", "hospital": "hosptial",
}
FORMS = ("double", "single", "unquoted", "caps", "hashtag", "paraphrase", "fragment")


@dataclass(frozen=True)
class Phrase:
    """A phrase as slots of interchangeable wordings, with the owner's choice in each."""

    slots: tuple[tuple[str, ...], ...]
    chosen: tuple[int, ...]
    joins: tuple[str, ...]
    misspelt: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[tuple[str, ...], ...]:
        """What makes two phrases the same phrase: the groups, not the wordings."""
        return self.slots

    def text(self, choice: tuple[int, ...] | None = None, drop: int | None = None) -> str:
        parts = []
        picks = choice or self.chosen
        for n, (slot, pick) in enumerate(zip(self.slots, picks, strict=True)):
            if n == drop:
                continue
            part = slot[pick]
            parts.append((self.joins[n - 1] if parts and n > 0 else "") + part)
        text = "".join(parts)
        for word in self.misspelt:
            text = re.sub(rf"\b{re.escape(word)}\b", MISSPELL[word], text)
        return text

    @property
    def verbatim(self) -> str:
        return self.text()

    def paraphrase(self, rng: random.Random) -> str:
        """Other wordings in one or two slots, sometimes a slot dropped, spelling tidied."""
        picks = list(self.chosen)
        for n in rng.sample(range(len(self.slots)), k=min(len(self.slots),
                                                          rng.choice((1, 1, 2)))):
            others = [i for i in range(len(self.slots[n])) if i != picks[n]]
            if others:
                picks[n] = rng.choice(others)
        drop = rng.randrange(len(self.slots)) if len(self.slots) > 2 and rng.random() < 0.3 \
            else None
        clean = Phrase(self.slots, tuple(picks), self.joins)
        return clean.text(drop=drop)

    def fragment(self, rng: random.Random) -> str:
        n = rng.randrange(len(self.slots))
        return self.slots[n][self.chosen[n]]


def _pick(rng: random.Random, groups: tuple[tuple[str, ...], ...]) -> tuple[str, ...]:
    return groups[rng.randrange(len(groups))]


class Phrasebook:
    """Hands out signatures and slogans whose groups nobody else has."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[tuple[tuple[str, ...], ...]] = set()

    def _misspellings(self, text: str) -> tuple[str, ...]:
        rng = self._rng
        words = [w for w in MISSPELL if re.search(rf"\b{re.escape(w)}\b", text)
                 and MISSPELL[w] != w]
        return tuple(w for w in words if rng.random() < 0.5) if rng.random() < 0.35 else ()

    def _unique(self, build: Callable[[], Phrase]) -> Phrase:
        for _ in range(200):
            phrase = build()
            if phrase.key not in self._used:
                self._used.add(phrase.key)
                return phrase
        raise RuntimeError("ran out of distinct phrases")

    def signature(self) -> Phrase:
        """A personal sign-off: a motto and who the sender says they are, with a mark
        (initials or a number) that makes it theirs."""
        rng = self._rng

        def build() -> Phrase:
            motto = _pick(rng, MOTTOS)
            mark = rng.choice((
                f"{rng.choice('ABCDEFGHJKLMNPRSTW')}.{rng.choice('ABCDEFGHJKLMNPRSTW')}.",
                f"no. {rng.randint(2, 9999)}", f"({rng.randint(10, 99999)})",
                f"- {rng.choice('ABCDEFGHJKLMNPRSTW')}{rng.choice('ABCDEFGHJKLMNPRSTW')}",
            ))
            adjectives, nouns = _pick(rng, ADJECTIVES), _pick(rng, NOUNS)
            who = tuple(f"a {a} {n}" for a in adjectives for n in nouns)
            place = _pick(rng, PLACES)
            slots: tuple[tuple[str, ...], ...]
            if rng.random() < 0.5:
                slots = (motto, who, place, (mark,))
                joins = (rng.choice((", ", " - ", ". ", " ")), " ", " ")
            else:
                slots = (who, place, motto, (mark,))
                joins = (" ", rng.choice((", ", ". ", " - ")), " ")
            chosen = tuple(rng.randrange(len(s)) for s in slots)
            phrase = Phrase(slots, chosen, joins)
            return Phrase(slots, chosen, joins, self._misspellings(phrase.text()))

        return self._unique(build)

    def slogan(self, day: dt.date) -> Phrase:
        """A political slogan of its day: a demand with a consequence, a call from a town,
        or both (demands of other days once those of the day are used up)."""
        rng = self._rng

        def build(demands: tuple[tuple[str, ...], ...]) -> Phrase:
            demand = _pick(rng, demands)
            town = rng.choice(TOWNS)
            call = tuple(c.format(town=town) for c in _pick(rng, CALLS))
            shape = rng.random()
            slots: tuple[tuple[str, ...], ...]
            if shape < 0.4:
                slots = (demand, _pick(rng, CONSEQUENCES))
                joins: tuple[str, ...] = (rng.choice((" ", ", ", ". ")),)
            elif shape < 0.75:
                slots = (call, demand) if rng.random() < 0.5 else (demand, call)
                joins = (rng.choice((": ", " - ", ", ")),)
            else:
                slots = (call, demand, _pick(rng, CONSEQUENCES))
                joins = (rng.choice((": ", " - ")), rng.choice((" ", ", ")))
            chosen = tuple(rng.randrange(len(s)) for s in slots)
            return Phrase(slots, chosen, joins)

        try:
            return self._unique(lambda: build(demands_on(day)))
        except RuntimeError:
            return self._unique(lambda: build(DEMANDS))


def demands_on(day: dt.date) -> tuple[tuple[str, ...], ...]:
    return tuple(d for d, (a, b) in zip(DEMANDS, DEMAND_ERAS, strict=True) if a <= day <= b)


def hashtag(text: str) -> str:
    words = re.findall(r"[A-Za-z0-9&]+", text)
    return "#" + "".join(w[:1].upper() + w[1:] for w in words)


def render(rng: random.Random, phrase: Phrase, form: str) -> str:
    """The phrase as the summary carries it (without the officer's framing words)."""
    if form == "double":
        return f'"{phrase.verbatim}"'
    if form == "single":
        return f"'{phrase.verbatim}'"
    if form == "caps":
        return phrase.verbatim.upper()
    if form == "hashtag":
        return hashtag(phrase.verbatim)
    if form == "paraphrase":
        return phrase.paraphrase(rng)
    if form == "fragment":
        return phrase.fragment(rng)
    return phrase.verbatim


def typo(rng: random.Random, text: str, rate: float) -> str:
    """An officer's slips: a letter dropped, doubled or swapped in some longer words."""
    if rate <= 0:
        return text
    words = text.split(" ")
    for n, word in enumerate(words):
        if len(word) > 4 and word.isalpha() and rng.random() < rate:
            i = rng.randrange(1, len(word) - 1)
            op = rng.randrange(3)
            if op == 0:
                word = word[:i] + word[i + 1:]
            elif op == 1:
                word = word[:i] + word[i] + word[i:]
            else:
                word = word[:i - 1] + word[i] + word[i - 1] + word[i + 1:]
            words[n] = word
    return " ".join(words)
