"""Suspect identifiers and victim names → keyed hashes (HMAC-SHA256, DESIGN.md).

Identifiers are normalised before hashing so that one person's `J.Smith@Mail.com` and
`j.smith@mail.com`, or `07700 900123` and `+44 7700 900123`, give the same key, which is
what series linkage needs. Each key hashes `kind:value`, so an email and a handle that
happen to share text never collide. A handle also gives a `handle_stem` key with rotation
suffixes (`_uk`, digits) removed: offenders evading a ban keep the stem.

Key rotation. A keyed hash is one-way and the raw values are never kept, so a new key cannot
be applied to them. Instead `plait rekey` wraps every stored hash in the new key:
`wrap(new, h) = HMAC(new, "rekey:" + h)`, truncated to the stored length, and ingest from
then on hashes through the same chain of keys (`KeyChain`: the first key, then a wrap per
later key), so a person hashed before and after the rotation still gets one value and every
link between incidents holds. Security rests on the newest key alone: without it a
candidate value cannot be tested against any stored hash, whoever holds the older keys
(the development key is public). The retired keys are kept in the warehouse
(`meta_pseudonym_key`) for ingest to use.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

import polars as pl

KEY_HEX_CHARS = 32
VICTIM_HEX_CHARS = 20
FINGERPRINT_TEXT = b"plait key fingerprint"


@dataclass(frozen=True)
class KeyChain:
    """The keys hashes are made with, oldest first: hashed with the first, wrapped in each
    later one (see "Key rotation" above). A single key is a chain of one."""

    keys: tuple[bytes, ...]

    @property
    def current(self) -> bytes:
        return self.keys[-1]


Key = bytes | KeyChain


def _keys(key: Key) -> tuple[bytes, ...]:
    return key.keys if isinstance(key, KeyChain) else (key,)


def fingerprint(key: bytes) -> str:
    """Names a key without revealing it (stored to refuse a wrong key at ingest)."""
    return hmac.new(key, FINGERPRINT_TEXT, hashlib.sha256).hexdigest()[:KEY_HEX_CHARS]


def wrap(key: bytes, stored: str) -> str:
    """A stored keyed hash (suspect key `h` or victim id `v…`) wrapped in one more key."""
    mac = hmac.new(key, f"rekey:{stored}".encode(), hashlib.sha256).hexdigest()
    if stored.startswith("v") and len(stored) == VICTIM_HEX_CHARS + 1:
        return "v" + mac[:VICTIM_HEX_CHARS]
    return mac[:KEY_HEX_CHARS]
EMAIL = re.compile(r"^[\w.+'-]+@[\w-]+(?:\.[\w-]+)+$")
HANDLE = re.compile(r"^@?[A-Za-z0-9_.]{2,40}$")
HANDLE_SUFFIX = re.compile(r"(?:[_.\-]?(?:uk|gb|official|real|x)|[_.\-]?\d+|_+)$")
SPLIT = re.compile(r"[;,|\n]+")


def keyed_hash(key: Key, text: str) -> str:
    first, *later = _keys(key)
    out = hmac.new(first, text.encode("utf-8"), hashlib.sha256).hexdigest()[:KEY_HEX_CHARS]
    for k in later:
        out = wrap(k, out)
    return out


def normalise_phone(raw: str) -> str | None:
    """A UK number in E.164 (`+447700900123`), or None when it is not a phone number."""
    digits = re.sub(r"\D", "", raw)
    if digits.startswith("00"):
        digits = digits[2:]
        raw = "+" + digits
    if raw.strip().startswith("+") or digits.startswith("44"):
        if not digits.startswith("44"):
            return "+" + digits if 8 <= len(digits) <= 15 else None
        digits = "0" + digits[2:].removeprefix("0")
    if digits.startswith("0") and len(digits) in (10, 11):
        return "+44" + digits[1:]
    return None


def handle_stem(handle: str) -> str:
    stem = handle
    while True:
        shorter = HANDLE_SUFFIX.sub("", stem)
        if shorter == stem or len(shorter) < 3:
            return stem
        stem = shorter


def identifier_tokens(cell: str, hint: str = "") -> list[tuple[str, str]]:
    """Split a cell that may hold several identifiers and label each as email, phone or handle.

    `hint` is the column name: a column called "Suspect Phone" holds phones even when one is
    written oddly. Tokens that are none of these are kept as `other` so nothing is dropped
    unhashed.
    """
    hint = hint.lower()
    out: list[tuple[str, str]] = []
    for token in SPLIT.split(cell):
        token = token.strip()
        if not token:
            continue
        lowered = token.lower()
        phone = normalise_phone(token)
        if EMAIL.match(token):
            out.append(("email", lowered))
        elif phone and ("phone" in hint or "tel" in hint or not HANDLE.match(token)
                        or token.startswith(("0", "+"))):
            out.append(("phone", phone))
        elif HANDLE.match(token) and (token.startswith("@") or not any(
            w in hint for w in ("email", "phone", "tel")
        )):
            handle = lowered.lstrip("@")
            out.append(("handle", handle))
            stem = handle_stem(handle)
            if stem != handle:
                out.append(("handle_stem", stem))
        else:
            out.append(("other", " ".join(lowered.split())))
    return out


def normalise_name(name: str) -> str:
    return " ".join(re.sub(r"[^\w\s'-]", " ", name.lower()).split())


def suspect_keys(identifiers: list[tuple[str, str]], names: list[str], key: Key) -> str:
    """The `;`-joined, sorted, distinct keys of one incident (the CSV form of the contract)."""
    texts = {f"{kind}:{value}" for kind, value in identifiers}
    texts |= {f"name:{normalise_name(n)}" for n in names if normalise_name(n)}
    return ";".join(sorted({keyed_hash(key, t) for t in texts}))


def victim_id(name: str | None, key: Key) -> str | None:
    """A pseudonymous, stable member id: the same person in two forces' extracts agrees."""
    if name is None or not normalise_name(name):
        return None
    first, *later = _keys(key)
    out = "v" + keyed_hash(first, f"victim:{normalise_name(name)}")[:VICTIM_HEX_CHARS]
    for k in later:
        out = wrap(k, out)
    return out


def add_pseudonyms(
    frame: pl.DataFrame,
    *,
    identifier_columns: tuple[str, ...],
    key: Key,
) -> pl.DataFrame:
    """Add `suspect_keys` and `victim_id` from the raw columns (which the caller then drops)."""
    keys: list[str] = []
    id_cols = [c for c in identifier_columns if c in frame.columns]
    rows = frame.select(
        *[pl.col(c) for c in id_cols],
        pl.col("suspect_name") if "suspect_name" in frame.columns else pl.lit(None, pl.String),
    ).rows()
    for row in rows:
        tokens: list[tuple[str, str]] = []
        for col, cell in zip(id_cols, row[:-1], strict=True):
            if cell:
                tokens.extend(identifier_tokens(cell, col))
        names = [row[-1]] if row[-1] else []
        keys.append(suspect_keys(tokens, names, key))
    victims = (
        frame["victim_name"].to_list() if "victim_name" in frame.columns else [None] * frame.height
    )
    return frame.with_columns(
        pl.Series("suspect_keys", keys, dtype=pl.String),
        pl.Series("victim_id", [victim_id(v, key) for v in victims], dtype=pl.String),
    )
