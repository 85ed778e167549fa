"""Free-text redaction at ingest: emails, URLs, handles, phone numbers, postcodes and names.

What has a shape is found by the component that knows the shape best: phone numbers by
`phonenumbers` (Google's libphonenumber metadata: every country's formats, international
prefixes such as `0044`, numbers written without `+` or with dots), emails, URLs, `@`handles
and UK postcodes by patterns. Names have no shape, so they come from three sources, matched
together by one Aho–Corasick automaton per file (never a name × row comparison):

- the file's own people: every value of its name columns, in any case, whole and by part
  (parts of 3+ letters), and every value of its handle columns, with or without `@`;
- a maintained list of given names and surnames (Faker's person providers for the English
  locales, MIT licence; see data/reference/SOURCES.md), matched only when capitalised, and,
  when the name is also an ordinary English word (Faker's English word list: "will",
  "grace", "young") or is capitalised only because it starts a sentence ("Hill farm...")
  or is in capitals throughout ("HILL FARM"), only next to another name ("Sarah Thompson
  rang", "Mark Hill");
- cues: capitalised words before "MP" and after a title (Mr, Mrs, Dr, Sir, Dame, Cllr, ...).

Numbers with more than two decimals are cut to two: a coordinate typed into the text keeps
the 1 km an incident's own coordinates keep. The placeholders say what was removed
(`[phone]`, `[name]`), so an analyst can still read the modus operandi.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import import_module

import ahocorasick
import phonenumbers
import polars as pl

URL = (r"(?i)\b(?:https?://|www\.)\S+", "[url]")
EMAIL = (r"(?i)[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", "[email]")
HANDLE = (r"@[A-Za-z0-9_][A-Za-z0-9_.]*[A-Za-z0-9_]", "[handle]")
POSTCODE = (r"(?i)\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", "[postcode]")
TITLES = ("Dear", "Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Sir", "Dame", "Lord", "Lady",
          "Baron", "Baroness", "Cllr", "Councillor", "Rev", "Revd", "Reverend", "Prof",
          "Professor", "Rt Hon", "Hon")
_CAPITALISED = r"\p{Lu}[\p{L}'’.-]*"
BEFORE_MP = (rf"\b(?:{_CAPITALISED}\s+){{1,3}}(?:MP|M\.P\.)\b", "[name] MP")
_TITLE_WORDS = "|".join(t.replace(" ", r"\s+") for t in TITLES)
AFTER_TITLE = (
    rf"\b({_TITLE_WORDS})(\.?\s+)"
    rf"(?:\p{{Lu}}[\p{{L}}'’-]*)(?:[\s-]+\p{{Lu}}[\p{{L}}'’-]*){{0,2}}",
    "${1}${2}[name]",
)
# decimals past the second of a number that may be a coordinate: kept to about 1 km, as an
# incident's latitude and longitude are
COORDINATE = (r"\b(\d{1,3}\.\d{2})\d+\b", "${1}")
# a run of 7+ digits, possibly split by spaces, dots, dashes or brackets: only such texts
# go to the phone-number parser, which is slow next to a vectorised pattern
PHONE_CANDIDATE = r"\+?\(?\d[\d\s().\-]{5,}\d"
PHONE_MIN_DIGITS = 8
DECIMAL = re.compile(r"\d{1,3}\.\d+")  # a coordinate or an amount, not a number to call
PHONE_REGION = "GB"
NAME_LOCALES = ("en_GB", "en_IE", "en_US", "en_IN", "en_PK")
MIN_PART = 3
FILE, LISTED = 1, 2
WORD, POSITIONAL, STRONG = 0, 1, 2


@cache
def listed_names() -> frozenset[str]:
    """Given names and surnames of the maintained list, lower-cased."""
    out: set[str] = set()
    for locale in NAME_LOCALES:
        provider = import_module(f"faker.providers.person.{locale}").Provider
        for attr in ("first_names", "first_names_male", "first_names_female", "last_names"):
            out.update(n.lower() for n in getattr(provider, attr, ()) if len(n) >= MIN_PART)
    return frozenset(n for n in out if n.isalpha())


@cache
def ordinary_words() -> frozenset[str]:
    """Common English words (Faker's English lorem list): a name that is also one of these
    is a name only next to another name."""
    provider = import_module("faker.providers.lorem.en_US").Provider
    return frozenset(w.lower() for w in provider.word_list)


def _name_parts(name: str) -> set[str]:
    clean = " ".join(name.split())
    if not clean:
        return set()
    parts = {clean.lower()}
    parts.update(p.lower() for p in re.split(r"[\s\-.]+", clean) if len(p) >= MIN_PART)
    return parts


@dataclass(frozen=True)
class Redactor:
    """Redaction for one file: its automaton of names and handles, built once."""

    names: tuple[str, ...]
    handles: tuple[str, ...]
    automaton: ahocorasick.Automaton

    @classmethod
    def for_file(cls, names: Iterable[str] = (), handles: Iterable[str] = ()) -> Redactor:
        """`names`: the values of the file's name columns; `handles`: of its handle columns
        (with or without `@`)."""
        names, handles = tuple(names), tuple(handles)
        automaton = ahocorasick.Automaton()
        own: set[str] = set()
        for name in names:
            own |= _name_parts(name)
        for handle in handles:
            handle = handle.strip().lstrip("@").lower()
            if len(handle) >= MIN_PART:
                own.add(handle)
        common = ordinary_words()
        for word in listed_names() - own:
            automaton.add_word(word, (LISTED, word in common, len(word)))
        for word in own:
            automaton.add_word(word, (FILE, False, len(word)))
        if len(automaton):
            automaton.make_automaton()
        return cls(names, handles, automaton)

    def with_names(self, names: Iterable[str]) -> Redactor:
        """This file's redactor with more names (found in rows that could not be split)."""
        return Redactor.for_file((*self.names, *names), self.handles)

    def series(self, texts: pl.Series) -> pl.Series:
        """The texts redacted (nulls stay null)."""
        frame = texts.cast(pl.String).to_frame("t").select(
            _replace_all(pl.col("t"), URL, EMAIL, HANDLE),
            pl.col("t").str.contains(PHONE_CANDIDATE).fill_null(False).alias("phone"))
        phoned = [redact_phones(t) if phone and t is not None else t
                  for t, phone in frame.iter_rows()]
        cued = pl.Series("t", phoned, dtype=pl.String).to_frame().select(
            _replace_all(pl.col("t"), BEFORE_MP, AFTER_TITLE))["t"]
        named = [None if t is None else self.redact_names(t) for t in cued.to_list()]
        redacted = pl.Series("t", named, dtype=pl.String).to_frame().select(
            _replace_all(pl.col("t"), POSTCODE, COORDINATE))
        return redacted["t"].alias(texts.name)

    def text(self, text: str) -> str:
        return str(self.series(pl.Series([text], dtype=pl.String))[0])

    def redact_names(self, text: str) -> str:
        """Names of the file, listed names and file handles replaced by `[name]`/`[handle]`."""
        if not len(self.automaton):
            return text
        lowered = text.lower()
        if len(lowered) != len(text):  # a few characters lower-case to two
            lowered = "".join(c.lower()[:1] or c for c in text)
        hits: list[tuple[int, int, int, int]] = []
        for end, (kind, common, size) in self.automaton.iter(lowered):
            start = end - size + 1
            if not _bounded(text, start, end + 1):
                continue
            if kind == LISTED and not text[start].isupper():
                continue
            hits.append((start, end + 1, kind, _strength(text, start, end + 1, kind, common)))
        if not hits:
            return text
        hits = _longest(hits)
        keep: list[tuple[int, int]] = []
        for i, (start, end, _, strength) in enumerate(hits):
            if strength < STRONG and not _next_to_name(text, hits, i):
                continue
            keep.append((start, end))
        for start, end in reversed(_merge(text, keep)):
            text = text[:start] + "[name]" + text[end:]
        return text


def _sentence_start(text: str, start: int) -> bool:
    """Capitals at the start of a text or sentence say nothing about a proper noun."""
    before = text[max(0, start - 80):start].rstrip(" \t")
    return not before or before[-1] in ".!?:;\n"


def _bounded(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before in "_@") and not (after.isalnum() or after == "_")


def _strength(text: str, start: int, end: int, kind: int, common: bool) -> int:
    """How sure a match is a name on its own: a file's name or a listed name capitalised
    inside a sentence (STRONG); a listed name whose capital says nothing, at the start of a
    sentence or in a word in capitals (POSITIONAL); a listed name that is an ordinary word
    (WORD)."""
    if kind == FILE:
        return STRONG
    if common:
        return WORD
    if text[start:end].isupper() or _sentence_start(text, start):
        return POSITIONAL
    return STRONG


def _longest(hits: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Overlapping matches resolved to the longest, leftmost first."""
    hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    out: list[tuple[int, int, int, int]] = []
    for hit in hits:
        if out and hit[0] < out[-1][1]:
            continue
        out.append(hit)
    return out


def _next_to_name(text: str, hits: list[tuple[int, int, int, int]], i: int) -> bool:
    """A match that is not a name on its own is one next to another name (separated by
    spaces or a hyphen only), unless both are ordinary words ("Will Young" in a caption is
    left alone; "Sarah Thompson" at a sentence's start and "Mark Hill" are names)."""
    for j in (i - 1, i + 1):
        if 0 <= j < len(hits):
            a, b = sorted((hits[i], hits[j]))
            if re.fullmatch(r"[\s-]+", text[a[1]:b[0]]) and hits[i][3] + hits[j][3] > WORD:
                return True
    return False


def _merge(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Adjacent name spans ("Sarah" "Thompson") become one `[name]`."""
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and re.fullmatch(r"[\s-]*", text[merged[-1][1]:start]):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def redact_phones(text: str) -> str:
    """Every phone number libphonenumber recognises (UK numbers without a country code,
    any country's with `+` or `00`), written in any of its punctuations. A digit run glued
    to letters, split by slashes or by one decimal point is a reference, a date or a
    coordinate, not a number."""
    spans: list[tuple[int, int]] = []
    for match in phonenumbers.PhoneNumberMatcher(text, PHONE_REGION,
                                                 leniency=phonenumbers.Leniency.POSSIBLE):
        raw = match.raw_string
        start, end = match.start, match.end
        before = text[start - 1] if start > 0 else " "
        after = text[end] if end < len(text) else " "
        glued = before.isalnum() or before in "-/_" or after.isalnum() or after in "/_"
        if glued or "/" in raw or DECIMAL.fullmatch(raw) or \
                sum(c.isdigit() for c in raw) < PHONE_MIN_DIGITS:
            continue
        spans.append((start, end))
    for start, end in reversed(spans):
        text = text[:start] + "[phone]" + text[end:]
    return text


def _replace_all(expr: pl.Expr, *rules: tuple[str, str]) -> pl.Expr:
    for regex, placeholder in rules:
        expr = expr.str.replace_all(regex, placeholder)
    return expr


def redact(expr: pl.Expr, names: list[str] | None = None) -> pl.Expr:
    """The redaction as an expression, for callers holding a frame (one automaton is built
    per call of the expression, so per file when the frame is a file)."""
    redactor = Redactor.for_file(names or ())
    return expr.map_batches(redactor.series, return_dtype=pl.String)
