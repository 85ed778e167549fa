"""Emerging terms: words in the report quarter's summaries used more than before.

Monroe, Colaresi and Quinn (2008), "Fightin' words: lexical feature selection and evaluation
for identifying the content of political conflict", Political Analysis 16(4):372–403, §3.5:
the log-odds ratio of a word between two corpora, shrunk by an informative Dirichlet prior,
divided by its approximate standard error. Raw frequency differences rank common words
first and raw log-odds rank rare words first; the prior-smoothed z-score does neither.

Corpus i is the report quarter's summaries in an area, corpus j the four quarters before.
With y_wi the count of word w in i, n_i = Σ_w y_wi, the prior α_w = α0 · (y_wi + y_wj) /
(n_i + n_j) (the word's frequency in the background, here both corpora together) and
α0 = `prior_size`:

    δ_w = log((y_wi + α_w) / (n_i + α0 − y_wi − α_w))
          − log((y_wj + α_w) / (n_j + α0 − y_wj − α_w))
    σ²_w ≈ 1 / (y_wi + α_w) + 1 / (y_wj + α_w),   z_w = δ_w / σ_w

α0 is fixed rather than the corpus size, so the prior weighs more against a region's few
hundred term-incident pairs than against the nation's thousands: small areas, whose counts
are noisier, are shrunk more. It is 100, not larger, because `min_count` already keeps rare
words out (the problem the prior solves in the paper) and a larger prior swamps a region:
with α0 = 1000 a term going from 4 of 60 incidents to 8 of 15 in a region (about 150 pairs
a quarter) scores z ≈ 1.7 and would not be reported; with α0 = 100 it scores about 3.

Counting: a word counts at most once per incident (document frequency), so one officer who
repeats a word in one summary cannot make it look like a trend; y_wi is the number of the
quarter's incidents using w and n_i the total of such term-incident pairs. Only national and
regional figures are given: a force's quarter holds few incidents, and a term there can
point to a single case.

Privacy guards (DESIGN.md, sensitive fields): summaries are redacted at ingest, and this
module adds four more so that nothing the release prints as a "term" identifies anyone.
1. Redaction placeholders (`[email]`, `[name]`, ..., etl/redaction.py) are dropped before
   counting, and the placeholder words themselves are never output.
2. Tokens are lower-cased words of 3+ letters only; a word joined to digits or underscores
   (a hash, a handle, a reference) is dropped whole, and so is any run of 16+ hex letters
   (keyed hashes, etl/pseudonymise.py).
3. Stop words: scikit-learn's `ENGLISH_STOP_WORDS` and the domain words in `DOMAIN_STOP_WORDS`.
4. Probable proper nouns: a word capitalised in the majority of its mid-sentence uses across
   all the summaries read (a name that escaped redaction, a street, a town). Sentence
   starts (and words after `: ; "`) say nothing about capitalisation and are not counted.
   A word never seen mid-sentence cannot be judged and is kept; redaction remains the first
   guard. Words in block capitals count as capitalised, because police write surnames
   that way (John SMITH); the cost is that slogans shouted in capitals ("WAKE UP") and
   platform names are never reported as terms.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import numpy as np
import polars as pl
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from analytics.areas import by_area
from analytics.proportions import level_order, report_window

PRIOR_SIZE = 100.0
"""α0, the total weight of the informative Dirichlet prior, in term-incident pairs."""

LEVELS: tuple[str, ...] = ("national", "region")

PLACEHOLDER_WORDS: frozenset[str] = frozenset(
    {"url", "email", "phone", "postcode", "handle", "name"})
"""The words inside etl/redaction.py's placeholders, never output as terms."""

DOMAIN_STOP_WORDS: frozenset[str] = frozenset({
    "victim", "victims", "suspect", "suspects", "reported", "report", "reports", "reporting",
    "mp", "mps", "member", "members", "incident", "incidents", "offence", "offences",
    "police", "officer", "officers", "crime", "crimes", "informant",
})
"""Words every summary uses whatever happened: they cannot signal a new trend."""

STOP_WORDS: frozenset[str] = frozenset(ENGLISH_STOP_WORDS) | DOMAIN_STOP_WORDS | PLACEHOLDER_WORDS

_TOKEN = re.compile(r"\[[^\]\s]{1,30}\]|\w+")
_PLACEHOLDER = re.compile(r"^\[[^\]\s]{1,30}\]$")
_LETTERS = re.compile(r"^[^\W\d_]{3,}$")
_HEX_RUN = re.compile(r"^[a-f]{16,}$")
_SENTENCE_BREAK = re.compile(r"[.!?:;\"“”\n]")

TERMS_SCHEMA: dict[str, pl.DataType] = {
    "level": pl.String(), "unit": pl.String(), "term": pl.String(),
    "current_count": pl.Int64(), "previous_count": pl.Int64(),
    "current_total_count": pl.Int64(), "previous_total_count": pl.Int64(),
    "log_odds": pl.Float64(), "z_score": pl.Float64(), "rank": pl.Int64(),
}


