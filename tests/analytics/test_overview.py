""""Of note": the shared rules for rising series, funnel outliers and the latest alarms."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from analytics.overview import funnel_outliers, latest_alarms, of_note, rising_series

pytestmark = pytest.mark.unit
SEPT = dt.date(2026, 9, 1)


def test_rising_series_needs_the_whole_interval_above_one() -> None:
    trend = pl.DataFrame({
        "series_id": ["a", "b", "c", "d"], "frequency": ["month"] * 3 + ["quarter"],
        "level": ["force", "national", "region", "national"],
        "change_per_year": [1.5, 1.2, 1.3, 2.0], "ci_low": [1.1, 1.01, 0.9, 1.5],
    })
    assert rising_series(trend)["series_id"].to_list() == ["b", "a"]


def test_funnel_outliers_at_998_and_95() -> None:
    funnel = pl.DataFrame({
        "force_id": ["x", "y", "z"], "denominator_kind": ["constituency"] * 3,
        "z_score": [-3.5, 4.0, 2.5], "is_outside998": [True, True, False],
        "is_outside95": [True, True, True],
    })
    assert funnel_outliers(funnel)["force_id"].to_list() == ["y", "x"]
    assert funnel_outliers(funnel, "95").height == 3


def test_latest_alarms_order_national_first_then_most_exceeded() -> None:
    exc = pl.DataFrame({
        "series_id": ["f1", "n1", "r1", "r2", "old"],
        "level": ["force", "national", "region", "region", "national"],
        "frequency": ["month"] * 5,
        "period": [SEPT, SEPT, SEPT, SEPT, dt.date(2026, 8, 1)],
        "is_alarm": [True, True, True, True, True],
        "observed_count": [9, 30, 10, 20, 50], "upperbound_count": [3.0, 25.0, 8.0, 5.0, 1.0],
    })
    assert latest_alarms(exc, SEPT)["series_id"].to_list() == ["n1", "r2", "r1", "f1"]
    notes = of_note({"exceedance": exc}, SEPT)
    assert notes["exceedance"] == "5 alarms (4 in September 2026)"
