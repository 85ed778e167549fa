"""Farrington and EARS against R's surveillance package: its own test values and golden files.

The published values come from `tests/testthat/test-farringtonFlexible.R` and
`test-earsC.R` of the package (1.20.3); the golden files were written by
`golden/make_golden.R` with R 4.2 and the Debian package, so these tests need no R.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy import stats

from analytics.ears import ears_c
from analytics.farrington import (
    FarringtonParams,
    HistoryTooShortError,
    _design,
    anscombe_weights,
    farrington_flexible,
    fit_series_statsmodels,
    reference_points,
    seasonal_blocks,
    threshold_delta,
    threshold_noufaily,
)

pytestmark = pytest.mark.unit
GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize(
    ("powertrans", "expected"),
    [
        ("none", (1.3073128, 8.6926872, 0.0907246, 0.8124165)),
        ("1/2", (1.9891097, 9.3744842, 0.1189986, 0.6857951)),
        ("2/3", (1.8084477, 9.1154825, 0.1094727, 0.7289546)),
    ],
)
def test_delta_threshold(powertrans: str, expected: tuple[float, ...]) -> None:
    got = threshold_delta(5, 0.2, 1, powertrans, 0.05, 8)  # type: ignore[arg-type]
    assert np.asarray(got, dtype=float) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("method", "phi", "expected"),
    [
        ("muan", 1.5, (8, 24, 0.8597797, 0.4193982)),
        ("muan", 1.0, (9, 22, 0.9093099, 0.4605347)),
        ("nbPlugin", 1.5, (1, 10, 0.03763657, 1.11918153)),
        ("nbPlugin", 1.0, (2, 9, 0.01369527, 1.27061541)),
    ],
)
def test_noufaily_threshold(method: str, phi: float, expected: tuple[float, ...]) -> None:
    got = threshold_noufaily(np.log(5), np.log(2), phi, method, 0.05, 11)  # type: ignore[arg-type]
    assert np.asarray(got, dtype=float) == pytest.approx(expected, abs=1e-6)


def test_weights() -> None:
    s = np.array([0.0] * 5 + [2.0] * 5)
    assert anscombe_weights(s, 0) == pytest.approx([1.6] * 5 + [0.4] * 5)
    assert anscombe_weights(s, 3) == pytest.approx([1.0] * 10)
    assert anscombe_weights(s, 0).sum() == pytest.approx(10)


def test_monthly_reference_points() -> None:
    # The package's test works on 1-based 48 → 48, 36, 24, 12; here 0-based 47.
    assert [k + 1 for k in reference_points(47, 12, 3)] == [48, 36, 24, 12]


def test_blocks_cover_windows_and_split_gaps() -> None:
    b, w, p, freq, k = 3, 3, 8, 52, 200
    levels = seasonal_blocks(260, k, freq, b, w, p)
    assert np.sum(levels == p) == w + 1 + b * (2 * w + 1)
    assert set(np.unique(levels[~np.isnan(levels)])) == set(range(1, p + 1))
    lengths = [np.sum(levels == level) for level in range(1, p)]
    assert max(lengths) - min(lengths) <= b
    assert np.isnan(levels[: k - b * freq - w]).all()


def test_overlapping_blocks_are_refused() -> None:
    with pytest.raises(ValueError, match="do not fit between windows"):
        seasonal_blocks(132, 131, 12, 5, 3, 10)


def test_short_history_is_a_clear_error() -> None:
    with pytest.raises(HistoryTooShortError, match="needs 61 earlier periods"):
        farrington_flexible(np.ones(50), 12, [49], FarringtonParams.monthly())


def test_no_alarm_on_zero_and_alarms_are_exceedances() -> None:
    rng = np.random.default_rng(3)
    y = rng.poisson(8, size=(30, 132)).astype(float)
    y[:, -12:] *= rng.choice([0, 1, 3], size=(30, 12))
    r = farrington_flexible(y, 12, list(range(120, 132)), FarringtonParams.monthly())
    observed = y[:, 120:].T
    assert not r.alarm[observed == 0].any()
    assert r.alarm.sum() == np.nansum(observed > r.upperbound)


def test_constant_zero_series_gives_no_alarm() -> None:
    r = farrington_flexible(np.zeros(132), 12, list(range(120, 132)), FarringtonParams.monthly())
    assert not r.alarm.any()
    assert np.isnan(r.upperbound).all()


def test_population_scaling_leaves_bounds_unchanged() -> None:
    rng = np.random.default_rng(5)
    y = rng.poisson(20, size=132).astype(float)
    pop = np.linspace(1e5, 1.2e5, 132)
    ev = list(range(120, 132))
    a = farrington_flexible(y, 12, ev, FarringtonParams.monthly(), population=pop)
    b = farrington_flexible(y, 12, ev, FarringtonParams.monthly(), population=pop * 7)
    assert a.upperbound == pytest.approx(b.upperbound)


def _golden_runs() -> list[tuple[str, pl.DataFrame, pl.DataFrame]]:
    series = pl.read_csv(GOLDEN / "farrington_series.csv", infer_schema_length=None)
    results = pl.read_csv(GOLDEN / "farrington_results.csv", null_values=["NA"],
                          infer_schema_length=None)
    return [(config, series, results.filter(pl.col("config") == config))
            for config in results["config"].unique(maintain_order=True)]


PARAMS = {
    "monthly_nbplugin": (12, FarringtonParams.monthly()),
    "monthly_muan": (12, FarringtonParams.monthly(threshold_method="muan",
                                                   mirror_r_dispersion=True)),
    "monthly_delta": (12, FarringtonParams.monthly(
        no_periods=1, past_periods_not_included=1, weights_threshold=1.0,
        p_threshold_trend=0.05, threshold_method="delta", mirror_r_dispersion=True)),
    "weekly_nbplugin": (52, FarringtonParams.weekly()),
}


@pytest.mark.parametrize(("config", "series", "expected"), _golden_runs(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_agreement_with_r(config: str, series: pl.DataFrame, expected: pl.DataFrame) -> None:
    """All series of a configuration in one batch; a series without population gets 1s."""
    freq, params = PARAMS[config]
    ids = expected["series_id"].unique(maintain_order=True).to_list()
    data = series.filter(pl.col("series_id").is_in(ids)).sort("series_id", "t")
    n = data.filter(pl.col("series_id") == ids[0]).height
    y = data["y"].to_numpy().astype(float).reshape(len(ids), n)
    pop = data["population"].fill_null(1).to_numpy().astype(float).reshape(len(ids), n)
    want = expected.sort("series_id", "t")
    evaluate = (want.filter(pl.col("series_id") == ids[0])["t"] - 1).to_list()
    got = farrington_flexible(y, freq, evaluate, params, population=pop)

    shape = (len(ids), len(evaluate))
    want_ub = want["upperbound"].to_numpy().astype(float).reshape(shape).T
    want_exp = want["expected"].to_numpy().astype(float).reshape(shape).T
    want_alarm = want["alarm"].to_numpy().reshape(shape).T
    assert (got.alarm == want_alarm).mean() >= 0.99
    np.testing.assert_array_equal(np.isnan(got.upperbound), np.isnan(want_ub))
    both = ~np.isnan(want_ub)
    assert got.upperbound[both] == pytest.approx(want_ub[both], rel=0.01)
    assert got.expected[both] == pytest.approx(want_exp[both], rel=0.01)


def test_default_dispersion_changes_only_the_trend_test() -> None:
    """With nbPlugin and p_threshold_trend=1 the package's quirk changes nothing."""
    _, series, expected = _golden_runs()[0]
    y = np.stack([series.filter(pl.col("series_id") == s).sort("t")["y"].to_numpy()
                  for s in expected["series_id"].unique(maintain_order=True)[:20]]).astype(float)
    ev = list(range(108, 132))
    ours = farrington_flexible(y, 12, ev, FarringtonParams.monthly())
    theirs = farrington_flexible(y, 12, ev, FarringtonParams.monthly(mirror_r_dispersion=True))
    np.testing.assert_array_equal(ours.alarm, theirs.alarm)
    np.testing.assert_allclose(ours.upperbound, theirs.upperbound)


