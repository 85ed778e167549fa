"""Free-text redaction at ingest: emails, phone numbers, postcodes, URLs, handles and names.

Patterns catch what has a shape; names have none, so the caller passes every victim and
suspect name seen in the file, and a name followed by "MP" or after a salutation is caught
even when it belongs to someone named elsewhere.
"""

from __future__ import annotations

import re

import polars as pl

PATTERNS: tuple[tuple[str, str], ...] = (
    (r"(?i)\b(?:https?://|www\.)\S+", "[url]"),
    (r"(?i)[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", "[email]"),
    (r"(?:\+44\s?\(?0?\)?\s?|\(?\b0)\d{2,4}\)?[\s-]?\d{3,4}[\s-]?\d{3,4}\b", "[phone]"),
    (r"(?i)\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", "[postcode]"),
    (r"@[A-Za-z0-9_][A-Za-z0-9_.]+", "[handle]"),
    (r"\b(?:\p{Lu}[\p{L}'’.-]*\s+){1,3}(?:MP|M\.P\.)\b", "[name] MP"),
    (
        r"\b(?:Dear|Mr|Mrs|Ms|Miss|Dr|Sir|Dame|Cllr|Councillor)\.?\s+(?:\p{Lu}[\p{L}'’-]*\s?){1,3}",
        "[name] ",
    ),
)


def name_pattern(names: list[str]) -> str | None:
    """One case-insensitive alternation over full names and their parts of 3+ letters."""
    parts: set[str] = set()
    for name in names:
        clean = " ".join(name.split())
        if not clean:
            continue
        parts.add(clean)
        parts.update(p for p in re.split(r"[\s-]+", clean) if len(p) >= 3)
    if not parts:
        return None
    ordered = sorted(parts, key=len, reverse=True)
    return r"(?i)\b(?:" + "|".join(re.escape(p) for p in ordered) + r")\b"


def redact(expr: pl.Expr, names: list[str] | None = None) -> pl.Expr:
    """Redacted text: the placeholders say what was removed, so an analyst can still read MO."""
    for regex, placeholder in PATTERNS[:5]:
        expr = expr.str.replace_all(regex, placeholder)
    pattern = name_pattern(names or [])
    if pattern is not None:
        expr = expr.str.replace_all(pattern, "[name]")
    for regex, placeholder in PATTERNS[5:]:
        expr = expr.str.replace_all(regex, placeholder)
    return expr
