"""funnel and funnel_curve: closed forms, and calibration on simulated force counts."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from scipy.stats import norm

from analytics.funnel import funnel, funnel_curve, overdispersion
from etl.reference import reference_bytes

pytestmark = pytest.mark.unit

PER_CONSTITUENCY = 0.8  # offences per constituency per year: about 520 a year nationally


@pytest.fixture(scope="module")
def constituencies() -> pl.DataFrame:
    """Constituencies per force (2024 boundaries): 44 forces, 5 to 75 seats each."""
    seats = pl.read_csv(reference_bytes("constituencies_2024_pfa.csv"))
    return seats.group_by("force_id").agg(denominator=pl.len()).sort("force_id")


def _counts(denominators: pl.DataFrame, y: np.ndarray) -> pl.DataFrame:
    return pl.DataFrame({"force_id": denominators["force_id"], "count": y})


def _overdispersed(rng: np.random.Generator, mean: np.ndarray, phi: float) -> np.ndarray:
    """Negative binomial counts with variance phi × mean (size mean/(phi − 1))."""
    size = mean / (phi - 1.0)
    return rng.negative_binomial(size, size / (size + mean))


def _poisson_cdf(k: int, mean: float) -> float:
    return sum(math.exp(j * math.log(mean) - mean - math.lgamma(j + 1)) for j in range(k + 1))


def _interpolated_quantile(p: float, mean: float) -> float:
    """Spiegelhalter's y_p − α from the Poisson cdf summed term by term."""
    y_p = 0
    while _poisson_cdf(y_p, mean) < p:
        y_p += 1
    at, below = _poisson_cdf(y_p, mean), _poisson_cdf(y_p - 1, mean) if y_p else 0.0
    return y_p - (at - p) / (at - below)


def test_rates_and_z_scores_follow_the_closed_form() -> None:
    denominators = pl.DataFrame({"force_id": ["a", "b", "c", "d"], "denominator": [10, 20, 30, 40]})
    result = funnel(_counts(denominators, np.array([2, 8, 6, 24])), denominators, "constituency")
    assert result["national_rate"].unique().to_list() == [0.4]  # 40 offences / 100 seats
    assert result["rate"].to_list() == pytest.approx([0.2, 0.4, 0.2, 0.6])
    expected = np.array([4.0, 8.0, 12.0, 16.0])
    z = (np.array([2, 8, 6, 24]) - expected) / np.sqrt(expected)
    assert result["z_score"].to_list() == pytest.approx(z.tolist())
    assert result["phi"][0] == pytest.approx(overdispersion(z))


def test_phi_is_the_mean_square_of_z_scores_winsorised_at_10_and_90_percent() -> None:
    z = np.array([5.0, -3.0, 0.0, 0.0, 1.0, 0.0, 0.0, -1.0, 0.0, 0.0])
    # Sorted: 10th percentile at position 0.9 → −3 + 0.9·2 = −1.2; 90th at 8.1 → 1 + 0.1·4 = 1.4.
    winsorised = [1.4, -1.2, 0, 0, 1, 0, 0, -1, 0, 0]
    assert overdispersion(z) == pytest.approx(np.mean(np.square(winsorised)))
    assert overdispersion(z) == pytest.approx(0.54)


@pytest.mark.parametrize("seats", [1, 5, 18, 75])
def test_exact_poisson_limits_match_the_interpolated_quantile(seats: int) -> None:
    curve = funnel_curve(PER_CONSTITUENCY, 0.9, [seats]).row(0, named=True)
    mean = PER_CONSTITUENCY * seats
    for column, p in [
        ("limit95_low", 0.025),
        ("limit95_high", 0.975),
        ("limit998_low", 0.001),
        ("limit998_high", 0.999),
    ]:
        expected = max(_interpolated_quantile(p, mean), 0.0) / seats
        assert curve[column] == pytest.approx(expected, rel=1e-9, abs=1e-12), column
    assert curve["limit95_low"] <= PER_CONSTITUENCY <= curve["limit95_high"]


def test_exact_limits_approach_the_normal_ones_for_large_denominators() -> None:
    seats = 20_000.0
    curve = funnel_curve(PER_CONSTITUENCY, 1.0, [seats]).row(0, named=True)
    sd = math.sqrt(PER_CONSTITUENCY / seats)
    for column, p in [("limit95_high", 0.975), ("limit998_low", 0.001)]:
        assert curve[column] == pytest.approx(PER_CONSTITUENCY + norm.ppf(p) * sd, rel=2e-4)


def test_poisson_forces_fall_outside_the_limits_at_the_nominal_rate(
    constituencies: pl.DataFrame,
) -> None:
    rng = np.random.default_rng(2024)
    mean = PER_CONSTITUENCY * constituencies["denominator"].to_numpy()
    results = [
        funnel(_counts(constituencies, rng.poisson(mean)), constituencies, "constituency")
        for _ in range(100)
    ]
    outside95 = np.mean([r["outside95"].mean() for r in results])
    outside998 = np.mean([r["outside998"].mean() for r in results])
    assert 0.035 <= outside95 <= 0.065
    assert outside998 <= 0.006
    assert np.mean([r["phi"][0] for r in results]) == pytest.approx(0.68, abs=0.06)


