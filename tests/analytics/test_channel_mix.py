"""channel_shift: chi-square against scipy, adjusted residuals against Agresti's formula, the
Monte Carlo p-value against the exact conditional p-value from enumerating every table."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest
from scipy.stats import chi2_contingency

from analytics.channel_mix import (
    SIMULATIONS,
    channel_shift,
    contingency_2xk,
    monte_carlo_p_value,
    simulation_seed,
)

pytestmark = pytest.mark.unit

Q = dt.date(2026, 7, 1)
NOW = dt.date(2026, 8, 14)
BEFORE = dt.date(2025, 11, 2)  # in the previous four quarters

# (force, region, day, channel, platform, n)
TABLE = [
    ("kent", "south_east", NOW, "email", None, 30),
    ("kent", "south_east", NOW, "social_media", "X", 25),
    ("kent", "south_east", NOW, "social_media", "Facebook", 5),
    ("kent", "south_east", NOW, "letter", None, 6),
    ("kent", "south_east", BEFORE, "email", None, 80),
    ("kent", "south_east", BEFORE, "social_media", "X", 20),
    ("kent", "south_east", BEFORE, "social_media", "Facebook", 20),
    ("kent", "south_east", BEFORE, "letter", None, 30),
    ("kent", "south_east", BEFORE, "phone", None, 12),
    ("kent", "south_east", BEFORE, "online_other", "Reddit", 9),
    ("kent", "south_east", BEFORE, "online_other", None, 4),
    ("essex", "south_east", NOW, "email", None, 4),
    ("essex", "south_east", NOW, "phone", None, 2),
    ("essex", "south_east", BEFORE, "email", None, 9),
    ("dorset", "south_west", NOW, "letter", None, 3),
    ("dorset", "south_west", BEFORE, "letter", None, 7),
    ("dorset", "south_west", dt.date(2025, 6, 30), "email", None, 50),  # before the window
    ("dorset", "south_west", dt.date(2026, 10, 1), "email", None, 50),  # after the quarter
]


def _incidents(table: list[tuple]) -> pl.DataFrame:
    rows = []
    for force, region, day, channel, platform, n in table:
        for k in range(n):
            rows.append({
                "incident_id": f"{force}:{day}-{channel}-{platform}-{k}", "force_id": force,
                "police_region": region, "reported_date": day, "channel": channel,
                "platform": platform,
            })
    return pl.DataFrame(rows)


@pytest.fixture(scope="module")
def incidents() -> pl.DataFrame:
    return _incidents(TABLE)


def _area(out: pl.DataFrame, level: str, unit: str) -> pl.DataFrame:
    return out.filter(level=level, unit=unit).sort("category")


def _check_against_scipy(area: pl.DataFrame) -> None:
    observed = np.array([area["current_count"].to_list(), area["previous_count"].to_list()])
    chi2, p, dof, expected = chi2_contingency(observed, correction=False)
    assert area["chi2"].unique().item() == pytest.approx(chi2)
    assert area["p_value"].unique().item() == pytest.approx(p)
    assert area["dof"].unique().item() == dof
    assert area["expected_count"].to_list() == pytest.approx(expected[0].tolist())
    assert area["min_expected"].unique().item() == pytest.approx(expected.min())
    n = observed.sum()
    row_share = observed[0].sum() / n
    for k, residual in enumerate(area["adjusted_residual"].to_list()):
        col_share = observed[:, k].sum() / n
        e = expected[0, k]
        by_hand = (observed[0, k] - e) / math.sqrt(e * (1 - row_share) * (1 - col_share))
        assert residual == pytest.approx(by_hand)


def test_channel_table_matches_scipy_and_agresti(incidents: pl.DataFrame) -> None:
    out = channel_shift(incidents, Q)
    kent = _area(out, "force", "kent")
    assert kent["category"].to_list() == [
        "email", "letter", "online_other", "phone", "social_media"]
    assert kent["current_count"].to_list() == [30, 6, 0, 0, 30]
    assert kent["previous_count"].to_list() == [80, 30, 13, 12, 40]
    assert kent["current_total_count"].unique().to_list() == [66]
    assert kent["previous_total_count"].unique().to_list() == [175]
    _check_against_scipy(kent)
    # social media rose: its current cell is well above expectation
    assert kent.filter(category="social_media")["adjusted_residual"].item() > 2
    _check_against_scipy(_area(out, "region", "south_east"))
    _check_against_scipy(_area(out, "national", "all"))


def test_columns_levels_and_window(incidents: pl.DataFrame) -> None:
    out = channel_shift(incidents, Q)
    assert out.columns[:4] == ["level", "unit", "dimension", "category"]
    assert set(out["level"]) == {"national", "region", "force"}
    assert out["dimension"].unique().to_list() == ["channel"]
    dorset = _area(out, "force", "dorset")
    # the emails before the window and after the quarter are not counted
    assert dorset["category"].to_list() == ["letter"]
    assert (dorset["current_count"].item(), dorset["previous_count"].item()) == (3, 7)


def test_one_category_or_empty_side_gives_no_test(incidents: pl.DataFrame) -> None:
    out = channel_shift(incidents, Q)
    dorset = _area(out, "force", "dorset")
    assert dorset["chi2"].item() is None and dorset["p_value"].item() is None
    assert dorset["adjusted_residual"].item() is None
    assert dorset["is_test_reliable"].item() is False
    empty_side = channel_shift(_incidents([("kent", "south_east", NOW, "email", None, 3),
                                           ("kent", "south_east", NOW, "letter", None, 2)]), Q)
    assert empty_side["chi2"].null_count() == empty_side.height
    assert empty_side["previous_total_count"].unique().to_list() == [0]


def test_small_expected_counts_flagged_unreliable(incidents: pl.DataFrame) -> None:
    out = channel_shift(incidents, Q)
    essex = _area(out, "force", "essex")
    # 2 × 2 table [[4, 2], [9, 0]]: expected phone cells 0.8 and 1.2, so min expected < 1
    _check_against_scipy(essex)
    assert essex["min_expected"].unique().item() == pytest.approx(6 * 2 / 15)
    assert essex["is_test_reliable"].unique().to_list() == [False]
    assert _area(out, "force", "kent")["is_test_reliable"].unique().to_list() == [True]


@pytest.mark.parametrize(("current", "previous", "reliable"), [
    ([20, 20, 20, 20, 20], [20, 20, 20, 20, 20], True),   # all expected 20
    ([20, 20, 20, 20, 6], [20, 20, 20, 20, 2], True),     # 2 of 10 cells (20 %) below 5
    ([20, 20, 20, 4, 4], [20, 20, 20, 4, 4], False),      # 4 of 10 cells below 5
    ([50, 50, 1], [50, 50, 0], False),                    # an expected count of 0.5
])
def test_cochran_rule(current: list[int], previous: list[int], reliable: bool) -> None:
    got = contingency_2xk(current, previous)
    expected = chi2_contingency(np.array([current, previous]), correction=False)[3]
    small = (expected < 5).sum() / expected.size
    assert bool(expected.min() >= 1 and small <= 0.2) is reliable  # the rule, written out
    assert got["is_test_reliable"] is reliable


def test_platform_dimension_takes_online_incidents_naming_a_platform(
    incidents: pl.DataFrame,
) -> None:
    out = channel_shift(incidents, Q, dimension="platform")
    kent = _area(out, "force", "kent")
    assert kent["category"].to_list() == ["Facebook", "Reddit", "X"]
    assert kent["current_count"].to_list() == [5, 0, 25]
    assert kent["previous_count"].to_list() == [20, 9, 20]
    _check_against_scipy(kent)
    assert set(out["unit"]) == {"all", "south_east", "kent"}  # no online incidents elsewhere
    with pytest.raises(ValueError, match="dimension"):
        channel_shift(incidents, Q, dimension="offence_group")  # type: ignore[arg-type]


def _pearson(table: np.ndarray) -> float:
    return float(chi2_contingency(table, correction=False)[0])


def _exact_conditional_p(current: list[int], previous: list[int]) -> float:
    """P(chi2 >= observed) over every 2 × 3 table with the observed margins, each weighted by
    its multivariate hypergeometric probability prod C(c_k, x_k) / C(n, r)."""
    columns = [c + p for c, p in zip(current, previous, strict=True)]
    n, r = sum(columns), sum(current)
    observed = _pearson(np.array([current, previous]))
    p = 0.0
    for x0 in range(columns[0] + 1):
        for x1 in range(columns[1] + 1):
            x2 = r - x0 - x1
            if not 0 <= x2 <= columns[2]:
                continue
            row = [x0, x1, x2]
            table = np.array([row, [c - x for c, x in zip(columns, row, strict=True)]])
            if _pearson(table) >= observed * (1 - 1e-9):
                p += math.prod(math.comb(c, x) for c, x in zip(columns, row, strict=True)
                               ) / math.comb(n, r)
    return p


def _mc_tolerance(p: float, simulations: int) -> float:
    return 4 * math.sqrt(p * (1 - p) / simulations) + 1 / simulations


@pytest.mark.parametrize(("current", "previous"), [
    ([5, 1, 0], [2, 4, 6]),
    ([4, 1, 1], [3, 5, 6]),   # asymptotic p 0.15, exact 0.23
    ([3, 0, 2], [2, 6, 1]),
    ([3, 1, 1], [1, 3, 3]),   # equal column totals: many tables tie with the observed chi2
])
def test_monte_carlo_matches_exact_conditional_p(current: list[int], previous: list[int]) -> None:
    assert contingency_2xk(current, previous)["is_test_reliable"] is False
    exact = _exact_conditional_p(current, previous)
    got = monte_carlo_p_value(current, previous, seed=11)
    assert got is not None
    assert abs(got - exact) < _mc_tolerance(exact, SIMULATIONS)
    # R's formula: (1 + hits) / (B + 1), so a multiple of 1 / (B + 1) and never 0
    assert got * (SIMULATIONS + 1) == pytest.approx(round(got * (SIMULATIONS + 1)))
    assert got >= 1 / (SIMULATIONS + 1)


def test_monte_carlo_counts_ties_as_extreme() -> None:
    # margins (1, 1) × (1, 1): both possible tables have chi2 = 2, so every draw ties
    assert monte_carlo_p_value([1, 0], [0, 1], simulations=50) == 1.0


def test_monte_carlo_matches_asymptotic_on_a_large_table() -> None:
    current, previous = [210, 180, 150, 125, 60], [800, 760, 640, 470, 250]
    assert contingency_2xk(current, previous)["is_test_reliable"] is True
    asymptotic = chi2_contingency(np.array([current, previous]), correction=False)[1]
    assert 0.01 < asymptotic < 0.9  # a p-value where the comparison means something
    got = monte_carlo_p_value(current, previous, seed=3)
    assert got is not None
    assert abs(got - asymptotic) < _mc_tolerance(asymptotic, SIMULATIONS)


def test_monte_carlo_is_none_without_a_test_and_rejects_bad_input() -> None:
    assert monte_carlo_p_value([3, 0], [7, 0]) is None      # one non-empty category
    assert monte_carlo_p_value([0, 0, 0], [4, 2, 1]) is None  # empty current row
    with pytest.raises(ValueError, match="one count per category"):
        monte_carlo_p_value([1, 2], [1])
    with pytest.raises(ValueError, match="non-negative"):
        monte_carlo_p_value([1, -2], [1, 2])
    with pytest.raises(ValueError, match="simulations"):
        monte_carlo_p_value([1, 2], [2, 1], simulations=0)


def test_channel_shift_monte_carlo_column_is_the_exact_p_and_reproducible() -> None:
    # a 2 × 3 platform table [[4, 1, 1], [3, 5, 6]] in one force
    table = [("essex", "east", day, "social_media", platform, n) for day, counts in
             ((NOW, (4, 1, 1)), (BEFORE, (3, 5, 6)))
             for platform, n in zip(("Facebook", "TikTok", "X"), counts, strict=True)]
    frame = _incidents(table)
    out = channel_shift(frame, Q, dimension="platform")
    essex = _area(out, "force", "essex")
    assert essex["current_count"].to_list() == [4, 1, 1]
    p_mc = essex["p_value_monte_carlo"].unique().item()
    assert essex["simulations"].unique().to_list() == [SIMULATIONS]
    exact = _exact_conditional_p([4, 1, 1], [3, 5, 6])
    assert abs(p_mc - exact) < _mc_tolerance(exact, SIMULATIONS)
    # the seed is the area's, so the value is the function's with that seed
    assert p_mc == monte_carlo_p_value([4, 1, 1], [3, 5, 6],
                                       seed=simulation_seed("force", "essex", "platform"))
    assert channel_shift(frame, Q, dimension="platform").equals(out)
    fewer = channel_shift(frame, Q, dimension="platform", simulations=199)
    assert fewer["simulations"].unique().to_list() == [199]
    with pytest.raises(ValueError, match="simulations"):
        channel_shift(frame, Q, simulations=0)


def test_monte_carlo_columns_follow_the_asymptotic_test(incidents: pl.DataFrame) -> None:
    out = channel_shift(incidents, Q)
    assert out.columns[-2:] == ["p_value_monte_carlo", "simulations"]
    # null exactly where chi2 is null (dorset: one category)
    assert out["p_value_monte_carlo"].is_null().to_list() == out["chi2"].is_null().to_list()
    assert out["simulations"].is_null().to_list() == out["chi2"].is_null().to_list()
    # kent's table is large and reliable: the two p-values agree within Monte Carlo error
    kent = _area(out, "force", "kent")
    p = kent["p_value"].unique().item()
    assert abs(kent["p_value_monte_carlo"].unique().item() - p) < _mc_tolerance(p, SIMULATIONS)