def summary_tokens(text: str) -> list[tuple[str, bool, bool]]:
    """(lower-cased term, is mid-sentence, is capitalised) for each candidate word of a
    summary, in order; placeholders, words with digits, short words and hex runs are
    dropped, though a placeholder still counts as a word for sentence position."""
    out: list[tuple[str, bool, bool]] = []
    previous_end: int | None = None
    for found in _TOKEN.finditer(text or ""):
        word = found.group()
        gap = text[previous_end:found.start()] if previous_end is not None else "."
        previous_end = found.end()
        mid_sentence = _SENTENCE_BREAK.search(gap) is None
        if _PLACEHOLDER.match(word) or not _LETTERS.match(word):
            continue
        term = word.lower()
        if _HEX_RUN.match(term):
            continue
        out.append((term, mid_sentence, word[0].isupper()))
    return out


def probable_proper_nouns(summaries: list[str]) -> set[str]:
    """Terms capitalised in more than half of their mid-sentence uses (the privacy guard)."""
    mid: Counter[str] = Counter()
    capitalised: Counter[str] = Counter()
    for text in summaries:
        for term, mid_sentence, is_capital in summary_tokens(text):
            if mid_sentence:
                mid[term] += 1
                capitalised[term] += is_capital
    return {term for term, n in mid.items() if capitalised[term] > n / 2}


def emerging_terms(
    incidents: pl.DataFrame,
    quarter: dt.date,
    top: int = 20,
    min_count: int = 8,
    *,
    prior_size: float = PRIOR_SIZE,
    min_z: float = 1.96,
) -> pl.DataFrame:
    """Per national and regional area, up to `top` terms with `current_count >= min_count`
    and `z_score > min_z`, highest z first. Columns as `TERMS_SCHEMA`: current_count and
    previous_count are incidents using the term; current_total_count and
    previous_total_count are the area's incidents in the quarter and the previous four.
    """
    window = report_window(incidents, quarter).select(
        "incident_id", "force_id", "police_region", "is_current", "summary")
    texts = window["summary"].fill_null("").to_list()
    excluded = STOP_WORDS | probable_proper_nouns(texts)
    pairs = [
        (incident_id, term)
        for incident_id, text in zip(window["incident_id"], texts, strict=True)
        for term in {t for t, _, _ in summary_tokens(text)} - excluded
    ]
    terms = pl.DataFrame(pairs, schema={"incident_id": pl.String, "term": pl.String},
                         orient="row")
    areas = by_area(window.drop("summary")).filter(pl.col("level").is_in(LEVELS))
    totals = areas.group_by("level", "unit").agg(
        current_total_count=pl.col("is_current").sum().cast(pl.Int64),
        previous_total_count=(~pl.col("is_current")).sum().cast(pl.Int64),
    )
    counts = (
        areas.join(terms, on="incident_id")
        .group_by("level", "unit", "term")
        .agg(current_count=pl.col("is_current").sum().cast(pl.Int64),
             previous_count=(~pl.col("is_current")).sum().cast(pl.Int64))
        .join(totals, on=["level", "unit"])
    )
    if counts.is_empty():
        return pl.DataFrame(schema=TERMS_SCHEMA)
    scored = pl.concat([
        _scored(area, prior_size)
        for _, area in counts.group_by("level", "unit", maintain_order=True)
    ])
    return (
        scored.filter((pl.col("current_count") >= min_count) & (pl.col("z_score") > min_z))
        .sort(level_order(), "unit", pl.col("z_score"), "term",
              descending=[False, False, True, False])
        .with_columns(rank=pl.int_range(1, pl.len() + 1).over("level", "unit").cast(pl.Int64))
        .filter(pl.col("rank") <= top)
        .select(TERMS_SCHEMA.keys())
    )


def log_odds_z(
    current: np.ndarray, previous: np.ndarray, prior_size: float = PRIOR_SIZE
) -> tuple[np.ndarray, np.ndarray]:
    """δ_w and z_w of Monroe, Colaresi and Quinn (2008) for aligned count vectors y_wi, y_wj
    (every term of the vocabulary once), with the background prior described above."""
    y_i = np.asarray(current, dtype=np.float64)
    y_j = np.asarray(previous, dtype=np.float64)
    n_i, n_j = y_i.sum(), y_j.sum()
    with np.errstate(divide="ignore", invalid="ignore"):  # a one-word vocabulary gives NaN
        alpha = prior_size * (y_i + y_j) / (n_i + n_j)
        delta = (np.log((y_i + alpha) / (n_i + prior_size - y_i - alpha))
                 - np.log((y_j + alpha) / (n_j + prior_size - y_j - alpha)))
        variance = 1.0 / (y_i + alpha) + 1.0 / (y_j + alpha)
        return delta, delta / np.sqrt(variance)


def _scored(area: pl.DataFrame, prior_size: float) -> pl.DataFrame:
    delta, z = log_odds_z(area["current_count"].to_numpy(), area["previous_count"].to_numpy(),
                          prior_size)
    return area.with_columns(pl.Series("log_odds", delta), pl.Series("z_score", z))