def _statsmodels_fit(y: np.ndarray, x: np.ndarray, offset: np.ndarray,
                     params: FarringtonParams) -> tuple[np.ndarray, float, np.ndarray]:
    """Fit, reweight by Anscombe residuals, refit, every fit by statsmodels: (β, Pearson
    dispersion of the weighted fit, covariance of β before scaling)."""
    beta, scale, hat = fit_series_statsmodels(y, x, offset=offset)
    mu = np.exp(x @ beta + offset)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = 1.5 * (y ** (2 / 3) * mu ** (-1 / 6) - mu**0.5) / np.sqrt(max(scale, 1) * (1 - hat))
    weights = anscombe_weights(np.nan_to_num(s, nan=-np.inf), params.weights_threshold)
    beta, scale, _ = fit_series_statsmodels(y, x, weights, offset)
    mu = np.exp(x @ beta + offset)
    return beta, scale, np.linalg.inv(x.T @ (x * (weights * mu)[:, None]))


def _statsmodels_farrington(y: np.ndarray, pop: np.ndarray, freq: int, k: int,
                            params: FarringtonParams) -> tuple[float, float, bool]:
    """(expected, upperbound, alarm) of period k of one series: the batched engine's steps
    with statsmodels' GLM for every fit, so the two share only the windows and thresholds."""
    p = params.no_periods
    levels = seasonal_blocks(y.size, k, freq, params.b, params.w, p)
    levels[max(k - params.past_periods_not_included, 0): k + 1] = np.nan
    used = ~np.isnan(levels)
    offset = np.log(pop[used])
    fits = {}
    for trend in (True, False):
        x, x0 = _design(levels, used, k, p, trend)
        fits[trend] = (*_statsmodels_fit(y[used], x, offset, params), x0)
    beta, scale, cov, x0 = fits[True]
    eta = beta @ x0 + np.log(pop[k])
    t_time = beta[1] / np.sqrt(cov[1, 1] * scale)
    p_trend = 2 * stats.t.sf(abs(t_time), used.sum() - x0.size)
    use_trend = (params.b >= 3 and p_trend < params.p_threshold_trend
                 and np.exp(eta) <= y[used].max())
    beta, scale, cov, x0 = fits[bool(use_trend)]
    eta = beta @ x0 + np.log(pop[k])
    se = np.sqrt(x0 @ cov @ x0 * scale)
    _, upper, _, score = threshold_noufaily(eta, se, max(scale, 1), params.threshold_method,
                                            params.alpha, y[k])  # type: ignore[arg-type]
    cases, span = params.limit54
    if y[max(k - span + 1, 0): k + 1].sum() < cases:
        return np.nan, np.nan, False
    return float(np.exp(eta)), float(upper), bool(score > 1 and y[k] != 0)


