"""Funnel plots: which forces' rates differ from the national rate by more than chance.

A league table of forces ranked by offences per constituency (or per million people) ranks
noise: a small force's rate swings far more from year to year than a large force's. A funnel
plot (Spiegelhalter 2005, "Funnel plots for comparing institutional performance", Stat Med
24:1185–1202) draws each force's rate against its denominator, with control limits around
the national rate that narrow as the denominator grows, so a force is flagged only when its
rate is further from the national rate than chance allows for a force of its size.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import numpy as np
import polars as pl
from scipy.stats import norm, poisson

Per = Literal["constituency", "million_population"]

WINSORISE = 0.10
"""Share of z-scores pulled in at each tail before estimating φ (Spiegelhalter 2005)."""

LIMITS: dict[str, tuple[float, float]] = {
    "limit95": (0.025, 0.975),
    "limit998": (0.001, 0.999),
}
"""Two-sided control limits as lower and upper tail probabilities: about 2 and 3 SD."""

FUNNEL_SCHEMA: dict[str, pl.DataType] = {
    "force_id": pl.String(),
    "count": pl.Int64(),
    "denominator": pl.Float64(),
    "rate": pl.Float64(),
    "national_rate": pl.Float64(),
    "z_score": pl.Float64(),
    "phi": pl.Float64(),
    "limit95_low": pl.Float64(),
    "limit95_high": pl.Float64(),
    "limit998_low": pl.Float64(),
    "limit998_high": pl.Float64(),
    "outside95": pl.Boolean(),
    "outside998": pl.Boolean(),
}


def funnel(force_counts: pl.DataFrame, denominators: pl.DataFrame, per: Per) -> pl.DataFrame:
    """Each force's rate, z-score and funnel limits, with over-dispersion allowed for.

    Inputs: `force_counts` (force_id, count) for one period, and `denominators` (force_id,
    denominator): the number of constituencies (`per="constituency"`, whole numbers) or the
    population in millions (`per="million_population"`). The forces compared are those in
    `denominators`; a force in it with no row in `force_counts` had no offences (count 0),
    and a force counted but without a denominator (British Transport Police has no
    constituencies) is an error, so the caller decides explicitly what to leave out.

    Method (Spiegelhalter 2005): the national rate θ0 = Σ count / Σ denominator is the
    target; force i expects e_i = θ0·n_i offences and z_i = (y_i − e_i)/√e_i. Over-dispersion
    φ is estimated robustly as the mean of the squared z-scores after Winsorising them at
    their 10th and 90th percentiles (Spiegelhalter 2005, Qual Saf Health Care 14:347), so the
    outlying forces we are looking for do not inflate it. Winsorising also shrinks φ: for
    Poisson counts E[z_w²] ≈ 0.68, so φ > 1 signals clear excess variation, and a true φ of
    4 is estimated at about 2.6 (with 44 forces), so about 10 % rather than 5 % of forces
    then fall outside the 95 % limits (tests/analytics/test_funnel.py measures both).

    Limits: when φ ≤ 1 they are exact Poisson limits for y ~ Poisson(e) on the rate scale,
    the p-quantile with Spiegelhalter's interpolation between integers (2005, appendix) so
    the funnel is smooth. When φ > 1 this uses the multiplicative over-dispersion model
    (variance φ·θ0/n; Spiegelhalter 2005, the over-dispersion section) rather than the
    additive random-effects τ² (DerSimonian–Laird) alternative: limits θ0 ± z_p·√(φ·θ0/n),
    floored at zero. Multiplicative inflation keeps the limits a fixed multiple wider at
    every denominator, easy to explain; the additive model would widen large forces' limits
    relatively more. `outside95` and `outside998` flag rates strictly outside the 95 % and
    99.8 % limits. `z_score` is the unadjusted z_i.
    """
    if per not in ("constituency", "million_population"):
        raise ValueError(f"per must be 'constituency' or 'million_population', not {per!r}")
    frame = _joined(force_counts, denominators, per)
    y = frame["count"].to_numpy().astype(np.float64)
    n = frame["denominator"].to_numpy()
    total = float(y.sum())
    if total <= 0:
        raise ValueError("force_counts: no offences in any force, so there is no national rate")
    national_rate = total / float(n.sum())
    expected = national_rate * n
    z = (y - expected) / np.sqrt(expected)
    phi = overdispersion(z)
    limits = _limits(national_rate, phi, n)
    rate = y / n
    out = frame.with_columns(
        rate=pl.Series(rate),
        national_rate=pl.lit(national_rate),
        z_score=pl.Series(z),
        phi=pl.lit(phi),
        **{name: pl.Series(values) for name, values in limits.items()},
    )
    return out.with_columns(
        outside95=(pl.col("rate") < pl.col("limit95_low"))
        | (pl.col("rate") > pl.col("limit95_high")),
        outside998=(pl.col("rate") < pl.col("limit998_low"))
        | (pl.col("rate") > pl.col("limit998_high")),
    ).select(list(FUNNEL_SCHEMA))


def funnel_curve(
    national_rate: float, phi: float, denominators_grid: Iterable[float]
) -> pl.DataFrame:
    """The funnel's limit lines at each denominator of a grid, for plotting.

    Same limits as `funnel` (exact Poisson when φ ≤ 1, multiplicative over-dispersion when
    φ > 1). Columns: denominator, national_rate, limit95_low, limit95_high, limit998_low,
    limit998_high.
    """
    if not national_rate > 0:
        raise ValueError(f"national_rate must be positive, not {national_rate}")
    if not phi >= 0:
        raise ValueError(f"phi must be non-negative, not {phi}")
    n = np.asarray(list(denominators_grid), dtype=np.float64)
    if not np.all(n > 0):
        raise ValueError("denominators_grid: every denominator must be positive")
    return pl.DataFrame(
        {"denominator": n, "national_rate": np.full(n.shape, national_rate)}
        | _limits(national_rate, phi, n),
        schema={
            "denominator": pl.Float64(),
            "national_rate": pl.Float64(),
            **{name: pl.Float64() for name in FUNNEL_SCHEMA if name.startswith("limit")},
        },
    )


def overdispersion(z_scores: np.ndarray) -> float:
    """φ = mean of squared z-scores Winsorised at the 10th and 90th percentiles.

    Percentiles by linear interpolation (numpy's default, R's type 7, as in FunnelPlotR).
    """
    z = np.asarray(z_scores, dtype=np.float64)
    low, high = np.quantile(z, [WINSORISE, 1.0 - WINSORISE])
    return float(np.mean(np.clip(z, low, high) ** 2))


def _limits(national_rate: float, phi: float, n: np.ndarray) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for name, (low_p, high_p) in LIMITS.items():
        for side, p in (("low", low_p), ("high", high_p)):
            if phi > 1.0:
                bound = national_rate + norm.ppf(p) * np.sqrt(phi * national_rate / n)
            else:
                bound = _poisson_quantile(p, national_rate * n) / n
            out[f"{name}_{side}"] = np.maximum(bound, 0.0)
    return out


def _poisson_quantile(p: float, mean: np.ndarray) -> np.ndarray:
    """Continuous p-quantile of Poisson(mean): y_p − α, α interpolating between integers.

    y_p is the smallest integer with F(y_p) ≥ p and α = (F(y_p) − p)/(F(y_p) − F(y_p − 1))
    (Spiegelhalter 2005, appendix A.1.1).
    """
    y_p = poisson.ppf(p, mean)
    at = poisson.cdf(y_p, mean)
    below = poisson.cdf(y_p - 1, mean)
    return y_p - (at - p) / (at - below)


def _joined(force_counts: pl.DataFrame, denominators: pl.DataFrame, per: Per) -> pl.DataFrame:
    for name, frame, columns in (
        ("force_counts", force_counts, ("force_id", "count")),
        ("denominators", denominators, ("force_id", "denominator")),
    ):
        missing = set(columns) - set(frame.columns)
        if missing:
            raise ValueError(f"{name}: missing column(s) {sorted(missing)}; expected {columns}")
        duplicated = frame.filter(pl.col("force_id").is_duplicated())["force_id"].unique()
        if len(duplicated):
            raise ValueError(f"{name}: more than one row for force(s) {sorted(duplicated)}")
    counts = force_counts.select(pl.col("force_id").cast(pl.String), pl.col("count"))
    bad_counts = counts.filter(
        pl.col("count").is_null()
        | (pl.col("count") < 0)
        | (pl.col("count").round() != pl.col("count"))
    )
    if len(bad_counts):
        raise ValueError(
            f"force_counts: count must be a non-negative whole number; force "
            f"{bad_counts['force_id'][0]!r} has {bad_counts['count'][0]}"
        )
    dens = denominators.select(
        pl.col("force_id").cast(pl.String), pl.col("denominator").cast(pl.Float64)
    )
    bad_dens = dens.filter(pl.col("denominator").is_null() | ~(pl.col("denominator") > 0))
    if per == "constituency":
        bad_dens = pl.concat(
            [bad_dens, dens.filter(pl.col("denominator").round() != pl.col("denominator"))]
        )
    if len(bad_dens):
        expected = (
            "a whole number of constituencies, at least 1"
            if per == "constituency"
            else "a population in millions, above 0"
        )
        raise ValueError(
            f"denominators: force {bad_dens['force_id'][0]!r} has denominator "
            f"{bad_dens['denominator'][0]}; expected {expected}"
        )
    unknown = counts.join(dens, on="force_id", how="anti")["force_id"]
    if len(unknown):
        raise ValueError(
            f"force_counts: no denominator for force(s) {sorted(unknown)}; leave them out or "
            "give them a denominator"
        )
    return (
        dens.join(counts, on="force_id", how="left")
        .with_columns(pl.col("count").fill_null(0).cast(pl.Int64))
        .sort("force_id")
    )
