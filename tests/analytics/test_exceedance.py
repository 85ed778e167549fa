"""`detect` on counts frames: the DESIGN.md contract, fallbacks and errors by row and field."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from analytics.exceedance import CountsError, detect
from analytics.farrington import FarringtonParams, farrington_flexible

pytestmark = pytest.mark.unit


def _monthly(series: dict[str, np.ndarray], start_year: int = 2015) -> pl.DataFrame:
    rows = []
    for sid, counts in series.items():
        for i, c in enumerate(counts):
            year, month = divmod(i, 12)
            rows.append({"series_id": sid, "period": f"{start_year + year}-{month + 1:02d}",
                         "count": int(c)})
    return pl.DataFrame(rows)


def test_one_row_per_series_and_evaluated_period_with_a_planted_spike() -> None:
    rng = np.random.default_rng(1)
    calm = rng.poisson(10, 132)
    spiky = rng.poisson(10, 132)
    spiky[-2] = 40
    out = detect(_monthly({"calm": calm, "spiky": spiky})).results
    assert out.columns == ["series_id", "period", "observed", "expected", "upperbound",
                           "alarm", "method"]
    assert out.group_by("series_id").len().sort("series_id")["len"].to_list() == [12, 12]
    assert out["period"].unique().sort().to_list()[0] == "2025-01"
    spike = out.filter((pl.col("series_id") == "spiky") & (pl.col("period") == "2025-11"))
    assert spike["alarm"].item() is True and spike["observed"].item() == 40
    assert set(out["method"]) == {"farrington"}


def test_batched_series_match_one_at_a_time() -> None:
    rng = np.random.default_rng(2)
    series = {f"s{i}": rng.negative_binomial(4, 4 / (4 + 6 + i), 132) for i in range(8)}
    out = detect(_monthly(series)).results
    for sid, y in series.items():
        alone = farrington_flexible(y.astype(float), 12, list(range(120, 132)),
                                    FarringtonParams.monthly())
        got = out.filter(pl.col("series_id") == sid)["upperbound"].to_numpy()
        np.testing.assert_allclose(got, alone.upperbound[:, 0])


def test_short_series_fall_back_to_ears_and_say_so() -> None:
    rng = np.random.default_rng(3)
    result = detect(_monthly({"long": rng.poisson(5, 132), "short": rng.poisson(5, 30)},
                             start_year=2015))
    # "short" starts in 2015 too but ends early: it is completed with zeros to the file's end
    assert set(result.results["method"]) == {"farrington"}

    short = _monthly({"short": rng.poisson(5, 30)}, start_year=2024)
    got = detect(short)
    assert set(got.results["method"]) == {"ears-c1"}
    assert got.results.height == 12
    assert any("EARS C1 is used instead" in m for m in got.messages)


def test_series_too_short_for_any_method_is_reported_not_invented() -> None:
    got = detect(_monthly({"tiny": np.array([1, 2, 3, 4, 5])}))
    assert got.results.height == 0
    assert any("too short" in m for m in got.messages)


def test_missing_periods_count_as_zero() -> None:
    frame = _monthly({"a": np.full(132, 6)}).filter(pl.col("period") != "2025-06")
    out = detect(frame).results
    assert out.filter(pl.col("period") == "2025-06")["observed"].item() == 0


def test_weekly_periods() -> None:
    rng = np.random.default_rng(4)
    y = rng.poisson(8, 52 * 6 + 12)
    import datetime as dt

    start = dt.date(2019, 12, 30)  # Monday of ISO week 2020-W01
    periods = []
    for i in range(y.size):
        iso = (start + dt.timedelta(weeks=i)).isocalendar()
        periods.append(f"{iso.year}-W{iso.week:02d}")
    frame = pl.DataFrame({"series_id": "w", "period": periods, "count": y})
    out = detect(frame).results
    assert out.height == 12 and out["period"].to_list() == periods[-12:]
    assert out["upperbound"].is_not_null().any()


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pl.DataFrame({"series_id": ["a"], "period": ["2024-01"], "count": ["-1"]}),
         "row 2, field count"),
        (pl.DataFrame({"series_id": ["a", "a"], "period": ["2024-01", "2024-W02"],
                       "count": [1, 2]}), "field period"),
        (pl.DataFrame({"series_id": ["a", "a"], "period": ["2024-01", "2024-01"],
                       "count": [1, 2]}), "twice"),
        (pl.DataFrame({"series_id": ["a"], "period": ["2024-13"], "count": [1]}),
         "not a month"),
        (pl.DataFrame({"series": ["a"], "period": ["2024-01"], "count": [1]}),
         "missing columns"),
    ],
)
def test_bad_counts_name_row_and_field(frame: pl.DataFrame, message: str) -> None:
    with pytest.raises(CountsError, match=message):
        detect(frame)
