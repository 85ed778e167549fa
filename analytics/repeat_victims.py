"""Repeat victimisation: how concentrated offending is on a few members, and its trend.

A small share of victims suffers a large share of crime (Farrell and Pease 1993, "Once
bitten, twice bitten", Home Office Crime Prevention Unit Paper 46), and for MPs the
concentration is a protective-security signal in itself: a rise means offenders are fixing
on particular members. Two measures, both per quarter:

- repeat victims: victims with 2 or more incidents reported in the quarter, and the
  incidents on them (the Crime Survey for England and Wales defines repeat victimisation
  within a fixed period the same way, there a year);
- the top decile: the incidents on the most-targeted 10 % of victims, ceil(0.1 × victims),
  so even 1 to 9 victims give a top decile of one victim. Ties in incident counts are broken
  by `victim_id` (a keyed hash, so in effect at random but the same on every run).

Only incidents with a `victim_id` count: without it an incident cannot be attributed.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import polars as pl

from analytics.areas import by_area
from analytics.proportions import (
    level_order,
    report_window,
    share_change,
    window_periods,
    with_share_change,
)

Measure = Literal["repeat_victim", "repeat_incident", "top_decile"]

MEASURES: dict[str, tuple[str, str]] = {
    "repeat_victim": ("repeat_victim_count", "victim_count"),
    "repeat_incident": ("repeat_incident_count", "incident_count"),
    "top_decile": ("top_decile_incident_count", "incident_count"),
}
"""Each trend measure as (numerator, denominator) columns of `repeat_victimisation`."""

COUNT_COLUMNS: tuple[str, ...] = (
    "incident_count", "victim_count", "repeat_victim_count", "repeat_incident_count",
    "top_decile_victim_count", "top_decile_incident_count",
)

__all__ = ["MEASURES", "repeat_victim_trend", "repeat_victimisation", "share_change"]


def repeat_victimisation(incidents: pl.DataFrame, quarter: dt.date) -> pl.DataFrame:
    """Per level, unit and period (the report quarter and the four before it): the counts
    above, `top_decile_share` (top-decile incidents / incidents) and the two repeat shares.

    Columns: level, unit, period, incident_count, victim_count, repeat_victim_count,
    repeat_incident_count, top_decile_victim_count, top_decile_incident_count,
    top_decile_share, repeat_victim_share, repeat_incident_share. Every area with an
    attributed incident in the five quarters has all five periods (zero counts and null
    shares where it had none).
    """
    window = by_area(report_window(incidents, quarter).filter(pl.col("victim_id").is_not_null()))
    per_victim = (
        window.group_by("level", "unit", "period", "victim_id")
        .agg(n=pl.len())
        .sort("level", "unit", "period", pl.col("n"), "victim_id",
              descending=[False, False, False, True, False])
        .with_columns(
            rank=pl.int_range(1, pl.len() + 1).over("level", "unit", "period"),
            victims=pl.len().over("level", "unit", "period"),
        )
        .with_columns(top=(pl.col("victims") + 9) // 10)
    )
    counts = per_victim.group_by("level", "unit", "period").agg(
        incident_count=pl.col("n").sum(),
        victim_count=pl.len(),
        repeat_victim_count=(pl.col("n") >= 2).sum(),
        repeat_incident_count=pl.col("n").filter(pl.col("n") >= 2).sum(),
        top_decile_victim_count=pl.col("top").first(),
        top_decile_incident_count=pl.col("n").filter(pl.col("rank") <= pl.col("top")).sum(),
    )
    grid = window.select("level", "unit").unique().join(
        pl.DataFrame({"period": window_periods(quarter)}, schema={"period": pl.Date}),
        how="cross",
    )
    out = grid.join(counts, on=["level", "unit", "period"], how="left").with_columns(
        pl.col(c).fill_null(0).cast(pl.Int64) for c in COUNT_COLUMNS
    )
    return out.with_columns(
        _ratio("top_decile_incident_count", "incident_count").alias("top_decile_share"),
        _ratio("repeat_victim_count", "victim_count").alias("repeat_victim_share"),
        _ratio("repeat_incident_count", "incident_count").alias("repeat_incident_share"),
    ).sort(level_order(), "unit", "period")


def repeat_victim_trend(rows: pl.DataFrame, measure: Measure = "repeat_victim") -> pl.DataFrame:
    """Per area, the report quarter's share against the pooled four before it.

    `rows` is the output of `repeat_victimisation`; its latest period is the report quarter.
    `measure` picks the share (`MEASURES`): by default repeat victims among victims, the
    survey's repeat victimisation rate, which takes victims rather than incidents as the
    trials and so leans less on the independence `share_change` assumes. Pooling sums the
    four quarters' counts, so a member who was a repeat victim in two quarters counts twice.

    Columns: level, unit, measure, current_count, current_total_count, previous_count,
    previous_total_count, current_share, previous_share, change_pp, change_ci_low,
    change_ci_high, change_p_value.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {sorted(MEASURES)}, not {measure!r}")
    numerator, denominator = MEASURES[measure]
    current = rows["period"].max()
    pooled = rows.group_by("level", "unit").agg(
        current_count=pl.col(numerator).filter(pl.col("period") == current).sum(),
        current_total_count=pl.col(denominator).filter(pl.col("period") == current).sum(),
        previous_count=pl.col(numerator).filter(pl.col("period") < current).sum(),
        previous_total_count=pl.col(denominator).filter(pl.col("period") < current).sum(),
    ).sort(level_order(), "unit")
    return with_share_change(pooled).select(
        "level", "unit", pl.lit(measure).alias("measure"), pl.exclude("level", "unit")
    )


def _ratio(numerator: str, denominator: str) -> pl.Expr:
    return pl.when(pl.col(denominator) > 0).then(pl.col(numerator) / pl.col(denominator))
