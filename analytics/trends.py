"""Trends on count series: change per year, and this quarter against the last and last year's.

A counts frame has one row per series and period: `series_id` (str), `period` (pl.Date, the
first day of the month, or of the quarter when `freq` is 4) and `count` (a non-negative
integer). A period missing between a series' first and last rows is a zero count (a
`group_by` drops the empty months); periods before its first row or after its last are not
covered, so a producer that knows a series was zero there must say so with explicit zero
rows.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl
from scipy.stats import beta, binomtest, norm
from statsmodels.discrete.discrete_model import NegativeBinomial
from statsmodels.genmod.families import Poisson
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from etl.periods import add_months, last_complete_quarter

Family = Literal["auto", "poisson", "negbin"]

OVERDISPERSION_THRESHOLD = 1.5
"""Pearson χ²/df of the Poisson fit above which `family="auto"` fits a negative binomial."""

ALPHA_AT_ZERO = 1e-3
"""A negative binomial α below this, where the optimiser stalls, is the Poisson boundary."""

CONFIDENCE = 0.95
_Z = float(norm.ppf(0.5 + CONFIDENCE / 2))

TREND_SCHEMA: dict[str, pl.DataType] = {
    "series_id": pl.String(),
    "n_periods": pl.Int64(),
    "first_period": pl.Date(),
    "last_period": pl.Date(),
    "family": pl.String(),
    "change_per_year": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
    "p_value": pl.Float64(),
    "dispersion": pl.Float64(),
    "note": pl.String(),
}

CHANGE_SCHEMA: dict[str, pl.DataType] = {
    "series_id": pl.String(),
    "comparison": pl.String(),
    "current_period": pl.Date(),
    "previous_period": pl.Date(),
    "current_count": pl.Int64(),
    "previous_count": pl.Int64(),
    "rate_ratio": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
    "p_value": pl.Float64(),
    "note": pl.String(),
}


def trend_per_year(
    counts: pl.DataFrame,
    freq: int = 12,
    family: Family = "auto",
    *,
    min_periods: int | None = None,
) -> pl.DataFrame:
    """Multiplicative change per year of each series, with a 95 % Wald CI and p-value.

    Why a count model: offences against MPs are small counts, often single figures a month
    in a force, so a straight line through them (or through their logs) is wrong in both
    mean and variance. Each series is fitted as a log-linear GLM (McCullagh & Nelder 1989,
    ch. 6): log E[y_t] = a + b·t + season(t), with t in years (so exp(b) is the change per
    year: 1.10 is +10 %/yr) and month-of-year (`freq` 12) or quarter-of-year (`freq` 4)
    dummies, because reports are seasonal (recess, conference season) and an unbalanced
    start or end month would otherwise bias the slope. Seasonality is dropped when a series
    has fewer than two full years (2·freq periods), which only happens when `min_periods`
    is lowered below its default. A season whose count is zero in every year is left out of
    the fit: its dummy would run to minus infinity, and in the limit those periods carry no
    information about a or b, so dropping them gives the same estimate without the
    numerical failure.

    Family: the Poisson fit comes first, and its Pearson χ²/df is reported as `dispersion`.
    With `family="auto"` a series whose dispersion exceeds 1.5 (`OVERDISPERSION_THRESHOLD`)
    is refitted as a negative binomial (NB2, variance μ + αμ², α by maximum likelihood:
    statsmodels `discrete_model.NegativeBinomial`; Cameron & Trivedi 2013, ch. 3), because
    Poisson standard errors on overdispersed counts are too small by about √dispersion
    and the CI would cover the truth far less often than it claims. "poisson" and "negbin"
    force a family; a forced negative binomial whose α is estimated at 0 (equidispersed
    counts: the score Σ[(y − μ)² − y] of the Poisson fit is not positive, Cameron & Trivedi's
    overdispersion test) is reported as the Poisson fit it reduces to, with a note. The CI is
    exp(b ± 1.96·se(b)) and the p-value is the Wald test of b = 0. Wald intervals from the
    negative binomial can be a little narrow in short series, since α is estimated too.

    One row per series, sorted by series_id. Series that are all zero, or shorter than
    `min_periods` (default 2·freq, two years), or whose fit fails get a row with null
    estimates and a `note` saying why; `note` is null otherwise.
    """
    _check_freq(freq)
    if family not in ("auto", "poisson", "negbin"):
        raise ValueError(f"family must be 'auto', 'poisson' or 'negbin', not {family!r}")
    needed = 2 * freq if min_periods is None else min_periods
    if needed < 3:
        raise ValueError(f"min_periods must be at least 3 (intercept, slope, a residual): {needed}")

    complete = _complete(_validated(counts, freq), freq)
    spans = complete.group_by("series_id", maintain_order=True).agg(
        n_periods=pl.len(),
        first_period=pl.col("period").first(),
        last_period=pl.col("period").last(),
    )
    all_counts = complete["count"].to_numpy().astype(np.float64)
    all_index = _period_index(complete["period"], freq)
    rows: list[dict[str, object]] = []
    start = 0
    for span in spans.iter_rows(named=True):
        n = span["n_periods"]
        y, index = all_counts[start : start + n], all_index[start : start + n]
        start += n
        row: dict[str, object] = dict(span)
        if n < needed:
            row["note"] = f"too short: {n} periods, a trend needs at least {needed}"
        elif not y.any():
            row["note"] = "all counts are zero: no trend can be estimated"
        else:
            row |= _fit_series(y, index, freq, family)
        rows.append(row)
    return pl.DataFrame(rows, schema=TREND_SCHEMA)


def period_change(counts: pl.DataFrame, freq: int, as_of: dt.date) -> pl.DataFrame:
    """This quarter against the previous quarter and the same quarter a year before.

    The current quarter is the latest calendar quarter that has ended by the month of
    `as_of` (as_of 2024-06-01 or 2024-06-30 gives April–June 2024; as_of 2024-05-15 gives
    January–March, so an unfinished quarter is never compared). Monthly data (`freq` 12) is
    summed to calendar quarters first. Each series gets two rows, `quarter_on_quarter` and
    `year_on_year`.

    The rate ratio is current/previous counts (quarters are treated as equal exposure; they
    differ by at most two days in 92). Its CI and p-value are the exact conditional test for
    two Poisson counts (Przyborowski & Wileński 1940; as in R's `poisson.test`;
    `exact_rate_ratio`): given the total n = current + previous, current ~ Binomial(n,
    R/(1+R)), so the test of R = 1 is scipy's `binomtest(current, n, 0.5)` and the
    Clopper–Pearson interval (π_l, π_u) for the binomial proportion maps to
    (π_l/(1−π_l), π_u/(1−π_u)) for R. Unlike a Wald interval on log counts it is valid for
    the single-figure counts a force quarter often holds, and is conservative (coverage at
    least 95 %).

    A zero previous count gives a null ratio and CI (the ratio is infinite or undefined)
    with a note; the p-value is still given when the current count is positive. A quarter
    outside a series' first..last period gives null counts and a note.
    """
    _check_freq(freq)
    if counts.is_empty():
        raise ValueError("counts: no rows, so there is no quarter to compare")
    quarterly = _to_quarters(_complete(_validated(counts, freq), freq), freq)
    current = last_complete_quarter(as_of)
    data_end = quarterly["quarter_end"].max()
    current_end = add_months(current, 2 if freq == 12 else 0)
    if not isinstance(data_end, dt.date) or current_end > data_end:
        raise ValueError(
            f"as_of {as_of.isoformat()}: the quarter starting {current.isoformat()} ends after "
            f"the last period in counts ({data_end})"
        )
    comparisons = (
        ("quarter_on_quarter", add_months(current, -3)),
        ("year_on_year", add_months(current, -12)),
    )
    rows: list[dict[str, object]] = []
    for (series_id,), series in quarterly.group_by("series_id", maintain_order=True):
        by_quarter = dict(zip(series["quarter"], series["count"], strict=True))
        complete_quarters = set(series.filter(pl.col("is_complete"))["quarter"])
        for comparison, previous in comparisons:
            row: dict[str, object] = {
                "series_id": series_id,
                "comparison": comparison,
                "current_period": current,
                "previous_period": previous,
            }
            missing = [q for q in (current, previous) if q not in complete_quarters]
            if missing:
                row["note"] = "not covered by the series: quarter starting " + ", ".join(
                    q.isoformat() for q in missing
                )
            else:
                row |= _quarter_ratio(int(by_quarter[current]), int(by_quarter[previous]))
            rows.append(row)
    return pl.DataFrame(rows, schema=CHANGE_SCHEMA)


@dataclass(frozen=True)
class _Fit:
    log_change: float
    se: float
    p_value: float


_MAX_LOG_CHANGE = 50.0
"""A change per year whose 95% interval reaches past e^50 is a separated fit on a series of
near zeros (statsmodels reports a huge standard error), not a trend."""


def _fit_series(y: np.ndarray, index: np.ndarray, freq: int, family: Family) -> dict[str, object]:
    season = index % freq
    seasonal = len(y) >= 2 * freq
    if seasonal:
        observed = np.isin(season, np.unique(season[y > 0]))
        y, index, season = y[observed], index[observed], season[observed]
    x = _design(index / freq, season if seasonal else None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (ConvergenceWarning, PerfectSeparationWarning))
        poisson = GLM(y, x, family=Poisson()).fit()
    if not poisson.converged or not np.isfinite(poisson.bse[1]):
        return {"note": "Poisson fit did not converge"}
    dispersion = float(poisson.pearson_chi2 / poisson.df_resid)
    chosen = family
    if family == "auto":
        chosen = "negbin" if dispersion > OVERDISPERSION_THRESHOLD else "poisson"
    result: dict[str, object] = {"family": chosen, "dispersion": dispersion}
    poisson_fit = _Fit(float(poisson.params[1]), float(poisson.bse[1]), float(poisson.pvalues[1]))
    fit: _Fit | None = poisson_fit
    if chosen == "negbin":
        fit, alpha = None, 0.0
        if np.sum((y - poisson.mu) ** 2 - y) > 0:  # the score for α at 0: α̂ > 0 only if > 0
            start = max((dispersion - 1.0) / float(poisson.mu.mean()), 0.05)
            fit, alpha = _negbin(y, x, np.append(poisson.params, start))
        if fit is None and alpha < ALPHA_AT_ZERO:
            fit = poisson_fit
            result |= {"family": "poisson", "note": "negative binomial α is 0: Poisson fit"}
    if fit is None:
        return result | {"note": "negative binomial fit did not converge"}
    if abs(fit.log_change) + _Z * fit.se > _MAX_LOG_CHANGE:
        return result | {"note": "trend not estimable: the series is too sparse (its interval "
                                 "spans more than a factor of e^50)"}
    return result | {
        "change_per_year": math.exp(fit.log_change),
        "ci_low": math.exp(fit.log_change - _Z * fit.se),
        "ci_high": math.exp(fit.log_change + _Z * fit.se),
        "p_value": fit.p_value,
    }


def _design(years: np.ndarray, season: np.ndarray | None) -> np.ndarray:
    """Intercept, centred time in years, and a dummy per season but the first one present."""
    columns = [np.ones_like(years), years - years.mean()]
    if season is not None:
        columns += [(season == level).astype(np.float64) for level in np.unique(season)[1:]]
    return np.column_stack(columns)


def _negbin(y: np.ndarray, x: np.ndarray, start: np.ndarray) -> tuple[_Fit | None, float]:
    """NB2 by maximum likelihood from the Poisson fit and a moment estimate of α.

    Returns the fit (None when no optimiser converges) and the last finite α reached: on
    equidispersed counts the likelihood is maximised on the boundary α = 0, where the
    optimisers stall, and the negative binomial's estimate is the Poisson one.
    """
    model = NegativeBinomial(y, x, loglike_method="nb2")
    alpha = math.inf
    for method in ("newton", "bfgs"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                result = model.fit(start_params=start, method=method, maxiter=200, disp=False)
            except (np.linalg.LinAlgError, ValueError):
                continue
        if np.isfinite(result.params[-1]):
            alpha = float(result.params[-1])
        if result.mle_retvals.get("converged") and np.isfinite(result.bse[1]):
            fit = _Fit(float(result.params[1]), float(result.bse[1]), float(result.pvalues[1]))
            return fit, alpha
    return None, alpha


def exact_rate_ratio(
    count: int, exposure: float, reference_count: int, reference_exposure: float
) -> dict[str, float | None]:
    """Ratio of two Poisson rates with the exact conditional 95 % CI and two-sided p-value.

    Given n = count + reference_count, count ~ Binomial(n, π) with π = R·t/(R·t + t_ref)
    for rate ratio R and exposures t, t_ref (Przyborowski & Wileński 1940; R's
    `poisson.test`). The p-value of R = 1 is scipy's `binomtest(count, n, t/(t + t_ref))`;
    the CI is the Clopper–Pearson interval for π (beta quantiles, the same interval as
    `binomtest(...).proportion_ci(method="exact")` without its root search) mapped to
    R = π/(1 − π)·t_ref/t. Keys rate_ratio, ci_low, ci_high, p_value; the ratio and CI are
    None when reference_count is 0 (unbounded), and everything is None when n is 0.
    """
    out: dict[str, float | None] = dict.fromkeys(("rate_ratio", "ci_low", "ci_high", "p_value"))
    total = count + reference_count
    if total == 0:
        return out
    share = exposure / (exposure + reference_exposure)
    out["p_value"] = float(binomtest(count, total, share).pvalue)
    if reference_count == 0:
        return out
    tail = (1.0 - CONFIDENCE) / 2
    low = float(beta.ppf(tail, count, total - count + 1)) if count else 0.0
    high = float(beta.ppf(1.0 - tail, count + 1, total - count))
    scale = reference_exposure / exposure
    out["rate_ratio"] = count / reference_count * scale
    out["ci_low"] = low / (1.0 - low) * scale
    out["ci_high"] = high / (1.0 - high) * scale
    return out


def _quarter_ratio(current: int, previous: int) -> dict[str, object]:
    row: dict[str, object] = {"current_count": current, "previous_count": previous}
    row |= exact_rate_ratio(current, 1.0, previous, 1.0)
    if current + previous == 0:
        row["note"] = "no offences in either period: no ratio"
    elif previous == 0:
        row["note"] = "previous count is zero: the ratio is unbounded"
    return row


def _check_freq(freq: int) -> None:
    if freq not in (4, 12):
        raise ValueError(f"freq must be 12 (monthly) or 4 (quarterly), not {freq!r}")


def _validated(counts: pl.DataFrame, freq: int) -> pl.DataFrame:
    """The counts frame, checked: errors name the series, period and field at fault."""
    missing = {"series_id", "period", "count"} - set(counts.columns)
    if missing:
        raise ValueError(
            f"counts: missing column(s) {sorted(missing)}; expected series_id, period, count"
        )
    if counts.schema["period"] != pl.Date:
        raise ValueError(f"counts: period must be pl.Date, not {counts.schema['period']}")
    if not counts.schema["count"].is_integer():
        raise ValueError(f"counts: count must be an integer type, not {counts.schema['count']}")
    frame = counts.select(
        pl.col("series_id").cast(pl.String), "period", pl.col("count").cast(pl.Int64)
    )
    starts = (1, 4, 7, 10) if freq == 4 else tuple(range(1, 13))
    bad = frame.with_row_index("row").filter(
        pl.any_horizontal(pl.all().is_null())
        | (pl.col("count") < 0)
        | (pl.col("period").dt.day() != 1)
        | ~pl.col("period").dt.month().is_in(starts)
    )
    if len(bad):
        first = bad.row(0, named=True)
        unit = "quarter" if freq == 4 else "month"
        raise ValueError(
            f"counts row {first['row']} (series {first['series_id']!r}, period "
            f"{first['period']}): expected a series_id, a period on the first day of a {unit} "
            f"and a non-negative count, got count {first['count']} ({len(bad)} bad rows)"
        )
    dupes = frame.filter(pl.struct("series_id", "period").is_duplicated())
    if len(dupes):
        first = dupes.row(0, named=True)
        raise ValueError(
            f"counts: series {first['series_id']!r} has more than one row for period "
            f"{first['period']}"
        )
    return frame


def _complete(frame: pl.DataFrame, freq: int) -> pl.DataFrame:
    """Every period from each series' first to last, missing ones as zero counts."""
    interval = "3mo" if freq == 4 else "1mo"
    grid = (
        frame.group_by("series_id", maintain_order=True)
        .agg(pl.date_range(pl.col("period").min(), pl.col("period").max(), interval=interval))
        .explode("period")
    )
    return (
        grid.join(frame, on=["series_id", "period"], how="left")
        .with_columns(pl.col("count").fill_null(0))
        .sort("series_id", "period", maintain_order=True)
    )


def _period_index(periods: pl.Series, freq: int) -> np.ndarray:
    """Periods since 1 January of year 0 in `freq` units, so index % freq is the season."""
    months = periods.dt.year().cast(pl.Int64) * 12 + periods.dt.month().cast(pl.Int64) - 1
    return (months // (12 // freq)).to_numpy()


def _to_quarters(frame: pl.DataFrame, freq: int) -> pl.DataFrame:
    """Sum to calendar quarters; a quarter is complete when the series covers all of it."""
    per_quarter = 3 if freq == 12 else 1
    return (
        frame.with_columns(quarter=pl.col("period").dt.truncate("1q"))
        .group_by("series_id", "quarter", maintain_order=True)
        .agg(
            pl.col("count").sum(),
            pl.col("period").max().alias("quarter_end"),
            (pl.len() == per_quarter).alias("is_complete"),
        )
    )

