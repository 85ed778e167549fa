"""analytics.distributions returns what scipy.stats returns, bit for bit, edges included."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from analytics import distributions as d

pytestmark = pytest.mark.unit

EDGES = [np.nan, -np.inf, np.inf, 0.0, -0.0, -1.0]


def _grid(*axes: list[float]) -> list[np.ndarray]:
    """Every combination of the axes, as flat arrays (one per axis)."""
    return [np.array(column) for column in zip(*itertools.product(*axes), strict=True)]


def _same(ours: object, theirs: object) -> None:
    ours_a, theirs_a = np.asarray(ours), np.asarray(theirs)
    assert ours_a.shape == theirs_a.shape
    np.testing.assert_array_equal(ours_a, theirs_a)  # NaN == NaN here, exact otherwise


def _rng_values(low: float, high: float, n: int, seed: int) -> list[float]:
    return list(np.random.default_rng(seed).uniform(low, high, n))


def test_normal_quantiles_and_tails() -> None:
    q = [0.0, 1.0, 0.5, 0.95, 0.975, 1e-12, 1 - 1e-12, 1.5, *_rng_values(0, 1, 8, 1), *EDGES]
    loc = [0.0, -2.5, 3.1, np.nan, np.inf]
    scale = [1.0, 0.3, 0.0, -1.0, np.nan, np.inf]
    qq, ll, ss = _grid(q, loc, scale)
    with np.errstate(all="ignore"):
        _same(d.norm_ppf(qq, loc=ll, scale=ss), stats.norm.ppf(qq, loc=ll, scale=ss))
        x = [*_rng_values(-6, 6, 10, 2), 40.0, -40.0, *EDGES]
        xx, ll, ss = _grid(x, loc, scale)
        _same(d.norm_sf(xx, loc=ll, scale=ss), stats.norm.sf(xx, loc=ll, scale=ss))
    for p in (0.05, 0.001, 1 - 0.05 * (1 - 64 * np.finfo(float).eps)):
        _same(d.norm_ppf(p), stats.norm.ppf(p))


def test_student_t_tail() -> None:
    x = [*_rng_values(-8, 8, 12, 3), 0.0, 1e3, *EDGES]
    df = [1.0, 2.0, 3.5, 7.0, 30.0, 1e6, np.inf, 0.0, -1.0, np.nan]
    xx, dd = _grid(x, df)
    with np.errstate(all="ignore"):
        _same(d.t_sf(xx, dd), stats.t.sf(xx, dd))


def test_negative_binomial_quantiles_and_tails() -> None:
    # n = ∞, and n = 10⁷ with p = 10⁻⁹, abort the process inside scipy.stats.nbinom.ppf
    size = [*_rng_values(0.01, 60, 10, 4), 1e-9, 1.0, 1e5, 0.0, -1.0, np.nan]
    prob = [*_rng_values(0.01, 1, 6, 5), 1.0, 1e-9, 0.0, 1.5, np.nan]
    fuzz = 1 - 64 * np.finfo(float).eps
    q = [0.05 * fuzz, 0.95 * fuzz, 0.5, 0.0, 1.0, -0.1, np.nan]
    k = [0.0, 1.0, 2.5, 17.0, 300.0, -1.0, -0.5, np.inf, -np.inf, np.nan]
    with np.errstate(all="ignore"):
        qq, nn, pp = _grid(q, size, prob)
        _same(d.nbinom_ppf(qq, nn, pp), stats.nbinom.ppf(qq, nn, pp))
        kk, nn, pp = _grid(k, size, prob)
        _same(d.nbinom_sf(kk, nn, pp), stats.nbinom.sf(kk, nn, pp))
        # the shapes Farrington uses: a scalar quantile over arrays of parameters
        n, p = _grid(size, prob)
        _same(d.nbinom_ppf(0.05 * fuzz, n, p), stats.nbinom.ppf(0.05 * fuzz, n, p))
        _same(d.nbinom_sf(kk, np.inf, pp), stats.nbinom.sf(kk, np.inf, pp))
    assert np.isnan(d.nbinom_ppf(0.5, np.inf, 0.5))  # where scipy.stats aborts


def test_poisson_quantiles_and_tails() -> None:
    mu = [*_rng_values(0, 80, 12, 6), 0.0, 1e-8, 1e5, -1.0, np.nan, np.inf]
    fuzz = 1 - 64 * np.finfo(float).eps
    q = [0.05 * fuzz, 0.95 * fuzz, 0.5, 1e-10, 0.0, 1.0, 2.0, np.nan]
    k = [0.0, 1.0, 3.7, 12.0, 500.0, -1.0, np.inf, -np.inf, np.nan]
    with np.errstate(all="ignore"):
        qq, mm = _grid(q, mu)
        _same(d.poisson_ppf(qq, mm), stats.poisson.ppf(qq, mm))
        kk, mm = _grid(k, mu)
        _same(d.poisson_sf(kk, mm), stats.poisson.sf(kk, mm))
        m = np.array(mu)
        _same(d.poisson_ppf(0.95 * fuzz, m), stats.poisson.ppf(0.95 * fuzz, m))


def test_scalars_stay_scalars() -> None:
    assert np.ndim(d.norm_ppf(0.95)) == 0 and isinstance(d.norm_ppf(0.95), float)
    assert np.ndim(d.poisson_sf(3, 2.0)) == 0
    assert np.ndim(d.nbinom_ppf(0.5, 3.0, 0.4)) == 0
