"""The share of incidents flagged as hate crime, by strand, and its trend.

Home Office hate crime statistics count the five monitored strands (race, religion, sexual
orientation, disability, transgender identity); forces also flag sex (misogyny), so it is
reported too. A single incident carries at most one strand here, so the strands add up to
"any". The trend compares the report quarter's share with the four quarters before, pooled,
as a difference in percentage points with the Newcombe interval (`proportions.share_change`).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from analytics.areas import by_area
from analytics.proportions import (
    CHANGE_KEYS,
    level_order,
    report_window,
    share_change,
    window_periods,
)

STRANDS: tuple[str, ...] = (
    "race", "religion", "sexual_orientation", "disability", "transgender", "sex")
ANY = "any"


def hate_share(incidents: pl.DataFrame, quarter: dt.date) -> pl.DataFrame:
    """Per area, period (the report quarter and the four before it) and strand (each of
    `STRANDS`, any other strand the data hold, and "any"): hate_count, incident_count and
    share (null when there were no incidents).

    The report quarter's rows also carry previous_hate_count and previous_incident_count
    (the four quarters pooled) and change_pp, change_ci_low, change_ci_high and
    change_p_value; these are null on the earlier periods' rows. Every area with an incident
    in the five quarters has every period and strand.
    """
    window = by_area(report_window(incidents, quarter))
    strands = sorted(set(STRANDS) | set(window["hate_strand"].drop_nulls()),
                     key=lambda s: (s not in STRANDS, STRANDS.index(s) if s in STRANDS else 0, s))
    grid = (
        window.select("level", "unit").unique()
        .join(pl.DataFrame({"period": window_periods(quarter)}, schema={"period": pl.Date}),
              how="cross")
        .join(pl.DataFrame({"strand": [*strands, ANY]}), how="cross")
    )
    totals = window.group_by("level", "unit", "period").agg(incident_count=pl.len())
    by_strand = (
        window.filter(pl.col("hate_strand").is_not_null())
        .group_by("level", "unit", "period", pl.col("hate_strand").alias("strand"))
        .agg(hate_count=pl.len())
    )
    any_strand = by_strand.group_by("level", "unit", "period").agg(
        pl.lit(ANY).alias("strand"), pl.col("hate_count").sum())
    rows = (
        grid.join(pl.concat([by_strand, any_strand], how="diagonal"),
                  on=["level", "unit", "period", "strand"], how="left")
        .join(totals, on=["level", "unit", "period"], how="left")
        .with_columns(pl.col("hate_count", "incident_count").fill_null(0).cast(pl.Int64))
        .with_columns(share=pl.when(pl.col("incident_count") > 0)
                      .then(pl.col("hate_count") / pl.col("incident_count")))
    )
    return _with_trend(rows, quarter).sort(
        level_order(), "unit", "period",
        pl.col("strand").replace_strict({s: i for i, s in enumerate([*strands, ANY])},
                                        return_dtype=pl.Int32))


def _with_trend(rows: pl.DataFrame, quarter: dt.date) -> pl.DataFrame:
    previous = rows.filter(pl.col("period") < quarter).group_by("level", "unit", "strand").agg(
        previous_hate_count=pl.col("hate_count").sum(),
        previous_incident_count=pl.col("incident_count").sum(),
    )
    current = rows.filter(pl.col("period") == quarter).join(
        previous, on=["level", "unit", "strand"], how="left")
    keys = ("hate_count", "incident_count", "previous_hate_count", "previous_incident_count")
    changes = [share_change(*counts) for counts in current.select(keys).iter_rows()]
    trend = current.select(
        "level", "unit", "period", "strand", "previous_hate_count", "previous_incident_count",
        *[pl.Series(k, [c[k] for c in changes], dtype=pl.Float64) for k in CHANGE_KEYS],
    )
    return rows.join(trend, on=["level", "unit", "period", "strand"], how="left")
