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


NAMES_PER_PATTERN = 400


def name_patterns(names: list[str]) -> list[str]:
    """Case-insensitive alternations over full names and their parts of 3+ letters.

    Split into chunks, because one alternation over every name in a large force's file
    exceeds the regex engine's compiled-size limit.
    """
    parts: set[str] = set()
    for name in names:
        clean = " ".join(name.split())
        if not clean:
            continue
        parts.add(clean)
        parts.update(p for p in re.split(r"[\s-]+", clean) if len(p) >= 3)
    ordered = sorted(parts, key=lambda p: (-len(p), p))
    return [
        r"(?i)\b(?:" + "|".join(re.escape(p) for p in ordered[i : i + NAMES_PER_PATTERN]) + r")\b"
        for i in range(0, len(ordered), NAMES_PER_PATTERN)
    ]


def redact(expr: pl.Expr, names: list[str] | None = None) -> pl.Expr:
    """Redacted text: the placeholders say what was removed, so an analyst can still read MO."""
    for regex, placeholder in PATTERNS[:5]:
        expr = expr.str.replace_all(regex, placeholder)
    for pattern in name_patterns(names or []):
        expr = expr.str.replace_all(pattern, "[name]")
    for regex, placeholder in PATTERNS[5:]:
        expr = expr.str.replace_all(regex, placeholder)
    return expr
