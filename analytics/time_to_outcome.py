"""How long investigations take: Kaplan–Meier time from report to outcome.

Many incidents in a 12-month window are still open at the as-of date, so the median of the
closed cases alone would understate how long cases take (the slow ones are the ones not yet
closed). The Kaplan–Meier product-limit estimator (Kaplan & Meier 1958, JASA 53:457) counts
an open case as lasting at least until the as-of date (right-censored), which is what it is.
The estimate is statsmodels' `SurvfuncRight`; quantile intervals are its `quantile_ci`
(inverting a test on the complementary log-log scale with Greenwood's variance, as SAS
PROC LIFETEST does; Brookmeyer & Crowley 1982).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
from statsmodels.duration.survfunc import SurvfuncRight

from analytics.areas import AREA_KEYS, by_area
from analytics.investigation import LEVEL_ORDER, OPEN, as_known
from etl.vocabulary import OFFENCE_GROUPS

ALL_GROUPS = "all"
MIN_INCIDENTS = 2
"""Fewer incidents than this in a group and no quantile is estimated (nulls)."""

QUANTILES: dict[str, float] = {"median": 0.5, "p90": 0.9}
TOLERANCE = 1e-9
"""Slack in S(t) <= 1 − p: statsmodels forms S(t) as exp(Σ log(1 − d/n)), so an S(t) of
exactly 0.5 can come out as 0.5000000000000001."""

SCHEMA: dict[str, pl.DataType] = {
    "level": pl.String(),
    "unit": pl.String(),
    "offence_group": pl.String(),
    "incident_count": pl.Int64(),
    "closed_count": pl.Int64(),
    "open_count": pl.Int64(),
    **{
        f"{name}_{part}": pl.Int64() for name in QUANTILES for part in ("days", "ci_low", "ci_high")
    },
}


def time_to_outcome(
    incidents: pl.DataFrame, first: dt.date, last: dt.date, as_of: dt.date
) -> pl.DataFrame:
    """Days from report to outcome for incidents reported from `first` to `last`, per area and
    offence group, with outcomes known at `as_of`.

    Columns: `SCHEMA`. Rows: national and region units by each offence group (all of
    `OFFENCE_GROUPS`, zero-filled) and `all`; force units for `all` only, as force by offence
    group is too sparse to publish.

    Time: whole days from `reported_date` to `outcome_date` for a closed case (an event);
    an open case, or one whose outcome is dated after `as_of`, is censored at `as_of`. An
    outcome on the day of report is 0 days, kept as 0 (Kaplan–Meier needs no positive times,
    unlike a log-time model, and a "same day" median should read as 0 days, not 0.5). A
    closed case without an outcome date has no known time and is left out (not counted).

    Quantiles: the q-th quantile is the smallest event time t with S(t) <= 1 − q (Klein &
    Moeschberger 2003, §4.5), so median_days is the first day by which half the cases had an
    outcome. statsmodels' `SurvfuncRight.quantile` uses the strict S(t) < 1 − q, which differs
    only when S(t) lands exactly on 1 − q and then flips with rounding, so the definition is
    applied here to its S(t). A null quantile means the estimate never fell that low: too
    many cases are still open, so the answer is "more than the follow-up". Likewise a null
    ci_high means the upper limit is beyond the follow-up, and a null ci_low that none could
    be found. Intervals are 95 %. Groups with fewer than `MIN_INCIDENTS` incidents get counts
    but null quantiles.
    """
    known = as_known(incidents, first, last, as_of).filter(
        (pl.col("outcome") == OPEN) | pl.col("outcome_date").is_not_null()
    )
    timed = by_area(known).select(
        *AREA_KEYS,
        "offence_group",
        days=(pl.coalesce("outcome_date", pl.lit(as_of)) - pl.col("reported_date")).dt.total_days(),
        closed=pl.col("outcome") != OPEN,
    )
    stacked = pl.concat(
        [
            timed.filter(pl.col("level") != "force"),
            timed.with_columns(offence_group=pl.lit(ALL_GROUPS)),
        ]
    )
    groups = (
        stacked.group_by(*AREA_KEYS, "offence_group")
        .agg("days", "closed")
        .select(*AREA_KEYS, "offence_group", "days", "closed")
    )
    grid = _grid(timed)
    rows = [
        (*key, *_summary(np.asarray(days), np.asarray(closed)))
        for *key, days, closed in groups.rows()
    ]
    summaries = pl.DataFrame(rows, schema=SCHEMA, orient="row")
    group_order = {g: i for i, g in enumerate((ALL_GROUPS, *OFFENCE_GROUPS))}
    return (
        grid.join(summaries, on=[*AREA_KEYS, "offence_group"], how="left")
        .with_columns(pl.col("incident_count", "closed_count", "open_count").fill_null(0))
        .sort(
            pl.col("level").replace_strict(LEVEL_ORDER),
            "unit",
            pl.col("offence_group").replace_strict(group_order),
        )
        .select(list(SCHEMA))
    )


def km_quantile(fit: SurvfuncRight, q: float) -> float | None:
    """Smallest event time t with S(t) <= 1 − q, None when S never falls that low."""
    reached = np.flatnonzero(fit.surv_prob <= 1.0 - q + TOLERANCE)
    return float(fit.surv_times[reached[0]]) if len(reached) else None


def _summary(days: np.ndarray, closed: np.ndarray) -> list[int | None]:
    counts = [len(days), int(closed.sum()), int((~closed).sum())]
    if len(days) < MIN_INCIDENTS:
        return [*counts, *([None] * 3 * len(QUANTILES))]
    fit = SurvfuncRight(days.astype(np.float64), closed.astype(np.float64))
    values: list[int | None] = []
    for q in QUANTILES.values():
        with np.errstate(divide="ignore", invalid="ignore"):
            low, high = fit.quantile_ci(q, alpha=0.05)
        values += [_whole(km_quantile(fit, q)), _whole(low), _whole(high)]
    return [*counts, *values]


def _whole(value: float | None) -> int | None:
    if value is None or not np.isfinite(value):
        return None
    return round(value)


def _grid(timed: pl.DataFrame) -> pl.DataFrame:
    areas = timed.select(AREA_KEYS).unique()
    by_group = areas.filter(pl.col("level") != "force").join(
        pl.DataFrame({"offence_group": list(OFFENCE_GROUPS)}), how="cross"
    )
    return pl.concat([areas.with_columns(offence_group=pl.lit(ALL_GROUPS)), by_group])
