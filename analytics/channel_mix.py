"""Has the way offences reach members changed? The channel (or platform) mix of the report
quarter against the four quarters before it.

Per area, a 2 × K table: rows are the report quarter and the previous four pooled, columns
the K channels (or platforms) seen in either. Pearson's chi-square test of homogeneity
(no continuity correction, as `scipy.stats.chi2_contingency(correction=False)`) says whether
the mix differs; the adjusted (standardised) residual of each current-quarter cell says
which channel moved, (O − E) / sqrt(E (1 − row share)(1 − column share)), approximately
standard normal under independence (Agresti, Categorical Data Analysis, 3rd ed., 2013,
§2.4.5). With two rows, a category's two adjusted residuals are equal and opposite, so the
current cell's carries all the information.

The chi-square approximation is poor when expected counts are small, which in a force's
quarter they often are. `min_expected` and `is_test_reliable` carry Cochran's rule (1954,
"Some methods for strengthening the common χ² tests", Biometrics 10:417–451): no expected
count below 1 and no more than 20 % of expected counts below 5. The narrative must not claim
a shift when `is_test_reliable` is false.

The statistics are a plain function of integer counts (`contingency_2xk`), so the release
can recompute them from the rounded counts it publishes.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any, Literal

import polars as pl
from scipy.stats import chi2 as chi2_dist

from analytics.areas import by_area
from analytics.proportions import level_order, report_window

Dimension = Literal["channel", "platform"]

ONLINE_CHANNELS: tuple[str, ...] = ("social_media", "online_other")
"""Channels whose incidents can name a platform."""

CHANNEL_MIX_SCHEMA: dict[str, pl.DataType] = {
    "level": pl.String(), "unit": pl.String(), "dimension": pl.String(),
    "category": pl.String(), "current_count": pl.Int64(), "previous_count": pl.Int64(),
    "current_total_count": pl.Int64(), "previous_total_count": pl.Int64(),
    "expected_count": pl.Float64(), "adjusted_residual": pl.Float64(),
    "chi2": pl.Float64(), "dof": pl.Int64(), "p_value": pl.Float64(),
    "min_expected": pl.Float64(), "is_test_reliable": pl.Boolean(),
}


def channel_shift(
    incidents: pl.DataFrame, quarter: dt.date, dimension: Dimension = "channel"
) -> pl.DataFrame:
    """One row per area and category: the counts, the current cell's expected count and
    adjusted residual, and the area's test (chi2, dof, p_value, min_expected,
    is_test_reliable, repeated on each of its rows). Columns as `CHANNEL_MIX_SCHEMA`.

    `dimension="platform"` takes only social_media and online_other incidents that name a
    platform. Categories counted zero on both sides are absent; an area with fewer than two
    categories, or with no incidents on one side, has null test statistics and residuals.
    """
    if dimension not in ("channel", "platform"):
        raise ValueError(f"dimension must be 'channel' or 'platform', not {dimension!r}")
    window = report_window(incidents, quarter)
    if dimension == "platform":
        window = window.filter(pl.col("channel").is_in(ONLINE_CHANNELS)
                               & pl.col("platform").is_not_null())
    counts = (
        by_area(window)
        .group_by("level", "unit", pl.col(dimension).alias("category"))
        .agg(current_count=pl.col("is_current").sum().cast(pl.Int64),
             previous_count=(~pl.col("is_current")).sum().cast(pl.Int64))
        .sort(level_order(), "unit", "category")
    )
    rows: list[dict[str, Any]] = []
    for (level, unit), table in counts.group_by("level", "unit", maintain_order=True):
        categories = table["category"].to_list()
        current = table["current_count"].to_list()
        previous = table["previous_count"].to_list()
        test = contingency_2xk(current, previous)
        for k, category in enumerate(categories):
            rows.append({
                "level": level, "unit": unit, "dimension": dimension, "category": category,
                "current_count": current[k], "previous_count": previous[k],
                "current_total_count": sum(current), "previous_total_count": sum(previous),
                "expected_count": test["expected"][k],
                "adjusted_residual": test["adjusted_residuals"][k],
                **{key: test[key] for key in ("chi2", "dof", "p_value", "min_expected",
                                              "is_test_reliable")},
            })
    return pl.DataFrame(rows, schema=CHANNEL_MIX_SCHEMA)


def contingency_2xk(current: Sequence[int], previous: Sequence[int]) -> dict[str, Any]:
    """Pearson's chi-square for the 2 × K table [current; previous], and the adjusted
    residuals and expected counts of the current row.

    Returns `expected` and `adjusted_residuals` (lists of length K; the residuals are None
    when the test is), `chi2`, `dof`, `p_value`, `min_expected` (over all 2K cells) and
    `is_test_reliable` (Cochran's rule; False when there is no test).
    """
    if len(current) != len(previous):
        raise ValueError("current and previous need one count per category each")
    if any(c < 0 for c in (*current, *previous)):
        raise ValueError("counts must be non-negative")
    n_current, n_previous = sum(current), sum(previous)
    total = n_current + n_previous
    columns = [c + p for c, p in zip(current, previous, strict=True)]
    expected_current = [n_current * col / total if total else 0.0 for col in columns]
    expected_previous = [n_previous * col / total if total else 0.0 for col in columns]
    k = sum(1 for col in columns if col > 0)
    if k < 2 or n_current == 0 or n_previous == 0:
        return {
            "expected": expected_current, "adjusted_residuals": [None] * len(current),
            "chi2": None, "dof": None, "p_value": None,
            "min_expected": min((*expected_current, *expected_previous), default=None),
            "is_test_reliable": False,
        }
    cells = [
        (o, e) for o, e in zip((*current, *previous), (*expected_current, *expected_previous),
                               strict=True) if e > 0
    ]
    chi2 = sum((o - e) ** 2 / e for o, e in cells)
    dof = k - 1
    row_share = n_current / total
    residuals: list[float | None] = [
        (o - e) / math.sqrt(e * (1 - row_share) * (1 - col / total)) if 0 < col < total
        else None
        for o, e, col in zip(current, expected_current, columns, strict=True)
    ]
    expected_all = [e for col, e in zip(columns * 2, (*expected_current, *expected_previous),
                                        strict=True) if col > 0]
    min_expected = min(expected_all)
    small = sum(1 for e in expected_all if e < 5)
    return {
        "expected": expected_current, "adjusted_residuals": residuals,
        "chi2": chi2, "dof": dof, "p_value": float(chi2_dist.sf(chi2, dof)),
        "min_expected": min_expected,
        "is_test_reliable": min_expected >= 1 and small <= 0.2 * len(expected_all),
    }
