"""Duplicates: repeated rows inside a file, re-sent incidents, and crimes two forces recorded.

A crime transferred between forces is recorded twice: by the force that first took the
report, which closes its record as `transferred` (Home Office Counting Rules: the crime
then counts for the receiving force), and by the receiving force. The transferred record
is therefore the duplicate, whichever file arrives first, so counts never depend on load
order; its `duplicate_of` names the receiving force's record once both are in.
"""

from __future__ import annotations

import polars as pl

from etl.readers import SOURCE_ROW

TRANSFER_WINDOW_DAYS = (-3, 30)


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
