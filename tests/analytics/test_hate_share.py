"""hate_share: counts by hand, the trend against statsmodels called directly."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep
from statsmodels.stats.proportion import test_proportions_2indep as score_test

from analytics.hate_share import STRANDS, hate_share

pytestmark = pytest.mark.unit

Q = dt.date(2026, 1, 1)
PERIODS = [dt.date(2025, 1, 1), dt.date(2025, 4, 1), dt.date(2025, 7, 1),
           dt.date(2025, 10, 1), Q]

# (force, region, day, strand, n)
TABLE = [
    ("kent", "south_east", dt.date(2026, 2, 10), "race", 6),
    ("kent", "south_east", dt.date(2026, 3, 31), "religion", 3),
    ("kent", "south_east", dt.date(2026, 1, 1), None, 21),
    ("kent", "south_east", dt.date(2025, 5, 5), "race", 4),
    ("kent", "south_east", dt.date(2025, 11, 30), "sex", 2),
    ("kent", "south_east", dt.date(2025, 2, 1), None, 44),
    ("kent", "south_east", dt.date(2025, 8, 1), None, 30),
    ("devon", "south_west", dt.date(2026, 2, 2), None, 5),
    ("devon", "south_west", dt.date(2025, 9, 9), "race", 1),
    ("devon", "south_west", dt.date(2024, 12, 31), "race", 9),  # before the window
]


@pytest.fixture(scope="module")
def rows() -> pl.DataFrame:
    data = []
    for force, region, day, strand, n in TABLE:
        for k in range(n):
            data.append({"incident_id": f"{force}:{day}-{strand}-{k}", "force_id": force,
                         "police_region": region, "reported_date": day, "hate_strand": strand})
    return hate_share(pl.DataFrame(data, schema_overrides={"hate_strand": pl.String}), Q)


def _get(rows: pl.DataFrame, unit: str, period: dt.date, strand: str,
         level: str = "force") -> dict:
    found = rows.filter(level=level, unit=unit, period=period, strand=strand)
    assert found.height == 1
    return found.row(0, named=True)


def test_grid_covers_areas_periods_and_strands(rows: pl.DataFrame) -> None:
    assert rows.columns[:4] == ["level", "unit", "period", "strand"]
    areas = {("national", "all"), ("region", "south_east"), ("region", "south_west"),
             ("force", "kent"), ("force", "devon")}
    assert set(rows.select("level", "unit").unique().iter_rows()) == areas
    assert rows.height == len(areas) * 5 * (len(STRANDS) + 1)
    assert sorted(rows["period"].unique()) == PERIODS


def test_counts_by_hand(rows: pl.DataFrame) -> None:
    race = _get(rows, "kent", Q, "race")
    assert (race["hate_count"], race["incident_count"]) == (6, 30)
    assert race["share"] == pytest.approx(6 / 30)
    any_ = _get(rows, "kent", Q, "any")
    assert (any_["hate_count"], any_["incident_count"]) == (9, 30)
    assert _get(rows, "kent", Q, "disability")["hate_count"] == 0
    assert _get(rows, "kent", dt.date(2025, 4, 1), "race")["share"] == pytest.approx(1.0)
    national = _get(rows, "all", dt.date(2025, 7, 1), "any", level="national")
    assert (national["hate_count"], national["incident_count"]) == (1, 31)
    empty = _get(rows, "devon", dt.date(2025, 1, 1), "race")
    assert empty["incident_count"] == 0 and empty["share"] is None  # the 2024 ones are out


@pytest.mark.parametrize(("unit", "strand", "now", "before"), [
    ("kent", "race", (6, 30), (4, 80)),
    ("kent", "any", (9, 30), (6, 80)),
    ("kent", "sex", (0, 30), (2, 80)),
])
def test_trend_against_statsmodels(rows: pl.DataFrame, unit: str, strand: str,
                                   now: tuple[int, int], before: tuple[int, int]) -> None:
    row = _get(rows, unit, Q, strand)
    assert (row["previous_hate_count"], row["previous_incident_count"]) == before
    low, high = confint_proportions_2indep(*now, *before, compare="diff", method="newcomb")
    p = score_test(*now, *before, compare="diff", method="score").pvalue
    assert row["change_pp"] == pytest.approx(100 * (now[0] / now[1] - before[0] / before[1]))
    assert row["change_ci_low"] == pytest.approx(100 * low)
    assert row["change_ci_high"] == pytest.approx(100 * high)
    assert row["change_p_value"] == pytest.approx(p)


def test_trend_only_on_current_rows_and_null_without_a_base(rows: pl.DataFrame) -> None:
    earlier = rows.filter(pl.col("period") < Q)
    assert earlier["change_pp"].null_count() == earlier.height
    assert earlier["previous_incident_count"].null_count() == earlier.height
    devon = _get(rows, "devon", Q, "race")
    # 1 of 1 before, 0 of 5 now: a change of -100 pp with a wide interval
    assert devon["change_pp"] == pytest.approx(-100.0)
    assert devon["change_ci_low"] < -50 < devon["change_ci_high"] <= 0
    no_hate = _get(rows, "devon", Q, "religion")
    assert no_hate["change_pp"] == 0.0 and no_hate["change_p_value"] == 1.0
