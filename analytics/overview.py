"""What is "of note" in a run: one definition for the CLI, the release and the dashboard.

Three things earn a mention, each by a rule that needs no judgement:
- a rising series: its trend's 95% CI of the change per year lies wholly above 1;
- a funnel outlier: a force outside the 99.8% limits of the funnel (Spiegelhalter 2005
  calls 3 standard deviations "alarm", 2 "alert");
- an alarm: an exceedance flagged in the latest period, national first, then regions, then
  forces, most exceeded first (observed over upper bound).
The functions take the tables as `plait analyse` stores them (`is_alarm`, `observed_count`,
`upperbound_count`, `is_outside998`, ...), so a page reading the warehouse and the CLI
holding the run in memory (after `analyse.as_stored`) see the same thing.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

LEVEL_ORDER = {"national": 0, "region": 1, "force": 2}


def rising_series(trend: pl.DataFrame, frequency: str = "month") -> pl.DataFrame:
    """Series whose change per year is above 1 with 95% confidence, steepest first."""
    return (
        trend.filter((pl.col("frequency") == frequency) & (pl.col("ci_low") > 1))
        .sort(pl.col("level").replace_strict(LEVEL_ORDER, default=3), "change_per_year",
              descending=[False, True])
    )


def funnel_outliers(funnel: pl.DataFrame, limit: str = "998") -> pl.DataFrame:
    """Forces outside the funnel's 99.8% (or `limit="95"`) limits, highest z first."""
    flag = f"is_outside{limit}"
    return funnel.filter(pl.col(flag).fill_null(False)).sort(
        "denominator_kind", pl.col("z_score").abs(), descending=[False, True])


def latest_alarms(exceedance: pl.DataFrame, period: dt.date,
                  frequency: str = "month") -> pl.DataFrame:
    """Alarms in `period`: national, then regional, then force series; most exceeded first."""
    return (
        exceedance.filter((pl.col("period") == period) & pl.col("is_alarm")
                          & (pl.col("frequency") == frequency))
        .with_columns((pl.col("observed_count") / pl.col("upperbound_count").clip(lower_bound=1))
                      .alias("excess_ratio"))
        .sort(pl.col("level").replace_strict(LEVEL_ORDER, default=3),
              pl.col("excess_ratio"), "series_id", descending=[False, True, False])
    )


def of_note(tables: dict[str, pl.DataFrame], as_of: dt.date,
            linkage_mode: str | None = None) -> dict[str, str]:
    """One short line per stored table, for a run summary (the CLI's "of note" column)."""
    notes: dict[str, str] = {}
    if "exceedance" in tables:
        alarms = int(tables["exceedance"]["is_alarm"].sum())
        latest = latest_alarms(tables["exceedance"], as_of).height
        notes["exceedance"] = f"{alarms:,} alarms ({latest:,} in {as_of:%B %Y})"
    if "trend" in tables:
        notes["trend"] = f"{rising_series(tables['trend']).height:,} rising monthly " \
            "(CI above 1)"
    if "funnel" in tables:
        notes["funnel"] = f"{funnel_outliers(tables['funnel']).height:,} outside 99.8 %"
    if "series" in tables:
        members = int(tables["series"]["incident_count"].sum())
        notes["series"] = f"{members:,} incidents in series; {linkage_mode or 'relinked'}"
    if "charge_rate" in tables:
        outside = tables["charge_rate"].filter(pl.col("is_outside998").fill_null(False)).height
        notes["charge_rate"] = f"{outside:,} forces outside 99.8 %"
    if "emerging_term" in tables:
        national = tables["emerging_term"].filter(pl.col("level") == "national")
        notes["emerging_term"] = f"{national.height:,} national emerging terms"
    return notes
