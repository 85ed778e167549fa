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
count below 1 and no more than 20 % of expected counts below 5. With this domain's small
counts (a national quarter has ~130 incidents over 9 platforms) the rule nearly always fails
for platforms, so `p_value_monte_carlo` carries a test that does not lean on the
approximation: the Monte Carlo p-value conditional on both margins, as R's
`chisq.test(simulate.p.value = TRUE)` (Hope 1968, "A simplified Monte Carlo significance test
procedure", JRSS B 30:582–598). `simulations` tables with the observed margins are drawn by
Patefield's algorithm (1981, AS 159, Applied Statistics 30:91–97; R's `r2dtable`, here
`scipy.stats.random_table(...).rvs(method="patefield")`) and
p = (1 + #{simulated chi2 ≥ observed chi2}) / (simulations + 1), R's formula, with R's relative
tolerance of 64 machine epsilons on the comparison. Its distribution is exact under the null;
its only error is the Monte Carlo one, about sqrt(p (1 − p) / simulations). The seed is a
function of the area and dimension (`simulation_seed`), so a run is reproducible.

The narrative uses `p_value` when `is_test_reliable` is true and `p_value_monte_carlo` when it
is false; it must not claim a shift from the asymptotic `p_value` of an unreliable test.

The statistics are a plain function of integer counts (`contingency_2xk`), so the release
can recompute them from the rounded counts it publishes.
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import polars as pl
from scipy.stats import chi2 as chi2_dist
from scipy.stats import random_table

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
    "p_value_monte_carlo": pl.Float64(), "simulations": pl.Int64(),
}

SIMULATIONS = 9999
"""Default number of simulated tables: the Monte Carlo standard error of p is at most
0.005, and about 0.002 near p = 0.05."""

_ALMOST_ONE = 1 - 64 * np.finfo(float).eps
"""R's `almost.1` in `chisq.test`: a simulated chi2 equal to the observed one up to rounding
counts as at least as extreme."""


def channel_shift(
    incidents: pl.DataFrame, quarter: dt.date, dimension: Dimension = "channel",
    *, simulations: int = SIMULATIONS,
) -> pl.DataFrame:
    """One row per area and category: the counts, the current cell's expected count and
    adjusted residual, and the area's test (chi2, dof, p_value, min_expected,
    is_test_reliable, p_value_monte_carlo and its number of simulations, repeated on each of
    its rows). Columns as `CHANNEL_MIX_SCHEMA`.

    `dimension="platform"` takes only social_media and online_other incidents that name a
    platform. Categories counted zero on both sides are absent; an area with fewer than two
    categories, or with no incidents on one side, has null test statistics and residuals.
    """
    if dimension not in ("channel", "platform"):
        raise ValueError(f"dimension must be 'channel' or 'platform', not {dimension!r}")
    if simulations < 1:
        raise ValueError(f"simulations must be at least 1, not {simulations}")
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
        p_mc = None if test["chi2"] is None else monte_carlo_p_value(
            current, previous, simulations=simulations,
            seed=simulation_seed(level, unit, dimension))
        for k, category in enumerate(categories):
            rows.append({
                "level": level, "unit": unit, "dimension": dimension, "category": category,
                "current_count": current[k], "previous_count": previous[k],
                "current_total_count": sum(current), "previous_total_count": sum(previous),
                "expected_count": test["expected"][k],
                "adjusted_residual": test["adjusted_residuals"][k],
                **{key: test[key] for key in ("chi2", "dof", "p_value", "min_expected",
                                              "is_test_reliable")},
                "p_value_monte_carlo": p_mc,
                "simulations": None if p_mc is None else simulations,
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


def simulation_seed(level: str, unit: str, dimension: str) -> int:
    """The seed of an area's simulated tables: CRC-32 of "level|unit|dimension", stable
    across runs, processes and Python versions (unlike `hash`), so a release is reproducible
    and one area's p-value does not depend on which other areas were computed."""
    return zlib.crc32(f"{level}|{unit}|{dimension}".encode())


def monte_carlo_p_value(
    current: Sequence[int], previous: Sequence[int], *, simulations: int = SIMULATIONS,
    seed: int = 0,
) -> float | None:
    """Monte Carlo p-value of Pearson's chi-square for the 2 × K table [current; previous],
    conditional on both margins, as R's `chisq.test(simulate.p.value = TRUE, B = simulations)`.

    Why: the conditional null distribution of chi2 is exact whatever the expected counts, so
    this p-value is valid where Cochran's rule rejects the asymptotic one. Tables are drawn
    by Patefield's algorithm (AS 159, as R's `r2dtable`); all their chi2 are computed at
    once. None when the table has no test (fewer than two non-empty categories, or an empty
    row), as in `contingency_2xk`.
    """
    if len(current) != len(previous):
        raise ValueError("current and previous need one count per category each")
    if any(c < 0 for c in (*current, *previous)):
        raise ValueError("counts must be non-negative")
    if simulations < 1:
        raise ValueError(f"simulations must be at least 1, not {simulations}")
    observed = np.array([current, previous], dtype=np.int64)
    observed = observed[:, observed.sum(axis=0) > 0]
    rows, cols = observed.sum(axis=1), observed.sum(axis=0)
    if cols.size < 2 or (rows == 0).any():
        return None
    expected = np.outer(rows, cols) / rows.sum()
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    tables = random_table(rows, cols, seed=np.random.default_rng(seed)).rvs(
        simulations, method="patefield")
    simulated = ((tables - expected) ** 2 / expected).sum(axis=(1, 2))
    return float((1 + np.count_nonzero(simulated >= _ALMOST_ONE * chi2)) / (simulations + 1))
