"""Online abuse by platform: the report quarter's reports, identified suspects and outcomes.

Recommendation 24 of the release's brief asks for regular figures on abuse by platform:
how much, how often the sender is identified and how long cases take. Police data carry
only part of that (nothing on platforms' own responses to requests): the
platform an incident was received on (for social_media and online_other incidents that
name one), whether any suspect identifier was recorded (`suspect_keys` non-empty: an
account handle counts, so "identified" means an account or person to pursue, not a name),
and the outcome and its date.

`median_days_to_outcome` is the median time from report to outcome among cases closed by
`as_of`, so it is biased down while many of the quarter's cases are still open (the slow
ones are missing); the release pairs it with a Kaplan–Meier estimate elsewhere. A case is
closed when its outcome is neither under_investigation nor transferred (a transfer moves the
case to another force, it does not end it) and its outcome_date is known, on or before
`as_of` and not before the report date.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from analytics.areas import by_area
from analytics.proportions import level_order
from etl.periods import add_quarters, quarter_start

ONLINE_CHANNELS: tuple[str, ...] = ("social_media", "online_other")
OPEN_OUTCOMES: tuple[str, ...] = ("under_investigation", "transferred")
ALL_PLATFORMS = "all"


def social_media(incidents: pl.DataFrame, quarter: dt.date, as_of: dt.date) -> pl.DataFrame:
    """Per area and platform (each platform seen, then "all"), for online incidents naming a
    platform and reported in the quarter: report_count, suspect_identified_count,
    suspect_identified_share, closed_count and median_days_to_outcome (null when none is
    closed).

    Areas and platforms with no such reports are absent.
    """
    if quarter != quarter_start(quarter):
        raise ValueError(f"quarter must be the first day of a quarter, got {quarter}")
    online = incidents.filter(
        pl.col("reported_date").is_between(quarter, add_quarters(quarter, 1), closed="left")
        & pl.col("channel").is_in(ONLINE_CHANNELS)
        & pl.col("platform").is_not_null()
    ).with_columns(
        is_identified=pl.col("suspect_keys").fill_null("").str.strip_chars() != "",
        days=pl.when(
            ~pl.col("outcome").is_in(OPEN_OUTCOMES)
            & (pl.col("outcome_date") <= as_of)
            & (pl.col("outcome_date") >= pl.col("reported_date"))
        ).then((pl.col("outcome_date") - pl.col("reported_date")).dt.total_days()),
    )
    areas = by_area(online)
    stacked = pl.concat([areas, areas.with_columns(platform=pl.lit(ALL_PLATFORMS))])
    return (
        stacked.group_by("level", "unit", "platform")
        .agg(
            report_count=pl.len().cast(pl.Int64),
            suspect_identified_count=pl.col("is_identified").sum().cast(pl.Int64),
            closed_count=pl.col("days").is_not_null().sum().cast(pl.Int64),
            median_days_to_outcome=pl.col("days").median(),
        )
        .with_columns(
            suspect_identified_share=pl.col("suspect_identified_count") / pl.col("report_count"))
        .select("level", "unit", "platform", "report_count", "suspect_identified_count",
                "suspect_identified_share", "closed_count", "median_days_to_outcome")
        .sort(level_order(), "unit", pl.col("platform") == ALL_PLATFORMS, "platform")
    )
