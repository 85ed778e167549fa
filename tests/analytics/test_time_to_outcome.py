"""time_to_outcome: Kaplan–Meier quantiles against hand-worked product-limit examples."""

from __future__ import annotations

import datetime as dt
import math

import polars as pl
import pytest
from scipy.stats import norm

from analytics.time_to_outcome import time_to_outcome
from etl.vocabulary import OFFENCE_GROUPS

pytestmark = pytest.mark.unit

FIRST, AS_OF = dt.date(2025, 10, 1), dt.date(2026, 9, 30)
REPORTED = dt.date(2026, 1, 1)


def _incidents(cases: list[tuple[int, bool]], **columns: object) -> pl.DataFrame:
    """(days, closed) cases: a closed case reported on REPORTED has its outcome `days` later;
    an open one is reported `days` before AS_OF, so it is censored at `days`."""
    rows = []
    for i, (days, closed) in enumerate(cases):
        rows.append(
            {
                "incident_id": f"kent:{i}",
                "force_id": "kent",
                "police_region": "south_east",
                "reported_date": REPORTED if closed else AS_OF - dt.timedelta(days=days),
                "offence_group": "harassment",
                "outcome": "charged" if closed else "under_investigation",
                "outcome_date": REPORTED + dt.timedelta(days=days) if closed else None,
            }
            | columns
        )
    return pl.DataFrame(rows, schema_overrides={"reported_date": pl.Date, "outcome_date": pl.Date})


def _row(result: pl.DataFrame, level: str = "national", group: str = "all") -> dict:
    return result.filter(level=level, offence_group=group).row(0, named=True)


# Times 2, 3, 3+, 5, 7+, 8, 10 (+ censored). Product limit S(t) = Π (1 − d_j / n_j):
#   t = 2:  n = 7, d = 1  →  S = 6/7            ≈ 0.857
#   t = 3:  n = 6, d = 1  →  S = 6/7 · 5/6 = 5/7 ≈ 0.714   (3+ is still at risk at 3)
#   t = 5:  n = 4, d = 1  →  S = 5/7 · 3/4      ≈ 0.536   (3+ has left)
#   t = 8:  n = 2, d = 1  →  S = 15/28 · 1/2    ≈ 0.268   (7+ has left)
#   t = 10: n = 1, d = 1  →  S = 0
# Median: the smallest t with S(t) <= 0.5 is 8; 90th percentile: smallest with S(t) <= 0.1 is 10.
HAND = [(2, True), (3, True), (3, False), (5, True), (7, False), (8, True), (10, True)]


def test_median_and_p90_match_the_hand_worked_product_limit() -> None:
    row = _row(time_to_outcome(_incidents(HAND), FIRST, AS_OF, AS_OF))
    assert (row["incident_count"], row["closed_count"], row["open_count"]) == (7, 5, 2)
    assert row["median_days"] == 8
    assert row["p90_days"] == 10


def test_median_interval_inverts_the_greenwood_cloglog_test() -> None:
    # Greenwood: var S(t) = S(t)² Σ d/(n(n − d)); on g(S) = log(−log S) the test statistic is
    # (g(S) − g(0.5)) / (|g'(S)| · se), g'(S) = −1/(S log S). The interval runs from the first
    # event time where |stat| <= 1.96 to the event time after the last such (SAS LIFETEST).
    events = [(2, 7, 1), (3, 6, 1), (5, 4, 1), (8, 2, 1)]  # (t, n, d); at 10, S = 0: no test
    s, total, accepted = 1.0, 0.0, []
    for t, n, d in events:
        s *= 1 - d / n
        total += d / (n * (n - d))
        se = s * math.sqrt(total)
        stat = (math.log(-math.log(s)) - math.log(-math.log(0.5))) / (se / (s * -math.log(s)))
        if abs(stat) <= norm.ppf(0.975):
            accepted.append(t)
    times = [t for t, _, _ in events] + [10]
    expected = (accepted[0], times[times.index(accepted[-1]) + 1])
    row = _row(time_to_outcome(_incidents(HAND), FIRST, AS_OF, AS_OF))
    assert (row["median_ci_low"], row["median_ci_high"]) == expected
    assert row["median_ci_low"] <= row["median_days"] <= row["median_ci_high"]


