"""Duplicates and restatements: repeated rows inside a file, re-sent incidents (the same
values again, or new ones), and crimes two forces recorded.

A force that sends an incident it sent before either repeats it (every canonical value the
same: a duplicate) or restates it: a new outcome, a reclassified offence, a corrected date.
A restatement becomes the incident's next version, naming the fields it changed; the
version it replaces is kept whole (etl/versions.py).

A crime transferred between forces is recorded twice: by the force that first took the
report, which closes its record as `transferred` (Home Office Counting Rules: the crime
then counts for the receiving force), and by the receiving force. The transferred record
is therefore the duplicate, whichever file arrives first, so counts never depend on load
order; its `duplicate_of` names the receiving force's record once both are in.
"""

from __future__ import annotations

import polars as pl

from etl.readers import SOURCE_ROW
from etl.vocabulary import CANONICAL_COLUMNS

TRANSFER_WINDOW_DAYS = (-3, 30)
RESTATABLE = tuple(c for c in CANONICAL_COLUMNS if c not in ("incident_id", "force_id"))
"""The values compared between a resent incident and the version held: every canonical
field but the id and the force, which name the incident."""


def within_file_repeats(rows: pl.DataFrame) -> pl.DataFrame:
    """Rows that repeat an earlier row of the same file byte for byte.

    Takes `source_row`, `row_hash`; returns `source_row` and `first_row` for each repeat.
    """
    first = rows.group_by("row_hash").agg(pl.col(SOURCE_ROW).min().alias("first_row"))
    return (
        rows.join(first, on="row_hash")
        .filter(pl.col(SOURCE_ROW) != pl.col("first_row"))
        .select(SOURCE_ROW, "first_row")
    )


def reused_references(accepted: pl.DataFrame) -> pl.DataFrame:
    """Rows whose incident_id an earlier row of the file already used, with other values."""
    first = accepted.group_by("incident_id").agg(pl.col(SOURCE_ROW).min().alias("first_row"))
    return (
        accepted.join(first, on="incident_id")
        .filter(pl.col(SOURCE_ROW) != pl.col("first_row"))
        .select(SOURCE_ROW, "incident_id", "first_row")
    )


def restatements(incoming: pl.DataFrame, held: pl.DataFrame) -> pl.DataFrame:
    """Incoming rows of incidents already held, each with the fields it changes.

    `incoming` has the canonical columns and `source_row`; `held` the canonical columns and
    `version` of the current versions. Returns `source_row`, `incident_id`, `version` (the
    held one) and `changed_fields`: the fields whose value differs, `;`-joined in canonical
    order, empty for an exact resend. Nulls compare equal to nulls; dates and numbers by
    value, so a resend in another file layout is still recognised.
    """
    joined = incoming.select(SOURCE_ROW, *CANONICAL_COLUMNS).join(
        held.select(*CANONICAL_COLUMNS, "version"), on="incident_id", suffix="_held"
    )
    changed = [
        pl.when(pl.col(c).eq_missing(pl.col(f"{c}_held").cast(joined.schema[c])))
        .then(pl.lit(None, pl.String))
        .otherwise(pl.lit(c))
        for c in RESTATABLE
    ]
    return joined.select(
        SOURCE_ROW,
        "incident_id",
        "version",
        pl.concat_str(changed, separator=";", ignore_nulls=True).alias("changed_fields"),
    )


def match_transfers(transferred: pl.DataFrame, receivers: pl.DataFrame) -> pl.DataFrame:
    """Pair each transferred record with the receiving force's record of the same crime.

    Same victim and offence group, another force, reported from 3 days before to 30 days
    after; the nearest date wins, then the smallest incident_id, so the result is stable.
    Both frames need incident_id, force_id, victim_id, offence_group, reported_date.
    Returns incident_id (the transferred record) and duplicate_of.
    """
    cols = ["incident_id", "force_id", "victim_id", "offence_group", "reported_date"]
    low, high = TRANSFER_WINDOW_DAYS
    pairs = (
        transferred.select(cols)
        .filter(pl.col("victim_id").is_not_null())
        .join(
            receivers.select(cols).filter(pl.col("victim_id").is_not_null()),
            on=["victim_id", "offence_group"],
            suffix="_to",
        )
        .filter(pl.col("force_id") != pl.col("force_id_to"))
        .with_columns(
            (pl.col("reported_date_to") - pl.col("reported_date")).dt.total_days().alias("gap")
        )
        .filter(pl.col("gap").is_between(low, high))
        .sort(pl.col("gap").abs(), "incident_id_to")
    )
    return pairs.unique("incident_id", keep="first", maintain_order=True).select(
        "incident_id", pl.col("incident_id_to").alias("duplicate_of")
    )
