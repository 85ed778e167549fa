"""Investigation outcomes and charge rates for the quarterly release.

The release reports, for incidents reported in a 12-month window, what has happened to them
so far: the Home Office "outcomes assigned to crimes recorded in the period" view (Home
Office, *Crime outcomes in England and Wales*, user guide), where an outcome counts only if
it was known by the as-of date, so a rerun for an earlier as-of month gives the figures that
were published then. Charge rates come with exact Clopper–Pearson intervals and a binomial
funnel plot of forces (Spiegelhalter 2005).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
from scipy.stats import binom, norm
from statsmodels.stats.proportion import proportion_confint

from analytics.areas import AREA_KEYS, by_area
from analytics.funnel import LIMITS, overdispersion
from etl.vocabulary import OUTCOMES

OPEN = "under_investigation"
CHARGED = "charged"
REPORTED_OUTCOMES: tuple[str, ...] = tuple(o for o in OUTCOMES if o != "transferred")
"""Outcome categories the release shows. `transferred` is left out: a transferred crime
counts for the force that received it (Home Office Counting Rules), whose own record is
the one kept; ingest marks the transferring force's record as a duplicate."""

REQUIRED = (
    "force_id",
    "police_region",
    "reported_date",
    "offence_group",
    "outcome",
    "outcome_date",
)
LEVEL_ORDER = {"national": 0, "region": 1, "force": 2}


def as_known(
    incidents: pl.DataFrame, first: dt.date, last: dt.date, as_of: dt.date
) -> pl.DataFrame:
    """Incidents reported from `first` to `last` (inclusive), each with its outcome as known
    at `as_of`.

    An outcome dated after `as_of` was not yet known then: the incident is returned as
    `under_investigation` with a null `outcome_date`. An `under_investigation` row keeps a
    null `outcome_date` whatever the extract said. A closed outcome without a date is kept as
    closed (nothing says it came after `as_of`). `transferred` rows are dropped (see
    `REPORTED_OUTCOMES`). Other columns pass through unchanged.
    """
    _check_window(first, last, as_of)
    missing = set(REQUIRED) - set(incidents.columns)
    if missing:
        raise ValueError(f"incidents: missing column(s) {sorted(missing)}; expected {REQUIRED}")
    later = pl.col("outcome_date") > as_of
    still_open = (pl.col("outcome") == OPEN) | later.fill_null(False)
    return incidents.filter(
        pl.col("reported_date").is_between(first, last, closed="both"),
        pl.col("outcome") != "transferred",
    ).with_columns(
        outcome=pl.when(still_open).then(pl.lit(OPEN)).otherwise(pl.col("outcome")),
        outcome_date=pl.when(still_open).then(None).otherwise(pl.col("outcome_date")),
    )


def outcomes(
    incidents: pl.DataFrame, first: dt.date, last: dt.date, as_of: dt.date
) -> pl.DataFrame:
    """Incidents reported in the window by outcome as known at `as_of`, per area.

    Columns: level, unit, outcome, incident_count, total_count (the area's incidents in the
    window, the same on each of its rows). Every category of `REPORTED_OUTCOMES` appears for
    every area that has an incident in the window, in that order, with zeros filled, so a
    table of the release never loses a column because no incident had that outcome.
    """
    areas = by_area(as_known(incidents, first, last, as_of))
    counts = areas.group_by(*AREA_KEYS, "outcome").agg(incident_count=pl.len().cast(pl.Int64))
    grid = (
        areas.select(AREA_KEYS)
        .unique()
        .join(pl.DataFrame({"outcome": list(REPORTED_OUTCOMES)}), how="cross")
    )
    return (
        grid.join(counts, on=[*AREA_KEYS, "outcome"], how="left")
        .with_columns(pl.col("incident_count").fill_null(0))
        .with_columns(total_count=pl.col("incident_count").sum().over(AREA_KEYS))
        .sort(
            pl.col("level").replace_strict(LEVEL_ORDER),
            "unit",
            pl.col("outcome").replace_strict({o: i for i, o in enumerate(REPORTED_OUTCOMES)}),
        )
        .select(*AREA_KEYS, "outcome", "incident_count", "total_count")
    )


