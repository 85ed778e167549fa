"""Each force's monthly return: which months a file covers, and which returns are late or
missing for a quarter.

Every force is expected to send a return for every month, due by the 15th of the month
after (`DUE_DAY`: our assumption of the PLaIT timetable, chosen from no data; change it
here). A file covers the months its name gives (`kent_2026-07_2026-09.csv`, `kent_202609`:
a day-stamped `2026-10-05` is when it was made, not what it covers), else the months from
its first to its last reported date. A month with no incident is covered only by a name, so
a force with a quiet month should name its periods.

For a month M of a quarter, at a given day, a force's return is:
- `received`: a file covering M was loaded;
- `missing`: not received, though the force has sent a later month (a gap that will not
  fill itself) or has never sent a return at all;
- `late`: not received, past its due date, and nothing later received;
- `not_due`: not received and not yet due.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl
from sqlalchemy import Connection, select

from etl.mapping import all_mappings
from etl.periods import add_months, last_complete_quarter, month_end, month_label
from etl.schema import raw_source_file

DUE_DAY = 15
MONTH_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})[-_]?(0[1-9]|1[0-2])(?!-?\d)")
STATUSES = ("received", "missing", "late", "not_due")


def file_period(path: Path, dates: pl.Series) -> tuple[dt.date, dt.date] | None:
    """The months a file covers: from its name when the name gives months, else from the
    first to the last of its rows' dates; None for a file with neither."""
    months = [dt.date(int(y), int(m), 1) for y, m in MONTH_IN_NAME.findall(path.stem)]
    if months:
        return min(months), month_end(max(months))
    dates = dates.drop_nulls()
    if dates.len() == 0:
        return None
    first, last = dates.min(), dates.max()
    return first.replace(day=1), month_end(last)  # type: ignore[union-attr]


def due_date(month: dt.date) -> dt.date:
    """The day a month's return is due by."""
    return add_months(month.replace(day=1), 1).replace(day=DUE_DAY)


def return_status(files: pl.DataFrame, force_ids: list[str], months: list[dt.date],
                  at: dt.date) -> pl.DataFrame:
    """One row per force and month: `force_id`, `month`, `status`, `due_date`.

    `files` holds the force returns loaded by `at`: `force_id`, `period_start_date`,
    `period_end_date` (a file with no period covers nothing)."""
    spans = files.filter(pl.col("period_start_date").is_not_null()).select(
        "force_id", "period_start_date", "period_end_date")
    grid = pl.DataFrame({"force_id": force_ids}).join(
        pl.DataFrame({"month": months}, schema={"month": pl.Date}), how="cross")
    covered = (
        grid.join(spans, on="force_id")
        .filter((pl.col("period_start_date") <= pl.col("month"))
                & (pl.col("period_end_date") >= pl.col("month").dt.month_end()))
        .select("force_id", "month").unique().with_columns(pl.lit(True).alias("received"))
    )
    last_sent = spans.group_by("force_id").agg(pl.col("period_end_date").max().alias("last"))
    due = pl.col("month").dt.offset_by("1mo") + pl.duration(days=DUE_DAY - 1)
    return (
        grid.join(covered, on=["force_id", "month"], how="left")
        .join(last_sent, on="force_id", how="left")
        .with_columns(due.alias("due_date"))
        .with_columns(
            pl.when(pl.col("received").fill_null(False)).then(pl.lit("received"))
            .when(pl.col("last").is_null() | (pl.col("last") > pl.col("month").dt.month_end()))
            .then(pl.lit("missing"))
            .when(pl.col("due_date") < pl.lit(at)).then(pl.lit("late"))
            .otherwise(pl.lit("not_due"))
            .alias("status"))
        .select("force_id", "month", "status", "due_date")
        .sort("force_id", "month")
    )


def overdue(status: pl.DataFrame) -> pl.DataFrame:
    """Per force with a late or missing month: `force_id`, `late` and `missing` (month
    labels, e.g. "Aug 2026, Sep 2026"), forces in order."""
    bad = status.filter(pl.col("status").is_in(["late", "missing"])).with_columns(
        pl.col("month").map_elements(month_label, return_dtype=pl.String).alias("label"))
    return (
        bad.group_by("force_id").agg(
            pl.col("label").filter(pl.col("status") == "late").str.join(", ").alias("late"),
            pl.col("label").filter(pl.col("status") == "missing").str.join(", ")
            .alias("missing"))
        .with_columns(pl.col(c).replace("", None) for c in ("late", "missing"))
        .sort("force_id")
    )


def loaded_returns(conn: Connection, known_through: int | None = None) -> pl.DataFrame:
    """The force returns loaded (up to file `known_through`): force and months covered."""
    f = raw_source_file
    query = select(f.c.force_id, f.c.period_start_date, f.c.period_end_date).where(
        f.c.kind == "force_return", f.c.force_id.is_not(None))
    if known_through is not None:
        query = query.where(f.c.source_file_id <= known_through)
    return pl.DataFrame(conn.execute(query).all(), orient="row", schema={
        "force_id": pl.String, "period_start_date": pl.Date, "period_end_date": pl.Date})


def quarter_months(start: dt.date) -> list[dt.date]:
    return [add_months(start, k) for k in range(3)]


def quarter_returns(conn: Connection, today: dt.date) -> tuple[dt.date, pl.DataFrame]:
    """The last complete quarter before today and every force's return status for its
    months (the forces with a mapping: those expected to send returns)."""
    quarter = last_complete_quarter(add_months(today.replace(day=1), -1))
    forces = sorted(m.force_id for m in all_mappings())
    return quarter, return_status(loaded_returns(conn), forces, quarter_months(quarter), today)
