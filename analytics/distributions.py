"""The few distribution functions exceedance detection needs, from `scipy.special` alone.

Why not `scipy.stats`: importing it takes most of a second (its ~130 distributions, with
`scipy.spatial`, `scipy.optimize` and the resampling machinery behind them), more than the
whole improved Farrington on 200 monthly series (`benchmarks/startup`). These functions
compute exactly what `scipy.stats` returns for the same arguments: the same `scipy.special`
ufuncs (the Boost-based `_nbinom_*` kernels `scipy.stats.nbinom` itself calls) behind the
same argument checks and edge cases (invalid parameters → NaN, the support's ends, NaN
input). `tests/analytics/test_distributions.py` compares them with `scipy.stats` on grids
that include every edge, so a change in SciPy shows there, not in an alarm.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import special
from scipy.special import _ufuncs

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike


def _result(out: FloatArray) -> FloatArray:
    """A 0-d result as a NumPy scalar, as `scipy.stats` returns it."""
    return out[()] if out.ndim == 0 else out  # type: ignore[return-value]


def _continuous_ppf(kernel, q: ArrayLike, loc: ArrayLike, scale: ArrayLike,  # type: ignore[no-untyped-def]
                    valid: ArrayLike = True) -> FloatArray:
    q, loc, scale, valid = np.broadcast_arrays(
        np.asarray(q, dtype=float), np.asarray(loc, dtype=float),
        np.asarray(scale, dtype=float), np.asarray(valid, dtype=bool))
    ok = valid & (scale > 0) & (loc == loc)
    out = np.full(q.shape, np.nan)
    with np.errstate(invalid="ignore"):
        # the support's ends, as scipy has them: ±∞·scale + loc
        for end, bound in ((0, -np.inf), (1, np.inf)):
            at = ok & (q == end)
            out[at] = bound * scale[at] + loc[at]
    inside = ok & (q > 0) & (q < 1)
    out[inside] = kernel(q[inside]) * scale[inside] + loc[inside]
    return _result(out)


def norm_ppf(q: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> FloatArray:
    """`scipy.stats.norm.ppf(q, loc, scale)`."""
    return _continuous_ppf(special.ndtri, q, loc, scale)


def norm_sf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> FloatArray:
    """`scipy.stats.norm.sf(x, loc, scale)`."""
    x, loc, scale = np.broadcast_arrays(np.asarray(x, dtype=float),
                                        np.asarray(loc, dtype=float),
                                        np.asarray(scale, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (x - loc) / scale
    ok = scale > 0
    out = np.zeros(z.shape)
    out[~ok | np.isnan(z)] = np.nan
    out[ok & (z == -np.inf)] = 1.0
    inside = ok & np.isfinite(z)
    out[inside] = special.ndtr(-z[inside])
    return _result(out)


def t_sf(x: ArrayLike, df: ArrayLike) -> FloatArray:
    """`scipy.stats.t.sf(x, df)`."""
    x, df = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(df, dtype=float))
    ok = df > 0
    out = np.zeros(x.shape)
    out[~ok | np.isnan(x)] = np.nan
    out[ok & (x == -np.inf)] = 1.0
    inside = ok & np.isfinite(x)
    out[inside] = special.stdtr(df[inside], -x[inside])
    return _result(out)


def _discrete_sf(kernel, k: ArrayLike, valid: npt.NDArray[np.bool_],  # type: ignore[no-untyped-def]
                 *params: FloatArray) -> FloatArray:
    """`rv_discrete.sf` on the support 0, 1, 2, …: P(K > k)."""
    k = np.broadcast_to(np.asarray(k, dtype=float), valid.shape)
    out = np.zeros(valid.shape)
    out[~valid | np.isnan(k)] = np.nan
    out[valid & ((k < 0) | (k == -np.inf))] = 1.0
    inside = valid & (k >= 0) & np.isfinite(k)
    if inside.any():
        values = kernel(np.floor(k[inside]), *(p[inside] for p in params))
        out[inside] = np.clip(values, 0, 1)
    return _result(out)


def _discrete_ppf(kernel, q: ArrayLike, valid: npt.NDArray[np.bool_],  # type: ignore[no-untyped-def]
                  *params: FloatArray) -> FloatArray:
    """`rv_discrete.ppf` on the support 0, 1, 2, …: the least k with P(K ≤ k) ≥ q."""
    q = np.broadcast_to(np.asarray(q, dtype=float), valid.shape)
    out = np.full(valid.shape, np.nan)
    out[valid & (q == 0)] = -1.0
    out[valid & (q == 1)] = np.inf
    inside = valid & (q > 0) & (q < 1)
    if inside.any():
        out[inside] = kernel(q[inside], *(p[inside] for p in params))
    return _result(out)


def _nbinom_params(n: ArrayLike, p: ArrayLike,
                   *others: ArrayLike) -> tuple[npt.NDArray[np.bool_], FloatArray, FloatArray]:
    shape = np.broadcast_shapes(*(np.shape(a) for a in (n, p, *others)))
    n = np.broadcast_to(np.asarray(n, dtype=float), shape)
    p = np.broadcast_to(np.asarray(p, dtype=float), shape)
    return (n > 0) & (p > 0) & (p <= 1), n, p


def nbinom_sf(k: ArrayLike, n: ArrayLike, p: ArrayLike) -> FloatArray:
    """`scipy.stats.nbinom.sf(k, n, p)`."""
    valid, n, p = _nbinom_params(n, p, k)
    return _discrete_sf(_ufuncs._nbinom_sf, k, valid, n, p)


def nbinom_ppf(q: ArrayLike, n: ArrayLike, p: ArrayLike) -> FloatArray:
    """`scipy.stats.nbinom.ppf(q, n, p)`, except that an infinite n gives NaN: there SciPy's
    Boost kernel aborts the whole process (SciPy 1.17)."""
    valid, n, p = _nbinom_params(n, p, q)
    valid = valid & np.isfinite(n)
    with np.errstate(over="ignore"):
        return _discrete_ppf(_ufuncs._nbinom_ppf, q, valid, n, p)


def _poisson_params(mu: ArrayLike,
                    other: ArrayLike) -> tuple[npt.NDArray[np.bool_], FloatArray]:
    shape = np.broadcast_shapes(np.shape(mu), np.shape(other))
    mu = np.broadcast_to(np.asarray(mu, dtype=float), shape)
    return mu >= 0, mu


def poisson_sf(k: ArrayLike, mu: ArrayLike) -> FloatArray:
    """`scipy.stats.poisson.sf(k, mu)`."""
    valid, mu = _poisson_params(mu, k)
    return _discrete_sf(special.pdtrc, k, valid, mu)


def _poisson_ppf_kernel(q: FloatArray, mu: FloatArray) -> FloatArray:
    """`poisson_gen._ppf`: the continuous inverse, rounded up, then one step down if it
    still reaches q."""
    values = np.ceil(special.pdtrik(q, mu))
    below = np.maximum(values - 1, 0)
    return np.where(special.pdtr(below, mu) >= q, below, values)


def poisson_ppf(q: ArrayLike, mu: ArrayLike) -> FloatArray:
    """`scipy.stats.poisson.ppf(q, mu)`."""
    valid, mu = _poisson_params(mu, q)
    return _discrete_ppf(_poisson_ppf_kernel, q, valid, mu)
