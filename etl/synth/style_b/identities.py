"""Invented people and identifiers that stay distinct at a million incidents.

Every value is built from the project's invented vocabularies (`etl.synth.names`: given
names, compound place-name surnames, `.example` mail domains, Ofcom's drama phone ranges,
handle words), so a style-b return passes the upload check for generator-made files. The
construction is style b's own and is sized for scale: surnames take a second barrel when
the first is used up, email local parts and handles carry numbers drawn from wide ranges,
and every value is handed out once. Handles are written `{noun}{number}_{adjective}`, a
shape whose `handle_stem` (etl.pseudonymise) is the handle itself, so two unrelated
people never share a stem key by accident; a rotated account adds a suffix (`_uk`, `2`)
whose stem is the old handle, as ban evasion does. Phones are the scarce kind (16,000 drama
numbers), so `phone_share` says how often one can be given at a scale without running out.
"""

from __future__ import annotations

import random
import unicodedata

from etl.synth.names import (
    EMAIL_DOMAINS,
    FEMALE,
    HANDLE_ADJECTIVES,
    HANDLE_NOUNS,
    MALE,
    PHONE_RANGES,
    SURNAME_HEADS,
    SURNAME_TAILS,
)

ROTATION_SUFFIXES = ("_uk", "2", "_real", "_x", "_official", "_gb", "3")
# Shared relay addresses: one key, many unrelated senders (a stock key, never a series).
RELAYS = ("relay@anonbox.example", "noreply@securepost.example")
PHONE_SUPPLY = 16_000


def fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


class Registry:
    """Hands out names, emails, handles and phones, each once."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._names: set[str] = set()
        self._emails: set[str] = set(RELAYS)
        self._handles: set[str] = set()
        phones = [f"{prefix}{n:03d}" for prefix, _ in PHONE_RANGES for n in range(1000)]
        rng.shuffle(phones)
        self._phones = phones

    def name(self, gender: str | None = None) -> str:
        rng = self._rng
        gender = gender or rng.choice(("female", "male"))
        given_pool = FEMALE if gender == "female" else MALE
        for attempt in range(400):
            surname = rng.choice(SURNAME_HEADS) + rng.choice(SURNAME_TAILS)
            if attempt >= 20:
                surname += "-" + rng.choice(SURNAME_HEADS) + rng.choice(SURNAME_TAILS)
            name = f"{rng.choice(given_pool)} {surname}"
            if name.lower() not in self._names:
                self._names.add(name.lower())
                return name
        raise RuntimeError("ran out of invented names")

    def email(self, name: str | None = None) -> str:
        rng = self._rng
        for attempt in range(400):
            wide = 10 ** (2 + min(attempt // 50, 4))
            if name and rng.random() < 0.6:
                given, surname = fold(name).lower().split(" ", 1)
                surname = surname.replace("-", "")
                local = rng.choice((f"{given}{rng.randrange(wide)}.{surname[:5]}",
                                    f"{surname}{given[0]}{rng.randrange(wide)}",
                                    f"{given[0]}_{surname}{rng.randrange(wide)}"))
            else:
                local = rng.choice((
                    f"{rng.choice(HANDLE_NOUNS)}.{rng.choice(HANDLE_ADJECTIVES)}"
                    f"{rng.randrange(wide * 10)}",
                    f"{rng.choice(HANDLE_ADJECTIVES)}{rng.randrange(wide * 10)}"
                    f"{rng.choice(HANDLE_NOUNS)}",
                    f"x{rng.choice(HANDLE_NOUNS)}{rng.randrange(wide * 100)}",
                ))
            address = f"{local}@{rng.choice(EMAIL_DOMAINS)}"
            if address not in self._emails:
                self._emails.add(address)
                return address
        raise RuntimeError("ran out of invented email addresses")

    def handle(self) -> str:
        rng = self._rng
        for attempt in range(400):
            wide = 10 ** (3 + min(attempt // 50, 4))
            noun, adjective = rng.choice(HANDLE_NOUNS), rng.choice(HANDLE_ADJECTIVES)
            handle = f"{noun}{rng.randrange(10, wide)}_{adjective}"
            if rng.random() < 0.3:
                handle = handle.title()
            if handle.lower() not in self._handles:
                self._handles.add(handle.lower())
                return handle
        raise RuntimeError("ran out of invented handles")

    def rotated(self, base: str) -> str:
        """The next account of someone whose first one was suspended: a suffix on the old
        handle, so its `handle_stem` is the old handle (the first account itself has no
        stem key: ingest adds one only when a suffix comes off)."""
        for suffix in self._rng.sample(ROTATION_SUFFIXES, len(ROTATION_SUFFIXES)):
            candidate = base + suffix
            if candidate.lower() not in self._handles:
                self._handles.add(candidate.lower())
                return candidate
        return self.handle()

    def phone(self) -> str | None:
        return self._phones.pop() if self._phones else None

    @property
    def phones_left(self) -> int:
        return len(self._phones)


def phone_share(expected_holders: float) -> float:
    """How often a sender who would use a phone can be given one without exhausting the
    drama ranges (the rest fall back to an email address)."""
    if expected_holders <= 0:
        return 1.0
    return min(1.0, 0.8 * PHONE_SUPPLY / expected_holders)


def written_phone(rng: random.Random, national: str, in_text: bool = False) -> str:
    """The same number as different officers type it; ingest normalises all to E.164.

    The `0044` form is kept to the suspect columns: in free text ingest's redaction does
    not yet recognise it (its phone pattern wants `+44` or a leading 0), and a planted
    number must never reach the warehouse."""
    rest = national[1:]
    forms = [national, f"{national[:5]} {national[5:]}", f"+44 {rest[:4]} {rest[4:]}",
             f"+44{rest}", f"({national[:5]}) {national[5:8]} {national[8:]}",
             f"{national[:4]}-{national[4:7]}-{national[7:]}"]
    if not in_text:
        forms.append(f"0044 {rest}")
    return rng.choice(forms)


def written_email(rng: random.Random, address: str) -> str:
    """Capitals where someone typed them; the key (lower-cased) is the same."""
    if rng.random() < 0.2:
        local, domain = address.split("@", 1)
        return f"{local.capitalize()}@{domain}"
    if rng.random() < 0.05:
        return address.upper()
    return address


def written_handle(rng: random.Random, handle: str) -> str:
    if rng.random() < 0.15:
        return handle.lower()
    if rng.random() < 0.05:
        return handle.upper()
    return handle
