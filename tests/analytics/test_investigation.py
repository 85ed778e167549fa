"""outcomes, charge_rate(s) and the charge-rate funnel against hand-worked and scipy values."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest
from scipy.stats import binom, binomtest, norm

from analytics.investigation import (
    REPORTED_OUTCOMES,
    charge_rate,
    charge_rate_funnel,
    charge_rates,
    outcomes,
)

pytestmark = pytest.mark.unit

FIRST, LAST, AS_OF = dt.date(2025, 10, 1), dt.date(2026, 9, 30), dt.date(2026, 9, 30)


def _incidents(rows: list[tuple]) -> pl.DataFrame:
    """Rows of (force_id, police_region, reported_date, outcome, outcome_date)."""
    return pl.DataFrame(
        [
            {
                "incident_id": f"{force}:{i}",
                "force_id": force,
                "police_region": region,
                "reported_date": reported,
                "offence_group": "harassment",
                "outcome": outcome,
                "outcome_date": outcome_date,
                "channel": "email",
            }
            for i, (force, region, reported, outcome, outcome_date) in enumerate(rows)
        ],
        schema_overrides={"reported_date": pl.Date, "outcome_date": pl.Date},
    )


def _day(month: int, day: int, year: int = 2026) -> dt.date:
    return dt.date(year, month, day)


# ---- outcomes ------------------------------------------------------------------------------


def test_outcomes_fill_every_category_with_zeros_and_drop_transferred() -> None:
    incidents = _incidents(
        [
            ("kent", "south_east", _day(1, 5), "charged", _day(2, 1)),
            ("kent", "south_east", _day(3, 5), "under_investigation", None),
            ("surrey", "south_east", _day(4, 5), "caution", _day(5, 1)),
        ]
    )
    result = outcomes(incidents, FIRST, LAST, AS_OF)
    assert result.columns == ["level", "unit", "outcome", "incident_count", "total_count"]
    assert "transferred" not in result["outcome"].to_list()
    areas = [("national", "all"), ("region", "south_east"), ("force", "kent"), ("force", "surrey")]
    assert result.select("level", "unit").unique(maintain_order=True).rows() == areas
    for level, unit in areas:
        rows = result.filter(level=level, unit=unit)
        assert rows["outcome"].to_list() == list(REPORTED_OUTCOMES)
    counts = {(r["unit"], r["outcome"]): r["incident_count"] for r in result.iter_rows(named=True)}
    assert counts[("all", "charged")] == 1
    assert counts[("all", "caution")] == 1
    assert counts[("all", "under_investigation")] == 1
    assert counts[("all", "no_further_action")] == 0
    assert counts[("kent", "caution")] == 0
    assert counts[("surrey", "charged")] == 0
    totals = dict(result.select("unit", "total_count").unique().iter_rows())
    assert totals == {"all": 3, "south_east": 3, "kent": 2, "surrey": 1}


def test_outcomes_window_is_inclusive_of_first_and_last_only() -> None:
    incidents = _incidents(
        [
            ("kent", "south_east", FIRST - dt.timedelta(days=1), "charged", _day(1, 1)),
            ("kent", "south_east", FIRST, "charged", _day(1, 1)),
            ("kent", "south_east", LAST, "under_investigation", None),
            ("kent", "south_east", LAST + dt.timedelta(days=1), "charged", LAST),
        ]
    )
    result = outcomes(incidents, FIRST, LAST, LAST + dt.timedelta(days=31))
    national = result.filter(level="national")
    assert national["total_count"][0] == 2
    assert dict(national.select("outcome", "incident_count").iter_rows())["charged"] == 1


def test_an_outcome_dated_after_as_of_counts_as_under_investigation() -> None:
    as_of = _day(6, 30)
    incidents = _incidents(
        [
            ("kent", "south_east", _day(1, 5), "charged", as_of),  # known on the day: counts
            ("kent", "south_east", _day(1, 6), "charged", as_of + dt.timedelta(days=1)),
            ("kent", "south_east", _day(1, 7), "no_further_action", _day(8, 1)),
        ]
    )
    result = outcomes(incidents, FIRST, as_of, as_of).filter(level="force")
    counts = dict(result.select("outcome", "incident_count").iter_rows())
    assert counts["charged"] == 1
    assert counts["under_investigation"] == 2
    assert counts["no_further_action"] == 0


def test_a_window_ending_after_as_of_is_an_error() -> None:
    with pytest.raises(ValueError, match="first <= last <= as_of"):
        outcomes(_incidents([]), FIRST, LAST, LAST - dt.timedelta(days=1))


# ---- charge_rate ---------------------------------------------------------------------------


@pytest.mark.parametrize(("k", "n"), [(0, 1), (1, 1), (3, 10), (7, 12), (45, 300), (299, 300)])
def test_charge_rate_is_clopper_pearson_as_scipy_computes_it(k: int, n: int) -> None:
    rate, low, high = charge_rate(k, n)
    reference = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    assert rate == pytest.approx(k / n)
    assert low == pytest.approx(reference.low, abs=1e-10)
    assert high == pytest.approx(reference.high, abs=1e-10)


def test_charge_rate_by_hand_at_the_edges() -> None:
    # 0 of n: the lower limit is 0 and the upper solves (1 − p)^n = α/2, p = 1 − 0.025^(1/n).
    assert charge_rate(0, 10) == pytest.approx((0.0, 0.0, 1 - 0.025 ** (1 / 10)))
    # n of n, by symmetry.
    assert charge_rate(10, 10) == pytest.approx((1.0, 0.025 ** (1 / 10), 1.0))
    # 99 % interval: α/2 = 0.005.
    assert charge_rate(0, 4, alpha=0.01)[2] == pytest.approx(1 - 0.005 ** (1 / 4))
    assert charge_rate(0, 0) == (None, None, None)


@pytest.mark.parametrize(("k", "n"), [(3, 2), (-1, 4), (1.0, 4), (True, 4)])
def test_charge_rate_refuses_what_is_not_a_count(k: object, n: int) -> None:
    with pytest.raises((ValueError, TypeError), match="numerator"):
        charge_rate(k, n)  # type: ignore[arg-type]


def test_charge_rates_divide_by_every_incident_including_open_ones() -> None:
    as_of = _day(6, 30)
    incidents = _incidents(
        [
            ("kent", "south_east", _day(1, 5), "charged", _day(2, 1)),
            ("kent", "south_east", _day(1, 6), "charged", _day(7, 1)),  # after as_of: open
            ("kent", "south_east", _day(1, 7), "under_investigation", None),
            ("kent", "south_east", _day(1, 8), "no_further_action", _day(3, 1)),
            ("surrey", "south_east", _day(2, 5), "charged", _day(3, 1)),
        ]
    )
    result = charge_rates(incidents, FIRST, as_of, as_of)
    assert result.columns == [
        "level",
        "unit",
        "charged_count",
        "total_count",
        "rate",
        "ci_low",
        "ci_high",
    ]
    rows = {r["unit"]: r for r in result.iter_rows(named=True)}
    assert (rows["kent"]["charged_count"], rows["kent"]["total_count"]) == (1, 4)
    assert rows["kent"]["rate"] == pytest.approx(0.25)
    ci = binomtest(1, 4).proportion_ci(method="exact")
    assert (rows["kent"]["ci_low"], rows["kent"]["ci_high"]) == pytest.approx((ci.low, ci.high))
    assert (rows["all"]["charged_count"], rows["all"]["total_count"]) == (2, 5)
    assert (rows["south_east"]["charged_count"], rows["surrey"]["total_count"]) == (2, 1)
    assert result["level"].to_list() == ["national", "region", "force", "force"]


# ---- funnel --------------------------------------------------------------------------------


def _binomial_cdf(r: int, n: int, p: float) -> float:
    return sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(r + 1)) if r >= 0 else 0.0


def _interpolated_quantile(q: float, n: int, p: float) -> float:
    """Spiegelhalter (2005) A.1.1: r_q smallest with F(r_q) >= q, minus
    α = (F(r_q) − q)/(F(r_q) − F(r_q − 1)); the cdf summed term by term."""
    r = 0
    while _binomial_cdf(r, n, p) < q:
        r += 1
    assert r == binom.ppf(q, n, p)
    at, below = _binomial_cdf(r, n, p), _binomial_cdf(r - 1, n, p)
    return r - (at - q) / (at - below)


def _rates(forces: dict[str, tuple[int, int]]) -> pl.DataFrame:
    charged = sum(k for k, _ in forces.values())
    total = sum(n for _, n in forces.values())
    return pl.DataFrame(
        {
            "level": ["national"] + ["force"] * len(forces),
            "unit": ["all", *forces],
            "charged_count": [charged, *(k for k, _ in forces.values())],
            "total_count": [total, *(n for _, n in forces.values())],
        }
    )


def test_funnel_limits_are_the_interpolated_binomial_quantiles() -> None:
    # Every force exactly at the national rate 0.2: all z-scores 0, φ = 0, exact limits.
    forces = {"a": (4, 20), "b": (20, 100), "c": (100, 500), "empty": (0, 0)}
    result = charge_rate_funnel(_rates(forces))
    assert result.columns == [
        "force_id",
        "charged_count",
        "total_count",
        "rate",
        "national_rate",
        "limit95_low",
        "limit95_high",
        "limit998_low",
        "limit998_high",
        "z_score",
        "is_outside95",
        "is_outside998",
        "phi",
    ]
    assert result["phi"][0] == 0.0
    assert result["national_rate"].unique().to_list() == [pytest.approx(0.2)]
    for row in result.filter(pl.col("total_count") > 0).iter_rows(named=True):
        n = row["total_count"]
        for column, q in [
            ("limit95_low", 0.025),
            ("limit95_high", 0.975),
            ("limit998_low", 0.001),
            ("limit998_high", 0.999),
        ]:
            expected = min(max(_interpolated_quantile(q, n, 0.2), 0.0), n) / n
            assert row[column] == pytest.approx(expected, rel=1e-9, abs=1e-12), (n, column)
        assert row["z_score"] == pytest.approx(0.0)
        assert not row["is_outside95"]
    empty = result.filter(force_id="empty").row(0, named=True)
    assert empty["rate"] is None
    assert empty["limit95_low"] is None
    assert empty["z_score"] is None
    assert empty["is_outside95"] is None


def test_funnel_flags_a_force_that_charges_far_more_than_the_rest() -> None:
    forces = {f"f{i:02d}": (20, 100) for i in range(19)} | {"outlier": (50, 100)}
    result = charge_rate_funnel(_rates(forces))
    theta = (19 * 20 + 50) / 2000
    z_others = (0.2 - theta) / math.sqrt(theta * (1 - theta) / 100)
    z_outlier = (0.5 - theta) / math.sqrt(theta * (1 - theta) / 100)
    # Winsorised at the 10th and 90th percentiles (positions 1.9 and 17.1 of 20 sorted
    # z-scores), the outlier is pulled in to z_others, so φ = z_others² (below 1).
    assert result["phi"][0] == pytest.approx(z_others**2)
    outlier = result.filter(force_id="outlier").row(0, named=True)
    assert outlier["z_score"] == pytest.approx(z_outlier)
    assert outlier["is_outside95"] and outlier["is_outside998"]
    assert outlier["limit998_high"] == pytest.approx(
        _interpolated_quantile(0.999, 100, theta) / 100
    )
    assert result.filter(pl.col("force_id") != "outlier")["is_outside95"].sum() == 0


def test_funnel_widens_the_limits_by_phi_when_forces_vary_more_than_chance() -> None:
    forces = {"a": (10, 100), "b": (30, 100), "c": (60, 200), "d": (20, 400), "e": (150, 400)}
    result = charge_rate_funnel(_rates(forces))
    charged = np.array([k for k, _ in forces.values()], dtype=float)
    total = np.array([n for _, n in forces.values()], dtype=float)
    theta = charged.sum() / total.sum()
    z = (charged / total - theta) / np.sqrt(theta * (1 - theta) / total)
    low, high = np.percentile(z, [10, 90])  # linear interpolation
    phi = float(np.mean(np.clip(z, low, high) ** 2))
    assert phi > 1
    assert result["phi"][0] == pytest.approx(phi)
    limits = {
        column: np.clip(theta + norm.ppf(q) * np.sqrt(phi * theta * (1 - theta) / total), 0, 1)
        for column, q in [
            ("limit95_low", 0.025),
            ("limit95_high", 0.975),
            ("limit998_low", 0.001),
            ("limit998_high", 0.999),
        ]
    }
    for column, expected in limits.items():
        assert result[column].to_list() == pytest.approx(expected.tolist()), column
    rate = charged / total
    outside95 = (rate < limits["limit95_low"]) | (rate > limits["limit95_high"])
    assert result["is_outside95"].to_list() == outside95.tolist()
    # Force d (5 % of 400 against 22.5 %) is 8 binomial SDs out, but five forces this spread
    # give φ ≈ 17, so the widened limits hold it: chance variation between forces, not d.
    d = result.filter(force_id="d").row(0, named=True)
    assert d["z_score"] == pytest.approx(z[3]) and d["z_score"] < norm.ppf(0.001)
    assert not d["is_outside998"]
