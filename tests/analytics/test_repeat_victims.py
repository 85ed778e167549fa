"""repeat_victimisation on hand-counted victims; share_change and the trend against statsmodels."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep
from statsmodels.stats.proportion import test_proportions_2indep as score_test

from analytics.proportions import share, share_change
from analytics.repeat_victims import repeat_victim_trend, repeat_victimisation

pytestmark = pytest.mark.unit

Q = dt.date(2026, 7, 1)
PREV = dt.date(2026, 4, 1)


def _incidents(victims: dict[str, int], day: dt.date, force: str = "kent",
               region: str = "south_east", prefix: str = "") -> list[dict]:
    """`victims[v]` incidents on victim v, all reported on `day` in `force`."""
    rows = []
    for victim, n in victims.items():
        for k in range(n):
            rows.append({
                "incident_id": f"{force}:{prefix}{victim}-{k}", "force_id": force,
                "police_region": region, "reported_date": day, "victim_id": victim,
            })
    return rows


def _frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={
        "incident_id": pl.String, "force_id": pl.String, "police_region": pl.String,
        "reported_date": pl.Date, "victim_id": pl.String,
    })


# Ten victims in the report quarter in Kent: 5, 3, 2, 2 and six single incidents.
KENT_NOW = {"v01": 5, "v02": 3, "v03": 2, "v04": 2, **{f"v{i:02d}": 1 for i in range(5, 11)}}
# Three victims in Essex (same region): 4, 1, 1.
ESSEX_NOW = {"e1": 1, "e2": 4, "e3": 1}
# Kent, previous quarter: 4 victims, one repeat (2).
KENT_PREV = {"v01": 2, "v02": 1, "v05": 1, "v07": 1}


@pytest.fixture(scope="module")
def rows() -> pl.DataFrame:
    data = (
        _incidents(KENT_NOW, dt.date(2026, 8, 3))
        + _incidents(ESSEX_NOW, dt.date(2026, 9, 30), force="essex")
        + _incidents(KENT_PREV, dt.date(2026, 6, 30), prefix="p")
        # unattributed, and outside the five quarters: neither counts
        + [{"incident_id": "kent:x", "force_id": "kent", "police_region": "south_east",
            "reported_date": dt.date(2026, 8, 1), "victim_id": None},
           {"incident_id": "kent:old", "force_id": "kent", "police_region": "south_east",
            "reported_date": dt.date(2025, 6, 30), "victim_id": "v01"}]
    )
    return repeat_victimisation(_frame(data), Q)


def _row(rows: pl.DataFrame, level: str, unit: str, period: dt.date) -> dict:
    found = rows.filter(level=level, unit=unit, period=period)
    assert found.height == 1
    return found.row(0, named=True)


def test_columns_and_all_three_levels_with_five_periods(rows: pl.DataFrame) -> None:
    assert rows.columns[:3] == ["level", "unit", "period"]
    assert set(rows.select("level", "unit").unique().iter_rows()) == {
        ("national", "all"), ("region", "south_east"), ("force", "kent"), ("force", "essex")}
    periods = sorted(rows["period"].unique())
    assert periods == [dt.date(2025, 7, 1), dt.date(2025, 10, 1), dt.date(2026, 1, 1), PREV, Q]
    assert rows.height == 4 * 5


def test_kent_report_quarter_counted_by_hand(rows: pl.DataFrame) -> None:
    kent = _row(rows, "force", "kent", Q)
    assert kent["incident_count"] == 18  # 5+3+2+2+6; the unattributed one is left out
    assert kent["victim_count"] == 10
    assert kent["repeat_victim_count"] == 4
    assert kent["repeat_incident_count"] == 12
    assert kent["top_decile_victim_count"] == 1  # ceil(0.1 × 10)
    assert kent["top_decile_incident_count"] == 5
    assert kent["top_decile_share"] == pytest.approx(5 / 18)
    assert kent["repeat_victim_share"] == pytest.approx(4 / 10)


def test_region_pools_forces_and_top_decile_rounds_up(rows: pl.DataFrame) -> None:
    region = _row(rows, "region", "south_east", Q)
    # 13 victims: ceil(1.3) = 2, the two most targeted are v01 (5) and e2 (4).
    assert region["victim_count"] == 13
    assert region["top_decile_victim_count"] == 2
    assert region["top_decile_incident_count"] == 9
    assert region["incident_count"] == 24
    assert region["repeat_victim_count"] == 5
    assert region["repeat_incident_count"] == 16
    essex = _row(rows, "force", "essex", Q)
    assert (essex["top_decile_victim_count"], essex["top_decile_incident_count"]) == (1, 4)


def test_empty_periods_are_zero_with_null_shares(rows: pl.DataFrame) -> None:
    empty = _row(rows, "force", "essex", PREV)
    assert empty["incident_count"] == 0 and empty["victim_count"] == 0
    assert empty["top_decile_share"] is None
    old = _row(rows, "national", "all", dt.date(2025, 7, 1))
    assert old["incident_count"] == 0  # 2025-06-30 lies before the five quarters


@pytest.mark.parametrize("victims", [30, 11, 70, 100])
def test_top_decile_size_is_exact_ceiling(victims: int) -> None:
    # ceil(0.1 * 30) is 4 and ceil(0.1 * 70) is 8 in floating point; the rule means 3 and 7.
    frame = _frame(_incidents({f"v{i:03d}": 1 for i in range(victims)}, Q))
    out = repeat_victimisation(frame, Q).filter(level="national", period=Q)
    expected = math.ceil(victims / 10 - 1e-12)
    assert out["top_decile_victim_count"].item() == expected
    assert out["top_decile_incident_count"].item() == expected


def test_quarter_must_be_a_quarter_start() -> None:
    with pytest.raises(ValueError, match="first day of a quarter"):
        repeat_victimisation(_frame(_incidents({"v": 1}, Q)), dt.date(2026, 8, 1))


@pytest.mark.parametrize(("a", "n1", "b", "n2"), [
    (12, 18, 3, 5), (40, 200, 25, 210), (0, 30, 4, 120), (7, 7, 50, 60),
])
def test_share_change_is_statsmodels_newcombe_and_score(a: int, n1: int, b: int, n2: int) -> None:
    got = share_change(a, n1, b, n2)
    low, high = confint_proportions_2indep(a, n1, b, n2, compare="diff", method="newcomb")
    with np.errstate(divide="ignore"):  # statsmodels' odds ratio when a share is 1
        p = score_test(a, n1, b, n2, compare="diff", method="score").pvalue
    assert got["change_pp"] == pytest.approx(100 * (a / n1 - b / n2))
    assert got["change_ci_low"] == pytest.approx(100 * low)
    assert got["change_ci_high"] == pytest.approx(100 * high)
    assert got["change_p_value"] == pytest.approx(p)
    assert got["change_ci_low"] <= got["change_pp"] <= got["change_ci_high"]


def test_newcombe_interval_written_out() -> None:
    """Newcombe (1998) method 10 from Wilson limits, for 12/18 against 3/5."""
    z = 1.959963984540054

    def wilson(x: int, n: int) -> tuple[float, float]:
        p = x / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        return centre - half, centre + half

    p1, p2 = 12 / 18, 3 / 5
    l1, u1 = wilson(12, 18)
    l2, u2 = wilson(3, 5)
    low = p1 - p2 - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = p1 - p2 + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    got = share_change(12, 18, 3, 5)
    assert got["change_ci_low"] == pytest.approx(100 * low, rel=1e-6)
    assert got["change_ci_high"] == pytest.approx(100 * high, rel=1e-6)


def test_share_change_degenerate_and_bad_counts() -> None:
    assert share_change(0, 10, 0, 40)["change_p_value"] == 1.0
    assert share_change(0, 10, 0, 40)["change_pp"] == 0.0
    assert set(share_change(0, 0, 1, 4).values()) == {None}
    assert share(0, 0) is None
    with pytest.raises(ValueError, match="numerator"):
        share_change(5, 4, 1, 4)
    with pytest.raises(ValueError, match="numerator"):
        share(-1, 4)


def test_trend_pools_previous_quarters_and_matches_share_change(rows: pl.DataFrame) -> None:
    trend = repeat_victim_trend(rows)
    assert trend.columns[:3] == ["level", "unit", "measure"]
    kent = trend.filter(level="force", unit="kent").row(0, named=True)
    assert (kent["current_count"], kent["current_total_count"]) == (4, 10)
    assert (kent["previous_count"], kent["previous_total_count"]) == (1, 4)
    expected = share_change(4, 10, 1, 4)
    for key, value in expected.items():
        assert kent[key] == pytest.approx(value)
    assert kent["current_share"] == pytest.approx(0.4)
    assert kent["previous_share"] == pytest.approx(0.25)
    essex = trend.filter(level="force", unit="essex").row(0, named=True)
    assert essex["previous_total_count"] == 0 and essex["change_pp"] is None

    top = repeat_victim_trend(rows, "top_decile").filter(level="force", unit="kent").row(
        0, named=True)
    # previous quarter in Kent: 5 incidents on 4 victims, top decile 1 victim with 2.
    assert (top["current_count"], top["current_total_count"]) == (5, 18)
    assert (top["previous_count"], top["previous_total_count"]) == (2, 5)
    with pytest.raises(ValueError, match="measure"):
        repeat_victim_trend(rows, "nonsense")  # type: ignore[arg-type]