def test_overdispersion_widens_the_limits_and_a_planted_force_still_stands_out(
    constituencies: pl.DataFrame,
) -> None:
    rng = np.random.default_rng(5)
    seats = constituencies["denominator"].to_numpy().astype(float)
    rate = np.full(seats.shape, 3.0)
    planted = int(np.flatnonzero(constituencies["force_id"] == "west-midlands")[0])
    rate[planted] *= 3.0
    flagged_poisson, flagged_inflated = 0.0, 0.0
    for _ in range(40):
        y = _overdispersed(rng, rate * seats, phi=4.0)
        result = funnel(_counts(constituencies, y), constituencies, "constituency")
        phi, theta = result["phi"][0], result["national_rate"][0]
        assert phi > 1.0
        sd = np.sqrt(phi * theta / seats)
        assert result["limit95_high"].to_numpy() == pytest.approx(theta + norm.ppf(0.975) * sd)
        assert result["limit998_low"].to_numpy() == pytest.approx(
            np.maximum(theta - norm.ppf(0.999) * sd, 0.0)
        )
        assert result["outside998"][planted]
        others = np.arange(len(seats)) != planted
        poisson_limits = funnel_curve(theta, 1.0, seats)
        outside_poisson = (result["rate"] > poisson_limits["limit95_high"]) | (
            result["rate"] < poisson_limits["limit95_low"]
        )
        flagged_poisson += outside_poisson.to_numpy()[others].mean() / 40
        flagged_inflated += result["outside95"].to_numpy()[others].mean() / 40
    assert flagged_poisson > 0.3
    assert flagged_inflated < 0.15


def test_funnel_curve_draws_the_limits_funnel_uses(constituencies: pl.DataFrame) -> None:
    rng = np.random.default_rng(1)
    seats = constituencies["denominator"].to_numpy()
    for phi in (1.0, 4.0):
        y = rng.poisson(3.0 * seats) if phi == 1.0 else _overdispersed(rng, 3.0 * seats, phi)
        result = funnel(_counts(constituencies, y), constituencies, "constituency")
        curve = funnel_curve(result["national_rate"][0], result["phi"][0], seats.tolist())
        limits = [c for c in curve.columns if c.startswith("limit")]
        assert curve.select(limits).equals(result.select(limits))
    grid = funnel_curve(0.8, 1.0, np.linspace(1, 80, 50))
    assert grid["limit95_high"].is_sorted(descending=True)
    assert grid["limit95_low"].is_sorted()


def test_population_denominators_give_rates_per_million() -> None:
    population = pl.DataFrame(
        {"force_id": ["metropolitan", "dyfed-powys", "kent"], "denominator": [8.9, 0.52, 1.9]}
    )
    counts = pl.DataFrame(
        {"force_id": ["kent", "metropolitan", "dyfed-powys"], "count": [9, 60, 1]}
    )
    result = funnel(counts, population, "million_population")
    assert result["force_id"].to_list() == ["dyfed-powys", "kent", "metropolitan"]
    assert result["rate"].to_list() == pytest.approx([1 / 0.52, 9 / 1.9, 60 / 8.9])
    assert result["national_rate"][0] == pytest.approx(70 / 11.32)


def test_forces_with_no_row_have_no_offences_and_unknown_forces_are_refused() -> None:
    seats = pl.DataFrame({"force_id": ["a", "b", "c"], "denominator": [10, 20, 30]})
    result = funnel(pl.DataFrame({"force_id": ["a", "c"], "count": [3, 9]}), seats, "constituency")
    assert result.select("force_id", "count").rows() == [("a", 3), ("b", 0), ("c", 9)]
    assert result["national_rate"][0] == pytest.approx(12 / 60)
    with pytest.raises(ValueError, match=r"no denominator for force\(s\) \['btp'\]"):
        funnel(pl.DataFrame({"force_id": ["a", "btp"], "count": [3, 2]}), seats, "constituency")


@pytest.mark.parametrize(
    ("counts", "denominators", "message"),
    [
        ({"force_id": ["a"], "count": [-1]}, {"force_id": ["a"], "denominator": [3]}, "non-neg"),
        ({"force_id": ["a"], "count": [1]}, {"force_id": ["a"], "denominator": [2.5]}, "whole"),
        ({"force_id": ["a"], "count": [1]}, {"force_id": ["a"], "denominator": [0]}, "at least"),
        ({"force_id": ["a"], "count": [0]}, {"force_id": ["a"], "denominator": [3]}, "no offen"),
        (
            {"force_id": ["a", "a"], "count": [1, 2]},
            {"force_id": ["a"], "denominator": [3]},
            "more than one row",
        ),
    ],
)
def test_bad_inputs_are_refused(
    counts: dict[str, list[object]], denominators: dict[str, list[object]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        funnel(pl.DataFrame(counts), pl.DataFrame(denominators), "constituency")
