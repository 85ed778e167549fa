"""Shares, and the report quarter against the four before it: the comparison every
intelligence table of the quarterly release makes.

The release rounds every count (to 5) and suppresses small ones before it publishes, then
recomputes each percentage and its interval from the rounded counts, so that no published
figure is made of a number the reader cannot see. `share` and `share_change` therefore take
ints and nothing else, and can be called again on the rounded counts.

`report_window` picks the five quarters and marks the current one, so every module compares
the same periods. The change in a share is the difference of two independent binomial
proportions, with the Newcombe (1998) hybrid-score interval ("Interval estimation for the
difference between independent proportions", Stat Med 17:873–890, method 10), which keeps
close to its nominal coverage with small counts and shares near 0 or 1 where the Wald
interval fails, and the score test of Miettinen and Nurminen (1985) for the p-value, both
from statsmodels (`confint_proportions_2indep(..., compare="diff", method="newcomb")` and
`test_proportions_2indep(..., method="score")`). The two come from different constructions
and can, rarely, disagree at the 5 % boundary; the narrative should quote the interval.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

from etl.periods import add_quarters, quarter_start

PREVIOUS_QUARTERS = 4
"""The comparison base: the four quarters before the report quarter, pooled."""

CHANGE_KEYS: tuple[str, ...] = ("change_pp", "change_ci_low", "change_ci_high", "change_p_value")


def share(numerator: int, denominator: int) -> float | None:
    """numerator / denominator, or None when the denominator is 0 (no share to speak of)."""
    _check_counts(numerator, denominator)
    return numerator / denominator if denominator else None


def share_change(
    current_num: int,
    current_den: int,
    previous_num: int,
    previous_den: int,
    alpha: float = 0.05,
) -> dict[str, float | None]:
    """The current share minus the pooled previous share, in percentage points.

    Returns `change_pp`, `change_ci_low`, `change_ci_high` (the Newcombe hybrid-score
    interval at level 1 − alpha, in percentage points) and `change_p_value` (two-sided score
    test of no difference). All are None when either denominator is 0. When both shares are
    0 or both are 1 the score statistic is 0/0; there is then no evidence of a change and the
    p-value is 1.

    Treating incidents (or victims) as independent trials is an approximation: one victim's
    incidents are correlated, which makes the interval somewhat too narrow.
    """
    _check_counts(current_num, current_den)
    _check_counts(previous_num, previous_den)
    if current_den == 0 or previous_den == 0:
        return dict.fromkeys(CHANGE_KEYS)
    counts = (current_num, current_den, previous_num, previous_den)
    with np.errstate(divide="ignore", invalid="ignore"):  # its unused odds ratio at p = 1
        low, high = confint_proportions_2indep(*counts, compare="diff", method="newcomb",
                                               alpha=alpha)
        pooled = (current_num + previous_num) / (current_den + previous_den)
        p_value = 1.0 if pooled in (0.0, 1.0) else float(
            test_proportions_2indep(*counts, compare="diff", method="score").pvalue)
    return {
        "change_pp": 100.0 * (current_num / current_den - previous_num / previous_den),
        "change_ci_low": 100.0 * float(low),
        "change_ci_high": 100.0 * float(high),
        "change_p_value": p_value,
    }


def with_share_change(frame: pl.DataFrame) -> pl.DataFrame:
    """Add current_share, previous_share and the `share_change` columns to a frame holding
    current_count, current_total_count, previous_count and previous_total_count (ints)."""
    keys = ("current_count", "current_total_count", "previous_count", "previous_total_count")
    rows = frame.select(keys).iter_rows()
    shares, changes = [], []
    for cur, cur_total, prev, prev_total in rows:
        shares.append((share(cur, cur_total), share(prev, prev_total)))
        changes.append(share_change(cur, cur_total, prev, prev_total))
    return frame.with_columns(
        pl.Series("current_share", [s[0] for s in shares], dtype=pl.Float64),
        pl.Series("previous_share", [s[1] for s in shares], dtype=pl.Float64),
        *[pl.Series(k, [c[k] for c in changes], dtype=pl.Float64) for k in CHANGE_KEYS],
    )


def _check_counts(numerator: int, denominator: int) -> None:
    if not 0 <= numerator <= denominator:
        raise ValueError(
            f"a share needs 0 <= numerator <= denominator, got {numerator} of {denominator}"
        )


def report_window(incidents: pl.DataFrame, quarter: dt.date) -> pl.DataFrame:
    """Incidents reported in the report quarter or the four before it, with `period` (the
    quarter's first day) and `is_current` added; everything else is left out."""
    if quarter != quarter_start(quarter):
        raise ValueError(f"quarter must be the first day of a quarter, got {quarter}")
    first = add_quarters(quarter, -PREVIOUS_QUARTERS)
    return incidents.with_columns(
        period=pl.col("reported_date").dt.truncate("1q"),
    ).filter(pl.col("period").is_between(first, quarter)).with_columns(
        is_current=pl.col("period") == quarter,
    )


def window_periods(quarter: dt.date) -> list[dt.date]:
    """The four previous quarters then the report quarter, oldest first."""
    return [add_quarters(quarter, k) for k in range(-PREVIOUS_QUARTERS, 1)]


def level_order() -> pl.Expr:
    """Sort key: national, then regions, then forces (the order the release prints)."""
    return pl.col("level").replace_strict({"national": 0, "region": 1, "force": 2},
                                          return_dtype=pl.Int8)


__all__ = [
    "CHANGE_KEYS",
    "PREVIOUS_QUARTERS",
    "level_order",
    "report_window",
    "share",
    "share_change",
    "window_periods",
    "with_share_change",
]