def test_a_median_not_reached_is_null() -> None:
    # 1, 2+, 3+, 4+, 5+: S(1) = 4/5 and no later events, so S never reaches 0.5.
    cases = [(1, True), (2, False), (3, False), (4, False), (5, False)]
    row = _row(time_to_outcome(_incidents(cases), FIRST, AS_OF, AS_OF))
    assert (row["closed_count"], row["open_count"]) == (1, 4)
    assert row["median_days"] is None
    assert row["p90_days"] is None
    assert row["median_ci_high"] is None


def test_a_survival_of_exactly_one_half_gives_that_day_as_the_median() -> None:
    # 3, 9: S(3) = 1/2 exactly, so the median is 3 (statsmodels' strict S < 0.5 would say 9).
    row = _row(time_to_outcome(_incidents([(3, True), (9, True)]), FIRST, AS_OF, AS_OF))
    assert row["median_days"] == 3
    assert row["p90_days"] == 9


def test_a_same_day_outcome_is_zero_days() -> None:
    # 0, 0, 5: S(0) = 1/3, so the median is 0 days.
    row = _row(time_to_outcome(_incidents([(0, True), (0, True), (5, True)]), FIRST, AS_OF, AS_OF))
    assert row["median_days"] == 0
    assert row["p90_days"] == 5


def test_an_outcome_after_as_of_is_censored_at_as_of() -> None:
    as_of = dt.date(2026, 3, 31)
    late = as_of + dt.timedelta(days=20)
    incidents = pl.concat(
        [
            _incidents([(4, True)]),
            _incidents([(0, True)]).with_columns(
                incident_id=pl.lit("kent:late"), outcome_date=pl.lit(late, pl.Date)
            ),
        ]
    )
    # At as_of the late case is open at 89 days (1 Jan to 31 Mar): 4, 89+ → S(4) = 1/2.
    row = _row(time_to_outcome(incidents, FIRST, as_of, as_of))
    assert (row["closed_count"], row["open_count"]) == (1, 1)
    assert (row["median_days"], row["p90_days"]) == (4, None)
    # A month later it had closed, at 109 days: 4, 109 → p90 109.
    later = time_to_outcome(incidents, FIRST, as_of, as_of + dt.timedelta(days=30))
    assert (_row(later)["closed_count"], _row(later)["p90_days"]) == (2, (late - REPORTED).days)


def test_rows_cover_offence_groups_nationally_and_regionally_but_only_all_for_forces() -> None:
    incidents = pl.concat(
        [
            _incidents(HAND),
            _incidents([(6, True)], offence_group="stalking", force_id="surrey"),
            _incidents(
                [(1, True), (2, False)], outcome="caution", offence_group="hoax"
            ).with_columns(
                outcome=pl.lit("caution"), outcome_date=pl.lit(None, pl.Date)
            ),  # closed without a date: no known time, left out
        ]
    )
    result = time_to_outcome(incidents, FIRST, AS_OF, AS_OF)
    assert result.columns[:3] == ["level", "unit", "offence_group"]
    groups = ["all", *OFFENCE_GROUPS]
    assert result.filter(level="national")["offence_group"].to_list() == groups
    assert result.filter(level="region")["offence_group"].to_list() == groups
    assert result.filter(level="force").select("unit", "offence_group").rows() == [
        ("kent", "all"),
        ("surrey", "all"),
    ]
    assert _row(result)["incident_count"] == 8
    stalking = _row(result, group="stalking")
    assert stalking["incident_count"] == 1 and stalking["median_days"] is None
    assert _row(result, group="hoax")["incident_count"] == 0
    assert _row(result, group="harassment")["median_days"] == 8
    surrey = result.filter(unit="surrey").row(0, named=True)
    assert (surrey["incident_count"], surrey["median_days"]) == (1, None)
