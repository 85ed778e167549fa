"""Incidents → the count series every model runs on.

Series are cut three ways by where (national, police region, force) and three ways by what
(all offences, each offence group, each channel): 9 families, about 1,100 monthly series
and as many quarterly. Every unit and category gets a full calendar with zeros, because a
force with no harassment this month has a count of 0, not a missing value. A crime recorded
by two forces counts once: rows marked `is_duplicate` are left out.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import polars as pl

from etl.vocabulary import CHANNELS, OFFENCE_GROUPS

Frequency = Literal["month", "quarter"]
LEVELS: tuple[str, ...] = ("national", "region", "force")
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "all": ("all",),
    "offence_group": OFFENCE_GROUPS,
    "channel": CHANNELS,
}
SERIES_KEYS: tuple[str, ...] = ("level", "unit", "dimension", "category")


def series_id(level: str, unit: str, dimension: str, category: str) -> str:
    """`force:metropolitan|offence_group:harassment`; `national:all|all:all` for the total."""
    return f"{level}:{unit}|{dimension}:{category}"


def period_start(dates: pl.Expr, freq: Frequency) -> pl.Expr:
    return dates.dt.truncate("1mo" if freq == "month" else "1q")


def calendar(first: dt.date, last: dt.date, freq: Frequency) -> pl.Series:
    """Period starts from the period of `first` to the period of `last`, inclusive."""
    frame = pl.DataFrame({"d": [first, last]}).select(period_start(pl.col("d"), freq))
    start, end = frame["d"][0], frame["d"][1]
    return pl.date_range(start, end, "1mo" if freq == "month" else "3mo", eager=True).alias(
        "period")


def count_series(incidents: pl.DataFrame, forces: pl.DataFrame, freq: Frequency,
                 first: dt.date, last: dt.date) -> pl.DataFrame:
    """Counts per series and period, zero-filled, from `first` to `last` (period starts).

    `incidents` needs reported_date, force_id, offence_group, channel, is_duplicate;
    `forces` needs force_id and police_region. Returns series_id, level, unit, dimension,
    category, period, count.
    """
    periods = calendar(first, last, freq)
    kept = (
        incidents.filter(~pl.col("is_duplicate").cast(pl.Boolean))
        .join(forces.select("force_id", "police_region"), on="force_id", how="left")
        .with_columns(period_start(pl.col("reported_date"), freq).alias("period"))
        .filter(pl.col("period").is_between(periods[0], periods[-1]))
    )
    units = {
        "national": pl.DataFrame({"unit": ["all"]}),
        "region": forces.select(pl.col("police_region").alias("unit")).unique().sort("unit"),
        "force": forces.select(pl.col("force_id").alias("unit")).unique().sort("unit"),
    }
    unit_expr = {
        "national": pl.lit("all"),
        "region": pl.col("police_region"),
        "force": pl.col("force_id"),
    }
    frames = []
    for level in LEVELS:
        for dimension, categories in DIMENSIONS.items():
            category_expr = pl.lit("all") if dimension == "all" else pl.col(dimension)
            counted = (
                kept.group_by(unit_expr[level].alias("unit"), category_expr.alias("category"),
                              "period")
                .len("count")
            )
            grid = (
                units[level]
                .join(pl.DataFrame({"category": list(categories)}), how="cross")
                .join(periods.to_frame(), how="cross")
            )
            frames.append(
                grid.join(counted, on=["unit", "category", "period"], how="left")
                .with_columns(
                    pl.col("count").fill_null(0).cast(pl.Int64),
                    pl.lit(level).alias("level"),
                    pl.lit(dimension).alias("dimension"),
                )
            )
    out = pl.concat(frames, how="diagonal_relaxed").with_columns(
        pl.concat_str(
            pl.col("level"), pl.lit(":"), pl.col("unit"), pl.lit("|"),
            pl.col("dimension"), pl.lit(":"), pl.col("category"),
        ).alias("series_id")
    )
    return out.select("series_id", *SERIES_KEYS, "period", "count").sort("series_id", "period")


def as_counts(series: pl.DataFrame, freq: Frequency) -> pl.DataFrame:
    """The counts layout `analytics.exceedance.detect` takes: `YYYY-MM` or `YYYY-Qn` periods."""
    if freq == "month":
        label = pl.col("period").dt.strftime("%Y-%m")
    else:
        label = pl.format("{}-Q{}", pl.col("period").dt.year(), pl.col("period").dt.quarter())
    return series.select("series_id", label.alias("period"), "count")
