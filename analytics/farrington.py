"""The improved Farrington algorithm, as R's `surveillance::farringtonFlexible` computes it.

Noufaily et al. 2013 (Stat Med 32:1206) improved Farrington et al. 1996 (JRSS A 159:547);
Salmon, Schumacher and Höhle 2016 (JSS 70(10)) describe the implementation followed here,
step by step (`shared/notes/exceedance.md` §2). For each evaluated period k of a series:

1. reference points k, k−freq, …, k−b·freq, each with a window of ±w periods;
2. a seasonal factor of `no_periods` levels: the windows are the last level, the gaps
   between windows are split into `no_periods − 1` blocks;
3. the `past_periods_not_included` periods before k (and k) are left out of the fit;
4. a quasi-Poisson GLM (log link) of the counts on an intercept, a linear time trend, the
   seasonal factor and, when a population is given, an offset log(population);
5. dispersion φ = max(Pearson X²/(n − p), 1); Anscombe residuals reweight the points above
   `weights_threshold` (outbreaks in the past pull the baseline up less) and the model is
   refitted with those prior weights;
6. the trend is kept when its p-value is under `p_threshold_trend`, b ≥ 3 and the prediction
   at k does not extrapolate above the largest baseline count; otherwise refit without it;
7. the threshold: the negative-binomial plug-in quantile (`nbPlugin`, the default), its
   variant on the upper confidence limit of the mean (`muan`) or the original 2/3-power
   delta method (`delta`);
8. the 5-in-4 rule: no alarm (and no bound) unless the last 4 periods hold 5 or more cases.

Differences from the package, on purpose:
- Windows and seasonal blocks must not overlap: with monthly data, w = 3 and 10 periods
  leave zero-length blocks, which the package silently overwrites; here that is an error.
- After reweighting, the package overwrites the GLM's working weights with the prior
  weights (`model$weights <- omega`), so the trend t-test and the standard error of the
  prediction use Σω(y−μ)²/μ²/(n−p) as dispersion instead of the Pearson statistic.
  By default this module uses the Pearson dispersion of the weighted fit, which is what
  the quasi-Poisson model implies; `mirror_r_dispersion=True` reproduces the package. With
  the defaults (`nbPlugin`, `p_threshold_trend=1`) the choice changes no bound or alarm:
  the plug-in threshold does not use the standard error, and a p-value is below 1 either way.

The fits run batched: for one k every series of the same length shares the design matrix,
so iteratively reweighted least squares runs on all of them at once with numpy. The
statsmodels fit of one series (`fit_series_statsmodels`) is the reference the batched
engine is tested against: the same expected counts, bounds and alarms, one series and one
period at a time (`tests/analytics/test_farrington_reference.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

from analytics import distributions as dist

FloatArray = npt.NDArray[np.float64]
ThresholdMethod = Literal["nbPlugin", "muan", "delta"]
PowerTransform = Literal["2/3", "1/2", "none"]

IRLS_TOLERANCE = 1e-8
IRLS_MAX_ITERATIONS = 25


@dataclass(frozen=True)
class FarringtonParams:
    """Control parameters, named as in `farringtonFlexible` (snake case)."""

    b: int = 5
    w: int = 1
    no_periods: int = 10
    past_periods_not_included: int = 6
    weights_threshold: float = 2.58
    p_threshold_trend: float = 1.0
    threshold_method: ThresholdMethod = "nbPlugin"
    alpha: float = 0.05
    trend: bool = True
    reweight: bool = True
    limit54: tuple[int, int] = (5, 4)
    powertrans: PowerTransform = "2/3"
    mirror_r_dispersion: bool = False

    @classmethod
    def monthly(cls, **changes: object) -> FarringtonParams:
        """Issue defaults for monthly series (w=1 so 10 periods fit between windows)."""
        return replace(cls(), **changes)  # type: ignore[arg-type]

    @classmethod
    def weekly(cls, **changes: object) -> FarringtonParams:
        return replace(cls(w=3, past_periods_not_included=26), **changes)  # type: ignore[arg-type]

    @classmethod
    def quarterly(cls, **changes: object) -> FarringtonParams:
        """Ours (the package has none): windows of one quarter, 4 seasonal periods, and the
        last 2 quarters left out, as 6 months are for monthly data."""
        return replace(  # type: ignore[arg-type]
            cls(w=0, no_periods=4, past_periods_not_included=2), **changes)

    def min_history(self, freq: int) -> int:
        """Periods a series needs before the first evaluated one (R's default range start)."""
        return freq * self.b + self.w


class HistoryTooShortError(ValueError):
    """Not enough past periods for the reference windows of the evaluated period."""


@dataclass
class FarringtonResult:
    """Per evaluated period (rows) and series (columns), as `farringtonFlexible` returns."""

    expected: FloatArray
    upperbound: FloatArray
    alarm: npt.NDArray[np.bool_]
    score: FloatArray
    pvalue: FloatArray
    phi: FloatArray
    trend_kept: npt.NDArray[np.bool_]
    notes: list[str] = field(default_factory=list)


def reference_points(k: int, freq: int, b: int) -> list[int]:
    """k, k−freq, …, k−b·freq (0-based): `algo.farrington.referencetimepoints`."""
    return [k - i * freq for i in range(b + 1)]


def seasonal_blocks(n: int, k: int, freq: int, b: int, w: int, p: int) -> FloatArray:
    """The seasonal factor level of every index (NaN: not in the model), as `blocks()`.

    Windows get level p; the gap after each past window is split into p−1 blocks, the
    first `gap mod (p−1)` one longer. Indices older than the oldest window stay NaN.
    """
    refs = reference_points(k, freq, b)
    if refs[-1] - w < 0:
        raise HistoryTooShortError(
            f"period {k} needs {b * freq + w} earlier periods for b={b}, w={w}; it has {k}"
        )
    levels = np.full(n, np.nan)
    levels[k - w : k + 1] = p
    for i in range(1, b + 1):
        ref = refs[i]
        levels[ref - w : ref + w + 1] = p
        if p == 1:
            continue
        gap = refs[i - 1] - 2 * w - 1 - ref
        if gap < p - 1:
            raise ValueError(
                f"{p} seasonal periods do not fit between windows of ±{w} with frequency "
                f"{freq}: the gap holds {gap} periods (use a smaller w or fewer periods)"
            )
        size, rest = divmod(gap, p - 1)
        lengths = [size + 1 if j < rest else size for j in range(p - 1)]
        start = ref + w + 1
        for level, length in enumerate(lengths, start=1):
            levels[start : start + length] = level
            start += length
    return levels


def anscombe_weights(s: FloatArray, threshold: float, mask: FloatArray | None = None) -> FloatArray:
    """Prior weights from Anscombe residuals (Farrington 1996 §3.3), summing to n.

    Works on the last axis, so a batch of series is weighted at once; `mask` (1 = used)
    leaves missing points out with weight 0.
    """
    used = np.ones_like(s) if mask is None else mask
    with np.errstate(divide="ignore"):
        inverse_square = np.where((s > threshold) & (used > 0), s**-2.0, used)
    gamma = used.sum(axis=-1, keepdims=True) / inverse_square.sum(axis=-1, keepdims=True)
    return gamma * inverse_square


def threshold_delta(
    mu0: FloatArray | float,
    se_mu: FloatArray | float,
    phi: FloatArray | float,
    powertrans: PowerTransform,
    alpha: float,
    y: FloatArray | float,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """`algo.farrington.threshold.farrington`: (lower, upper, P(Y ≥ y), score)."""
    mu0 = np.asarray(mu0, dtype=float)
    tau = np.asarray(phi, dtype=float) + np.asarray(se_mu, dtype=float) ** 2 / mu0
    z = dist.norm_ppf(1 - alpha)
    if powertrans == "none":
        se, exponent = np.sqrt(mu0 * tau), 1.0
    elif powertrans == "1/2":
        se, exponent = np.sqrt(tau / 4), 0.5
    else:
        se, exponent = np.sqrt(4 / 9 * mu0 ** (1 / 3) * tau), 2 / 3
    low = np.maximum(mu0**exponent - z * se, 0) ** (1 / exponent)
    upper = (mu0**exponent + z * se) ** (1 / exponent)
    low = np.maximum(0.0, np.minimum(low, upper))
    y = np.asarray(y, dtype=float)
    prob = dist.norm_sf(y**exponent, loc=mu0**exponent, scale=se)
    score = (y - mu0) / (upper - mu0)
    return low, upper, prob, score


def threshold_noufaily(
    eta0: FloatArray | float,
    se_eta0: FloatArray | float,
    phi: FloatArray | float,
    method: Literal["nbPlugin", "muan"],
    alpha: float,
    y: FloatArray | float,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """`algo.farrington.threshold.noufaily`: negative-binomial quantiles of the fitted mean.

    The score is (y − η)/(U − η) with η on the link scale, a quirk of the package kept
    because it decides the alarm (score > 1 ⇔ y > U whenever U > η).
    """
    eta0 = np.asarray(eta0, dtype=float)
    phi = np.broadcast_to(np.asarray(phi, dtype=float), eta0.shape)
    y = np.broadcast_to(np.asarray(y, dtype=float), eta0.shape)
    if method == "nbPlugin":
        mu = np.exp(eta0)
    else:
        mu = np.exp(dist.norm_ppf(1 - alpha, loc=eta0, scale=se_eta0))
    over = phi > 1
    size = np.where(over, mu / np.where(over, phi - 1, 1), 1.0)
    prob = 1 / phi
    with np.errstate(invalid="ignore"):
        low = np.where(over, _qnbinom(alpha, size, prob), _qpois(alpha, mu))
        upper = np.where(over, _qnbinom(1 - alpha, size, prob), _qpois(1 - alpha, mu))
        pvalue = np.where(
            phi != 1,
            dist.nbinom_sf(y - 1, size, prob),
            dist.poisson_sf(y - 1, mu),
        )
    infinite = ~np.isfinite(mu)
    low, upper, pvalue = (np.where(infinite, np.nan, a) for a in (low, upper, pvalue))
    low = np.maximum(low, 0)
    score = (y - eta0) / (upper - eta0)
    return low, upper, pvalue, score


def _fuzz(p: float) -> float:
    """R's quantile functions search with a relative fuzz of 64·ε (`qDiscrete_search.h`)."""
    return p * (1 - 64 * np.finfo(float).eps)


def _qnbinom(p: float, size: FloatArray, prob: FloatArray | float) -> FloatArray:
    return np.asarray(dist.nbinom_ppf(_fuzz(p), size, prob), dtype=float)


def _qpois(p: float, mu: FloatArray) -> FloatArray:
    return np.asarray(dist.poisson_ppf(_fuzz(p), mu), dtype=float)


@dataclass
class _Fit:
    """A batch of quasi-Poisson fits sharing one design matrix."""

    beta: FloatArray  # (S, p)
    mu: FloatArray  # (S, n)
    xtwx_inv: FloatArray  # (S, p, p)
    converged: npt.NDArray[np.bool_]  # (S,)
    pearson: FloatArray  # (S,) Pearson X² / df with the prior weights
    quirk: FloatArray  # (S,) Σ ω (y−μ)²/μ² / df: the package's dispersion after reweighting
    hat: FloatArray  # (S, n)


def _outer_rows(x: FloatArray) -> FloatArray:
    """(n, p²): the outer product of each row of X with itself, flattened, so that X'WX of
    every series at once is one matrix product (S, n) @ (n, p²)."""
    return (x[:, :, None] * x[:, None, :]).reshape(x.shape[0], -1)


def _irls(x: FloatArray, y: FloatArray, weights: FloatArray, offset: FloatArray,
          mask: FloatArray) -> _Fit:
    """Poisson IRLS as R's `glm.fit`: start at y + 0.1, stop on relative deviance 1e-8.

    x: (n, p) shared; y, weights, offset, mask: (S, n). Masked points get weight 0. The
    linear predictor is kept above −30 so that an all-zero baseline stays finite (R warns
    and returns a fitted mean of about 0 there too).
    """
    s_count, p = y.shape[0], x.shape[1]
    prior = weights * mask
    mu = y + 0.1
    eta = np.log(mu)
    converged = np.zeros(s_count, dtype=bool)
    ridge = np.eye(p) * 1e-12
    beta = np.zeros((s_count, p))
    outer = _outer_rows(x)  # X is shared: its rows' outer products are made once
    # the series still iterating, compacted only when some converge (most of a batch often
    # runs all 25 iterations: a seasonal level with no counts has no finite estimate)
    active = np.arange(s_count)
    ya, ma, pa, oa, eta_a = y, mu, prior, offset, eta
    deviance_a = np.full(s_count, np.inf)
    for _ in range(IRLS_MAX_ITERATIONS):
        z = eta_a - oa + (ya - ma) / ma
        w = pa * ma
        xtwz = (w * z) @ x
        beta_a = np.linalg.solve((w @ outer).reshape(-1, p, p) + ridge, xtwz[..., None])[..., 0]
        eta_a = np.maximum(beta_a @ x.T + oa, -30.0)
        ma = np.exp(eta_a)
        with np.errstate(divide="ignore", invalid="ignore"):
            unit = np.where(ya > 0, ya * np.log(ya / ma), 0.0) - (ya - ma)
        new_deviance = 2 * (pa * unit).sum(axis=1)
        done = np.abs(new_deviance - deviance_a) / (np.abs(new_deviance) + 0.1) < (
            IRLS_TOLERANCE)
        beta[active], eta[active], mu[active] = beta_a, eta_a, ma
        converged[active] = done
        deviance_a = new_deviance
        if done.any():
            keep = ~done
            active = active[keep]
            if active.size == 0:
                break
            ya, ma, pa, oa, eta_a = ya[keep], ma[keep], pa[keep], oa[keep], eta_a[keep]
            deviance_a = deviance_a[keep]
    w = prior * mu
    xtwx_inv = np.linalg.inv((w @ outer).reshape(-1, p, p) + ridge)
    df = mask.sum(axis=1) - x.shape[1]
    resid = (y - mu) * mask
    pearson = (prior * resid**2 / mu).sum(axis=1) / df
    quirk = (prior * resid**2 / mu**2).sum(axis=1) / df
    hat = (xtwx_inv.reshape(s_count, -1) @ outer.T) * w
    return _Fit(beta, mu, xtwx_inv, converged, pearson, quirk, hat)


def _fit_flexible(
    x: FloatArray, y: FloatArray, offset: FloatArray, mask: FloatArray, params: FarringtonParams
) -> tuple[_Fit, FloatArray, FloatArray]:
    """`algo.farrington.fitGLM.flexible`: fit, φ, reweight, refit. Returns (fit, φ, weights)."""
    ones = np.ones_like(y)
    fit = _irls(x, y, ones, offset, mask)
    phi = np.maximum(fit.pearson, 1.0)
    weights = ones
    if params.reweight:
        with np.errstate(invalid="ignore", divide="ignore"):
            s = 1.5 * (y ** (2 / 3) * fit.mu ** (-1 / 6) - fit.mu**0.5)
            s = s / np.sqrt(phi[:, None] * (1 - fit.hat))
        weights = anscombe_weights(np.nan_to_num(s, nan=-np.inf), params.weights_threshold, mask)
        fit = _irls(x, y, weights, offset, mask)
        phi = np.maximum(fit.pearson, 1.0)
    return fit, phi, weights


def _dispersion(fit: _Fit, params: FarringtonParams) -> FloatArray:
    """The scale of the trend test and the prediction's standard error (see module doc)."""
    return fit.quirk if params.mirror_r_dispersion and params.reweight else fit.pearson


def _design(
    levels: FloatArray, used: npt.NDArray[np.bool_], k: int, p: int, trend: bool
) -> tuple[FloatArray, FloatArray]:
    """Model matrix of the used indices and the prediction row at k (R treatment contrasts)."""
    idx = np.flatnonzero(used)
    cols = [np.ones(idx.size)]
    row = [1.0]
    if trend:
        cols.append(idx + 1.0)  # the package's wtime is the 1-based index
        row.append(k + 1.0)
    present = sorted(set(levels[idx].astype(int)))
    for level in present[1:]:
        cols.append((levels[idx] == level).astype(float))
        row.append(1.0 if level == p else 0.0)
    return np.column_stack(cols), np.asarray(row)


def farrington_flexible(
    observed: npt.ArrayLike,
    freq: int,
    evaluate: list[int],
    params: FarringtonParams | None = None,
    population: npt.ArrayLike | None = None,
) -> FarringtonResult:
    """Evaluate periods `evaluate` (0-based) of one or many series of equal length.

    `observed`: (n,) or (S, n) counts, NaN for missing; `population`: the same shape when a
    population offset is wanted. Raises HistoryTooShortError when an evaluated period has
    fewer than `params.min_history(freq)` periods before it.
    """
    params = params or FarringtonParams()
    y_all = np.atleast_2d(np.asarray(observed, dtype=float))
    pop = None if population is None else np.atleast_2d(np.asarray(population, dtype=float))
    shape = (len(evaluate), y_all.shape[0])
    out = FarringtonResult(
        expected=np.full(shape, np.nan),
        upperbound=np.full(shape, np.nan),
        alarm=np.zeros(shape, dtype=bool),
        score=np.full(shape, np.nan),
        pvalue=np.full(shape, np.nan),
        phi=np.full(shape, np.nan),
        trend_kept=np.zeros(shape, dtype=bool),
    )
    with threadpool_limits(limits=1, user_api="blas"):
        _evaluate(y_all, pop, freq, evaluate, params, out)
    return out


def _evaluate(y_all: FloatArray, pop: FloatArray | None, freq: int, evaluate: list[int],
              params: FarringtonParams, out: FarringtonResult) -> None:
    """The loop over evaluated periods; BLAS threads cost more than they give on p ≤ 12."""
    s_count, n = y_all.shape
    p = params.no_periods
    for row, k in enumerate(evaluate):
        levels = seasonal_blocks(n, k, freq, params.b, params.w, p)
        levels[max(k - params.past_periods_not_included, 0) : k + 1] = np.nan
        used = ~np.isnan(levels)
        y = y_all[:, used]
        mask = (~np.isnan(y)).astype(float)
        y = np.nan_to_num(y)
        offset = np.zeros_like(y) if pop is None else np.log(pop[:, used])
        offset_k = np.zeros(s_count) if pop is None else np.log(pop[:, k])
        y_k = y_all[:, k]

        fits = {}
        for trend in (True, False) if params.trend else (False,):
            x, x0 = _design(levels, used, k, p, trend)
            fit, phi, _ = _fit_flexible(x, y, offset, mask, params)
            fits[trend] = (fit, phi, x0)

        use_trend = np.zeros(s_count, dtype=bool)
        if params.trend:
            fit, phi, x0 = fits[True]
            eta = fit.beta @ x0 + offset_k
            dispersion = _dispersion(fit, params)
            se_time = np.sqrt(fit.xtwx_inv[:, 1, 1] * dispersion)
            df = mask.sum(axis=1) - x0.size
            p_trend = 2 * dist.t_sf(np.abs(fit.beta[:, 1] / se_time), df)
            largest = np.where(mask > 0, y, -np.inf).max(axis=1)
            use_trend = (
                fit.converged
                & (params.b >= 3)
                & (p_trend < params.p_threshold_trend)
                & (np.exp(eta) <= largest)
            )
        final_beta = np.zeros(s_count)
        final_se = np.zeros(s_count)
        final_phi = np.zeros(s_count)
        converged = np.zeros(s_count, dtype=bool)
        for trend, (fit, phi, x0) in fits.items():
            pick = use_trend == trend
            dispersion = _dispersion(fit, params)
            eta = fit.beta @ x0 + offset_k
            se = np.sqrt((x0 @ fit.xtwx_inv @ x0) * dispersion)
            final_beta = np.where(pick, eta, final_beta)
            final_se = np.where(pick, se, final_se)
            final_phi = np.where(pick, phi, final_phi)
            converged = np.where(pick, fit.converged, converged)

        if params.threshold_method == "delta":
            mu0 = np.exp(final_beta)
            _, upper, prob, score = threshold_delta(
                mu0, final_se * mu0, final_phi, params.powertrans, params.alpha, y_k
            )
            expected = mu0
        else:
            _, upper, prob, score = threshold_noufaily(
                final_beta, final_se, final_phi, params.threshold_method, params.alpha, y_k
            )
            expected = np.exp(final_beta)

        cases, span = params.limit54
        recent = y_all[:, max(k - span + 1, 0) : k + 1].sum(axis=1)
        enough = (recent >= cases) & converged
        out.upperbound[row] = np.where(enough, upper, np.nan)
        out.expected[row] = np.where(enough & np.isfinite(upper), expected, np.nan)
        out.score[row] = np.where(enough, score, np.nan)
        out.pvalue[row] = prob
        out.phi[row] = final_phi
        out.trend_kept[row] = use_trend
        with np.errstate(invalid="ignore"):
            out.alarm[row] = enough & (score > 1) & (y_k != 0)
        if not converged.all():
            out.notes.append(
                f"period {k}: {int((~converged).sum())} series did not converge; no bound given"
            )


def fit_series_statsmodels(
    y: npt.ArrayLike,
    x: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    offset: npt.ArrayLike | None = None,
) -> tuple[FloatArray, float, FloatArray]:
    """One quasi-Poisson fit with statsmodels: (β, Pearson dispersion, hat values).

    The reference the batched IRLS is tested against: R's `glm(weights=)` is statsmodels'
    `var_weights`, and `scale="X2"` gives the Pearson dispersion.
    """
    import statsmodels.api as sm

    model = sm.GLM(
        np.asarray(y, dtype=float),
        np.asarray(x, dtype=float),
        family=sm.families.Poisson(),
        var_weights=None if weights is None else np.asarray(weights, dtype=float),
        offset=None if offset is None else np.asarray(offset, dtype=float),
    )
    res = model.fit(scale="X2", tol=IRLS_TOLERANCE)
    hat = res.get_influence().hat_matrix_diag
    return np.asarray(res.params), float(res.scale), np.asarray(hat)