def _golden_series(config: str, count: int) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """The first `count` golden series of a configuration with their evaluated periods."""
    _, series, expected = next(r for r in _golden_runs() if r[0] == config)
    ids = expected["series_id"].unique(maintain_order=True).to_list()[:count]
    data = series.filter(pl.col("series_id").is_in(ids)).sort("series_id", "t")
    y = data["y"].to_numpy().astype(float).reshape(len(ids), -1)
    pop = data["population"].fill_null(1).to_numpy().astype(float).reshape(len(ids), -1)
    evaluate = (expected.filter(pl.col("series_id") == ids[0])["t"] - 1).to_list()
    return y, pop, evaluate


def _quarterly_series() -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Ten years of overdispersed quarterly counts, some rising, some with a late surge."""
    rng = np.random.default_rng(11)
    t = np.arange(40)
    mean = np.outer(rng.uniform(3, 30, 8), 1.03 ** (t / 4) * (1 + 0.2 * np.sin(t * np.pi / 2)))
    y = rng.negative_binomial(5, 5 / (5 + mean)).astype(float)
    y[::3, -2:] *= 3
    return y, np.ones_like(y), list(range(32, 40))


@pytest.mark.parametrize(
    ("name", "freq", "params"),
    [
        ("monthly_nbplugin", 12, FarringtonParams.monthly()),
        ("monthly_muan", 12, FarringtonParams.monthly(threshold_method="muan")),
        ("weekly_nbplugin", 52, FarringtonParams.weekly()),
        ("quarterly", 4, FarringtonParams.quarterly()),
    ],
)
def test_batched_engine_matches_statsmodels_one_series_at_a_time(
    name: str, freq: int, params: FarringtonParams,
) -> None:
    """The batched IRLS against `fit_series_statsmodels`, series by series and period by
    period: the same expected counts, bounds and alarms (golden series from R; the quarterly
    ones simulated, since the package has no quarterly default)."""
    if name == "quarterly":
        y, pop, evaluate = _quarterly_series()
    else:
        y, pop, evaluate = _golden_series(name, 8 if freq == 12 else 3)
    batched = farrington_flexible(y, freq, evaluate, params, population=pop)
    one = np.array([[_statsmodels_farrington(y[s], pop[s], freq, k, params)
                     for s in range(y.shape[0])] for k in evaluate])
    expected, upper, alarm = one[..., 0], one[..., 1], one[..., 2].astype(bool)
    np.testing.assert_array_equal(batched.alarm, alarm)
    np.testing.assert_array_equal(np.isnan(batched.upperbound), np.isnan(upper))
    np.testing.assert_allclose(batched.upperbound, upper, rtol=1e-9)
    np.testing.assert_allclose(batched.expected, expected, rtol=1e-6)
    assert alarm.any() and np.isfinite(upper).any()


@pytest.mark.parametrize("method", ["C1", "C2", "C3"])
@pytest.mark.parametrize("alpha", ["0.05", "default"])
def test_ears_on_the_package_example(method: str, alpha: str) -> None:
    y = pl.read_csv(GOLDEN / "salmnewport_aggregated.csv")["y"].to_numpy().astype(float)
    want = pl.read_csv(GOLDEN / "ears_results.csv", infer_schema_length=None).filter(
        (pl.col("method") == method) & (pl.col("alpha").cast(pl.String) == alpha))
    got = ears_c(y, (want["t"] - 1).to_list(), method,  # type: ignore[arg-type]
                 alpha=None if alpha == "default" else float(alpha))
    assert got.upperbound[:, 0] == pytest.approx(want["upperbound"].to_numpy(), rel=1e-9)
    assert got.alarm[:, 0].tolist() == want["alarm"].to_list()


def test_ears_c1_first_bounds_as_published() -> None:
    y = pl.read_csv(GOLDEN / "salmnewport_aggregated.csv")["y"].to_numpy().astype(float)
    t = pl.read_csv(GOLDEN / "ears_results.csv")["t"].to_list()[:4]
    got = ears_c(y, [x - 1 for x in t], "C1", alpha=0.05)
    assert got.upperbound[:, 0] == pytest.approx([3.278854, 3.278854, 3.436517, 3.855617],
                                                 abs=1e-6)


def test_ears_errors() -> None:
    with pytest.raises(ValueError, match="Minimum baseline"):
        ears_c(np.ones(20), [10], "C1", baseline=2)
    with pytest.raises(ValueError, match="min_sigma"):
        ears_c(np.ones(20), [10], "C1", min_sigma=-1)
    with pytest.raises(ValueError, match="too short"):
        ears_c(np.ones(20), [5], "C1")