def charge_rate(
    numerator: int, denominator: int, alpha: float = 0.05
) -> tuple[float | None, float | None, float | None]:
    """Proportion `numerator / denominator` with its exact (Clopper–Pearson 1934) interval.

    statsmodels `proportion_confint(method="beta")`: the limits are beta quantiles, so the
    interval never leaves [0, 1] and keeps at least its nominal coverage for the small counts
    of a single force. Returns (rate, ci_low, ci_high); all None when the denominator is 0.
    A plain function of two whole numbers, so the release can call it again on rounded
    counts and publish an interval consistent with the published figures.
    """
    for name, value in (("numerator", numerator), ("denominator", denominator)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(f"charge_rate: {name} must be a whole number, not {value!r}")
    if not 0 <= numerator <= denominator:
        raise ValueError(
            f"charge_rate: need 0 <= numerator <= denominator, got {numerator} of {denominator}"
        )
    if not 0 < alpha < 1:
        raise ValueError(f"charge_rate: alpha must be between 0 and 1, not {alpha}")
    if denominator == 0:
        return None, None, None
    low, high = proportion_confint(int(numerator), int(denominator), alpha=alpha, method="beta")
    return numerator / denominator, float(low), float(high)


def charge_rates(
    incidents: pl.DataFrame, first: dt.date, last: dt.date, as_of: dt.date
) -> pl.DataFrame:
    """Charge/summons rate per area: incidents charged by `as_of` over all incidents reported in
    the window, with a 95 % Clopper–Pearson interval (`charge_rate`).

    Columns: level, unit, charged_count, total_count, rate, ci_low, ci_high.

    The denominator includes the cases still open, as the Home Office charge/summons rate
    does (*Crime outcomes in England and Wales*: outcomes as a share of all crimes recorded in
    the period). Dividing by closed cases only would make a force look better the more cases
    it leaves open, and would move with investigation speed rather than with charging; the
    price is that the latest months' rate rises as their cases close, so a rate is always
    read with its as-of date.
    """
    counts = (
        by_area(as_known(incidents, first, last, as_of))
        .group_by(AREA_KEYS)
        .agg(
            charged_count=(pl.col("outcome") == CHARGED).sum().cast(pl.Int64),
            total_count=pl.len().cast(pl.Int64),
        )
        .sort(pl.col("level").replace_strict(LEVEL_ORDER), "unit")
    )
    intervals = [charge_rate(k, n) for k, n in counts.select("charged_count", "total_count").rows()]
    return counts.with_columns(
        pl.Series(name, [row[i] for row in intervals], dtype=pl.Float64)
        for i, name in enumerate(("rate", "ci_low", "ci_high"))
    )


FUNNEL_SCHEMA: dict[str, pl.DataType] = {
    "force_id": pl.String(),
    "charged_count": pl.Int64(),
    "total_count": pl.Int64(),
    "rate": pl.Float64(),
    "national_rate": pl.Float64(),
    "limit95_low": pl.Float64(),
    "limit95_high": pl.Float64(),
    "limit998_low": pl.Float64(),
    "limit998_high": pl.Float64(),
    "z_score": pl.Float64(),
    "is_outside95": pl.Boolean(),
    "is_outside998": pl.Boolean(),
    "phi": pl.Float64(),
}


def charge_rate_funnel(rates: pl.DataFrame) -> pl.DataFrame:
    """Each force's charge rate against the national rate, with binomial funnel limits.

    `rates` is the output of `charge_rates` (it needs level, unit, charged_count,
    total_count); the target θ0 is its national row's rate. Columns: `FUNNEL_SCHEMA`, one row
    per force, sorted by force_id; a force with total_count 0 has null rate, limits,
    z_score and flags.

    Method (Spiegelhalter 2005, "Funnel plots for comparing institutional performance", Stat
    Med 24:1185–1202), mirroring `analytics.funnel` for proportions: z_i = (p_i − θ0) /
    √(θ0(1 − θ0)/n_i); over-dispersion φ is the mean of the squared z-scores Winsorised at
    their 10th and 90th percentiles (`analytics.funnel.overdispersion`). When φ ≤ 1 the
    limits are exact binomial: the p-quantile r_p of Binomial(n_i, θ0) less Spiegelhalter's
    interpolation α = (F(r_p) − p)/(F(r_p) − F(r_p − 1)) (appendix A.1.1), over n_i. When
    φ > 1 they are θ0 ± z_p·√(φ·θ0(1 − θ0)/n_i), clipped to [0, 1] (multiplicative
    over-dispersion, as `analytics.funnel`: forces differ in practice as well as by chance,
    and without it large forces would be flagged for that alone). `is_outside95` and
    `is_outside998` flag rates strictly outside the 95 % and 99.8 % limits; `z_score` is
    unadjusted; `phi` (added after the flags) says which limits were drawn. φ and z are null
    when θ0 is 0 or 1.
    """
    missing = {"level", "unit", "charged_count", "total_count"} - set(rates.columns)
    if missing:
        raise ValueError(f"rates: missing column(s) {sorted(missing)}; pass charge_rates(...)")
    national = rates.filter(pl.col("level") == "national")
    if national.height != 1 or national["total_count"][0] <= 0:
        raise ValueError("rates: need exactly one national row with total_count above 0")
    theta = national["charged_count"][0] / national["total_count"][0]
    forces = (
        rates.filter(pl.col("level") == "force")
        .select(
            pl.col("unit").alias("force_id"),
            pl.col("charged_count").cast(pl.Int64),
            pl.col("total_count").cast(pl.Int64),
        )
        .sort("force_id")
    )
    y = forces["charged_count"].to_numpy().astype(np.float64)
    n = forces["total_count"].to_numpy().astype(np.float64)
    has = n > 0
    safe_n = np.where(has, n, 1.0)
    rate = np.where(has, y / safe_n, np.nan)
    spread = theta * (1.0 - theta)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(has & (spread > 0), (rate - theta) / np.sqrt(spread / safe_n), np.nan)
    phi = overdispersion(z[has]) if spread > 0 and has.any() else float("nan")
    limits = {
        name: np.where(has, values, np.nan)
        for name, values in binomial_limits(theta, phi, safe_n).items()
    }
    out = forces.with_columns(
        pl.Series("rate", rate),
        pl.lit(theta).alias("national_rate"),
        *(pl.Series(name, values) for name, values in limits.items()),
        pl.Series("z_score", z),
        pl.lit(phi, pl.Float64).alias("phi"),
    ).with_columns(pl.col(name).fill_nan(None) for name in ("rate", "z_score", "phi", *limits))
    return out.with_columns(
        is_outside95=(pl.col("rate") < pl.col("limit95_low"))
        | (pl.col("rate") > pl.col("limit95_high")),
        is_outside998=(pl.col("rate") < pl.col("limit998_low"))
        | (pl.col("rate") > pl.col("limit998_high")),
    ).select(list(FUNNEL_SCHEMA))


def binomial_limits(theta: float, phi: float, n: np.ndarray) -> dict[str, np.ndarray]:
    """Funnel limits on the proportion scale at denominators `n` (see `charge_rate_funnel`);
    exact binomial unless φ > 1. Also for drawing the funnel's lines on a grid of `n`."""
    n = np.asarray(n, dtype=np.float64)
    out: dict[str, np.ndarray] = {}
    for name, (low_p, high_p) in LIMITS.items():
        for side, p in (("low", low_p), ("high", high_p)):
            if phi > 1.0:
                bound = theta + norm.ppf(p) * np.sqrt(phi * theta * (1.0 - theta) / n)
            else:
                bound = _binomial_quantile(p, n, theta) / n
            out[f"{name}_{side}"] = np.clip(bound, 0.0, 1.0)
    return out


def _binomial_quantile(p: float, n: np.ndarray, theta: float) -> np.ndarray:
    """Continuous p-quantile of Binomial(n, θ): r_p − α (Spiegelhalter 2005, appendix A.1.1)."""
    r_p = binom.ppf(p, n, theta)
    at = binom.cdf(r_p, n, theta)
    below = binom.cdf(r_p - 1, n, theta)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = np.where(at > below, (at - p) / (at - below), 0.0)
    return r_p - alpha


def _check_window(first: dt.date, last: dt.date, as_of: dt.date) -> None:
    if not first <= last <= as_of:
        raise ValueError(
            f"window: need first <= last <= as_of, got first={first}, last={last}, as_of={as_of}"
        )
