"""social_media on a hand-made quarter: counts, identified suspects and median days."""

from __future__ import annotations

import datetime as dt
import statistics

import polars as pl
import pytest

from analytics.social_media import social_media

pytestmark = pytest.mark.unit

Q = dt.date(2026, 4, 1)
AS_OF = dt.date(2026, 7, 31)

# (force, region, reported, channel, platform, suspect_keys, outcome, outcome_date)
ROWS = [
    ("kent", "se", dt.date(2026, 4, 1), "social_media", "X", "a1;b2", "charged",
     dt.date(2026, 4, 11)),                                            # closed, 10 days
    ("kent", "se", dt.date(2026, 4, 20), "social_media", "X", "", "no_further_action",
     dt.date(2026, 5, 20)),                                            # closed, 30 days
    ("kent", "se", dt.date(2026, 5, 1), "social_media", "X", "c3", "under_investigation",
     None),                                                            # open
    ("kent", "se", dt.date(2026, 6, 30), "social_media", "X", "", "caution",
     dt.date(2026, 8, 15)),                                            # closes after as_of
    ("kent", "se", dt.date(2026, 5, 5), "online_other", "Reddit", "d4", "transferred",
     dt.date(2026, 5, 6)),                                             # a transfer: open
    ("kent", "se", dt.date(2026, 5, 9), "social_media", "Facebook", "e5",
     "suspect_not_identified", dt.date(2026, 5, 12)),                  # closed, 3 days
    ("essex", "se", dt.date(2026, 6, 1), "social_media", "X", "f6", "charged",
     dt.date(2026, 7, 1)),                                             # closed, 30 days
    # not counted: no platform, not online, outside the quarter
    ("kent", "se", dt.date(2026, 5, 1), "social_media", None, "g7", "charged",
     dt.date(2026, 5, 2)),
    ("kent", "se", dt.date(2026, 5, 1), "email", "X", "h8", "charged", dt.date(2026, 5, 2)),
    ("kent", "se", dt.date(2026, 3, 31), "social_media", "X", "i9", "charged",
     dt.date(2026, 4, 2)),
    ("devon", "sw", dt.date(2026, 7, 1), "social_media", "X", "", "charged",
     dt.date(2026, 7, 2)),
]


@pytest.fixture(scope="module")
def out() -> pl.DataFrame:
    columns = ["force_id", "police_region", "reported_date", "channel", "platform",
               "suspect_keys", "outcome", "outcome_date"]
    frame = pl.DataFrame([dict(zip(columns, r, strict=True)) for r in ROWS],
                         schema_overrides={"platform": pl.String, "outcome_date": pl.Date})
    frame = frame.with_columns(
        incident_id=pl.concat_str("force_id", pl.lit(":"), pl.int_range(pl.len()).cast(pl.String)))
    return social_media(frame, Q, AS_OF)


def _get(out: pl.DataFrame, unit: str, platform: str, level: str = "force") -> dict:
    found = out.filter(level=level, unit=unit, platform=platform)
    assert found.height == 1
    return found.row(0, named=True)


def test_columns_and_areas(out: pl.DataFrame) -> None:
    assert out.columns == ["level", "unit", "platform", "report_count",
                           "suspect_identified_count", "suspect_identified_share",
                           "closed_count", "median_days_to_outcome"]
    assert set(out.select("level", "unit").unique().iter_rows()) == {
        ("national", "all"), ("region", "se"), ("force", "kent"), ("force", "essex")}
    assert out.filter(level="force", unit="kent")["platform"].to_list() == [
        "Facebook", "Reddit", "X", "all"]


def test_kent_x_by_hand(out: pl.DataFrame) -> None:
    x = _get(out, "kent", "X")
    assert x["report_count"] == 4
    assert x["suspect_identified_count"] == 2
    assert x["suspect_identified_share"] == pytest.approx(0.5)
    assert x["closed_count"] == 2  # the caution of 15 August is after as_of
    assert x["median_days_to_outcome"] == pytest.approx(statistics.median([10, 30]))


def test_all_platforms_and_pooled_areas(out: pl.DataFrame) -> None:
    kent = _get(out, "kent", "all")
    assert (kent["report_count"], kent["suspect_identified_count"], kent["closed_count"]) == (
        6, 4, 3)
    assert kent["median_days_to_outcome"] == pytest.approx(statistics.median([10, 30, 3]))
    reddit = _get(out, "kent", "Reddit")
    assert reddit["closed_count"] == 0 and reddit["median_days_to_outcome"] is None
    national = _get(out, "all", "X", level="national")
    assert (national["report_count"], national["closed_count"]) == (5, 3)
    assert national["median_days_to_outcome"] == pytest.approx(statistics.median([10, 30, 30]))
    assert national["suspect_identified_share"] == pytest.approx(3 / 5)


def test_as_of_moves_the_median() -> None:
    columns = ["force_id", "police_region", "reported_date", "channel", "platform",
               "suspect_keys", "outcome", "outcome_date"]
    frame = pl.DataFrame([dict(zip(columns, r, strict=True)) for r in ROWS[:4]],
                         schema_overrides={"platform": pl.String, "outcome_date": pl.Date}
                         ).with_columns(incident_id=pl.lit("x"))
    later = social_media(frame, Q, dt.date(2026, 9, 30)).filter(level="force", platform="X")
    assert later["closed_count"].item() == 3
    assert later["median_days_to_outcome"].item() == pytest.approx(30.0)  # 10, 30, 46
    with pytest.raises(ValueError, match="first day of a quarter"):
        social_media(frame, dt.date(2026, 5, 1), AS_OF)
