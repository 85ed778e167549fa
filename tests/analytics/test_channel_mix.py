"""channel_shift: chi-square against scipy, adjusted residuals against Agresti's formula."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest
from scipy.stats import chi2_contingency

from analytics.channel_mix import channel_shift, contingency_2xk

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
