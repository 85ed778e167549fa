"""trend_per_year and period_change on simulated series whose truth is known."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from scipy.optimize import minimize
from scipy.special import gammaln
from scipy.stats import binomtest, norm
from statsmodels.genmod.families import Poisson
from statsmodels.genmod.generalized_linear_model import GLM

from analytics.trends import period_change, trend_per_year

pytestmark = pytest.mark.unit

START = dt.date(2019, 1, 1)
TEN_PERCENT = 1.10


def _periods(n: int, freq: int = 12, start: dt.date = START) -> list[dt.date]:
    step = 12 // freq
    first = start.year * 12 + start.month - 1
    return [dt.date((first + i * step) // 12, (first + i * step) % 12 + 1, 1) for i in range(n)]


def _means(n: int, base: float, change: float, freq: int = 12) -> np.ndarray:
    """Expected counts: `change` per year and a seasonal swing (a summer recess dip)."""
    index = np.arange(n)
    return base * change ** (index / freq) * np.exp(0.4 * np.cos(2 * np.pi * index / freq))


def _simulate(
    n_series: int,
    n: int,
    base: float,
    change: float,
    seed: int,
    *,
    alpha: float | None = None,
    freq: int = 12,
) -> pl.DataFrame:
    """Poisson counts, or negative binomial (gamma-Poisson, variance μ + αμ²) with alpha."""
    rng = np.random.default_rng(seed)
    mu = np.tile(_means(n, base, change, freq), (n_series, 1))
    if alpha is not None:
        mu = rng.gamma(1 / alpha, alpha * mu)
    return pl.DataFrame(
        {
            "series_id": np.repeat([f"s{i:03d}" for i in range(n_series)], n),
            "period": _periods(n, freq) * n_series,
            "count": rng.poisson(mu).ravel(),
        }
    )


def _covers(result: pl.DataFrame, truth: float) -> float:
    return result.select(((pl.col("ci_low") < truth) & (pl.col("ci_high") > truth)).mean()).item()


def _seasonal_design(n: int, freq: int = 12) -> np.ndarray:
    index = np.arange(n)
    dummies = [(index % freq == k).astype(float) for k in range(1, freq)]
    return np.column_stack([np.ones(n), index / freq, *dummies])


def test_ten_percent_a_year_is_recovered_with_a_ci_that_covers_it() -> None:
    counts = _simulate(1, 72, base=8.0, change=TEN_PERCENT, seed=3)
    row = trend_per_year(counts).row(0, named=True)
    assert row["family"] == "poisson"
    assert row["note"] is None
    assert (row["n_periods"], row["first_period"], row["last_period"]) == (
        72,
        START,
        dt.date(2024, 12, 1),
    )
    assert row["ci_low"] < TEN_PERCENT < row["ci_high"]
    assert row["ci_low"] < row["change_per_year"] < row["ci_high"]
    assert 1.05 < row["change_per_year"] < 1.15
    assert row["p_value"] < 0.001
    assert 0.6 < row["dispersion"] < 1.5


def test_poisson_ci_covers_the_truth_95_percent_of_the_time() -> None:
    result = trend_per_year(_simulate(150, 60, base=6.0, change=TEN_PERCENT, seed=42))
    assert result["note"].null_count() == 150
    assert (result["family"] == "poisson").mean() > 0.9
    assert 0.90 <= _covers(result, TEN_PERCENT) <= 0.99
    assert result["change_per_year"].log().mean() == pytest.approx(np.log(TEN_PERCENT), abs=0.01)


def test_poisson_fit_matches_an_independent_maximum_likelihood_fit() -> None:
    counts = _simulate(1, 48, base=3.0, change=0.85, seed=11)
    row = trend_per_year(counts, family="poisson").row(0, named=True)

    y = counts["count"].to_numpy().astype(float)
    x = _seasonal_design(len(y))
    fit = minimize(
        lambda b: np.sum(np.exp(x @ b) - y * (x @ b)),
        np.zeros(x.shape[1]),
        jac=lambda b: x.T @ (np.exp(x @ b) - y),
        method="BFGS",
        options={"gtol": 1e-10},
    )
    mu = np.exp(x @ fit.x)
    se = np.sqrt(np.linalg.inv(x.T @ (mu[:, None] * x))[1, 1])  # Fisher information
    slope = fit.x[1]
    assert row["change_per_year"] == pytest.approx(np.exp(slope), rel=1e-6)
    assert row["ci_low"] == pytest.approx(np.exp(slope - 1.959964 * se), rel=1e-5)
    assert row["ci_high"] == pytest.approx(np.exp(slope + 1.959964 * se), rel=1e-5)
    assert row["p_value"] == pytest.approx(2 * norm.sf(abs(slope / se)), rel=1e-4)
    pearson = np.sum((y - mu) ** 2 / mu) / (len(y) - x.shape[1])
    assert row["dispersion"] == pytest.approx(pearson, rel=1e-5)


def test_overdispersed_series_get_a_negative_binomial_matching_an_independent_fit() -> None:
    counts = _simulate(1, 72, base=8.0, change=TEN_PERCENT, seed=5, alpha=0.4)
    row = trend_per_year(counts).row(0, named=True)
    assert row["dispersion"] > 1.5
    assert row["family"] == "negbin"

    y = counts["count"].to_numpy().astype(float)
    x = _seasonal_design(len(y))

    def nb2_negative_loglik(params: np.ndarray) -> float:
        mu, size = np.exp(x @ params[:-1]), np.exp(-params[-1])  # size = 1/alpha
        return -np.sum(
            gammaln(y + size)
            - gammaln(size)
            - gammaln(y + 1)
            + size * np.log(size / (size + mu))
            + y * np.log(mu / (size + mu))
        )

    start = np.append(np.linalg.lstsq(x, np.log(y + 0.5), rcond=None)[0], np.log(0.3))
    fit = minimize(
        nb2_negative_loglik,
        start,
        method="Powell",
        options={"xtol": 1e-9, "ftol": 1e-12, "maxfev": 200_000},
    )
    assert fit.success
    assert row["change_per_year"] == pytest.approx(np.exp(fit.x[1]), rel=1e-4)
    assert row["ci_low"] < TEN_PERCENT < row["ci_high"]


def test_negative_binomial_keeps_coverage_where_poisson_loses_it() -> None:
    counts = _simulate(40, 72, base=6.0, change=TEN_PERCENT, seed=8, alpha=0.3)
    auto = trend_per_year(counts)
    forced_poisson = trend_per_year(counts, family="poisson")
    assert (auto["family"] == "negbin").mean() > 0.9
    assert _covers(auto, TEN_PERCENT) >= 0.85
    assert _covers(forced_poisson, TEN_PERCENT) <= 0.8
    widths = (auto["ci_high"] / auto["ci_low"]) / (
        forced_poisson["ci_high"] / forced_poisson["ci_low"]
    )
    assert widths.min() > 1.0


def test_a_forced_negative_binomial_on_poisson_counts_reduces_to_the_poisson_fit() -> None:
    counts = _simulate(20, 60, base=6.0, change=TEN_PERCENT, seed=1)
    negbin = trend_per_year(counts, family="negbin")
    poisson = trend_per_year(counts, family="poisson")
    assert negbin["change_per_year"].null_count() == 0
    at_zero = negbin["note"] == "negative binomial α is 0: Poisson fit"
    assert at_zero.sum() > 0
    assert (negbin.filter(at_zero)["family"] == "poisson").all()
    assert negbin.filter(at_zero)["change_per_year"].equals(
        poisson.filter(at_zero)["change_per_year"]
    )
    ratio = negbin["change_per_year"] / poisson["change_per_year"]
    assert ratio.to_list() == pytest.approx([1.0] * 20, abs=0.01)


def test_quarterly_series_use_quarter_of_year_seasonality() -> None:
    counts = _simulate(1, 24, base=20.0, change=1.2, seed=2, freq=4)
    row = trend_per_year(counts, freq=4).row(0, named=True)
    expected = GLM(counts["count"].to_numpy(), _seasonal_design(24, freq=4), family=Poisson()).fit()
    assert row["change_per_year"] == pytest.approx(np.exp(expected.params[1]), rel=1e-6)
    assert row["ci_low"] < 1.2 < row["ci_high"]
    assert row["last_period"] == dt.date(2024, 10, 1)


def test_missing_months_inside_a_series_count_as_zero() -> None:
    counts = _simulate(1, 36, base=0.5, change=TEN_PERCENT, seed=4).with_columns(
        count=pl.when(pl.int_range(pl.len()).is_in([0, 35])).then(2).otherwise(pl.col("count"))
    )
    assert (counts["count"] == 0).sum() > 5
    explicit = trend_per_year(counts)
    implicit = trend_per_year(counts.filter(pl.col("count") > 0))
    assert implicit.drop("note").equals(explicit.drop("note"))


def test_a_season_with_no_offences_in_any_year_does_not_break_the_fit() -> None:
    counts = _simulate(1, 48, base=4.0, change=TEN_PERCENT, seed=9).with_columns(
        count=pl.when(pl.col("period").dt.month() == 8).then(0).otherwise(pl.col("count"))
    )
    row = trend_per_year(counts, family="poisson").row(0, named=True)
    y = counts["count"].to_numpy().astype(float)
    x = _seasonal_design(48)
    august = 7 + 1  # column of the month-8 dummy
    offset = -40.0 * x[:, august]  # the limit of an August effect running to minus infinity
    kept = np.delete(x, august, axis=1)
    limit = GLM(y, kept, family=Poisson(), offset=offset).fit()
    assert row["note"] is None
    assert row["change_per_year"] == pytest.approx(np.exp(limit.params[1]), rel=1e-6)


def test_below_two_years_seasonality_is_dropped_when_min_periods_allows_a_fit() -> None:
    counts = _simulate(1, 18, base=10.0, change=TEN_PERCENT, seed=6)
    row = trend_per_year(counts, family="poisson", min_periods=12).row(0, named=True)
    x = np.column_stack([np.ones(18), np.arange(18) / 12])
    plain = GLM(counts["count"].to_numpy(), x, family=Poisson()).fit()
    assert row["change_per_year"] == pytest.approx(np.exp(plain.params[1]), rel=1e-6)


def test_short_and_all_zero_series_get_a_row_with_a_note() -> None:
    counts = pl.concat(
        [
            _simulate(1, 23, base=5.0, change=1.0, seed=1).with_columns(series_id=pl.lit("short")),
            pl.DataFrame(
                {"series_id": "zero", "period": _periods(30), "count": [0] * 30}
            ).with_columns(pl.col("count").cast(pl.Int64)),
        ]
    )
    result = trend_per_year(counts)
    assert result["series_id"].to_list() == ["short", "zero"]
    assert result["n_periods"].to_list() == [23, 30]
    assert result["note"][0] == "too short: 23 periods, a trend needs at least 24"
    assert "all counts are zero" in result["note"][1]
    estimates = result.select("family", "change_per_year", "ci_low", "ci_high", "p_value")
    assert estimates.null_count().row(0) == (2, 2, 2, 2, 2)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (pl.col("period").dt.offset_by("14d"), "first day of a month"),
        (pl.when(pl.col("period") == START).then(-1).otherwise(pl.col("count")), "non-negative"),
    ],
)
def test_bad_rows_are_named(change: pl.Expr, message: str) -> None:
    counts = _simulate(1, 30, base=5.0, change=1.0, seed=1)
    column = "period" if "first day" in message else "count"
    with pytest.raises(ValueError, match=message):
        trend_per_year(counts.with_columns(change.alias(column)))


def test_duplicate_periods_and_bad_arguments_are_refused() -> None:
    counts = _simulate(1, 30, base=5.0, change=1.0, seed=1)
    with pytest.raises(ValueError, match="more than one row for period 2019-01-01"):
        trend_per_year(pl.concat([counts, counts.head(1)]))
    with pytest.raises(ValueError, match="freq must be 12"):
        trend_per_year(counts, freq=52)
    with pytest.raises(ValueError, match="first day of a quarter"):
        trend_per_year(counts, freq=4)


def _quarters(current: int, previous: int, *, monthly: bool) -> pl.DataFrame:
    """Q4 2023 (`previous`) and Q1 2024 (`current`), as quarters or split over months."""
    if not monthly:
        periods, values = [dt.date(2023, 10, 1), dt.date(2024, 1, 1)], [previous, current]
    else:
        periods = _periods(6, start=dt.date(2023, 10, 1))
        values = [previous // 3, previous // 3, previous - 2 * (previous // 3)]
        values += [current - 2 * (current // 3), current // 3, current // 3]
    return pl.DataFrame({"series_id": "s", "period": periods, "count": values})


def test_exact_rate_ratio_matches_the_binomial_closed_form() -> None:
    result = period_change(_quarters(10, 2, monthly=False), 4, dt.date(2024, 3, 31))
    row = result.filter(pl.col("comparison") == "quarter_on_quarter").row(0, named=True)
    assert (row["current_period"], row["previous_period"]) == (
        dt.date(2024, 1, 1),
        dt.date(2023, 10, 1),
    )
    assert (row["current_count"], row["previous_count"]) == (10, 2)
    assert row["rate_ratio"] == 5.0
    # Two-sided: 2·P(X ≥ 10 | X ~ Bin(12, ½)) = 2·(66 + 12 + 1)/4096.
    assert row["p_value"] == pytest.approx(158 / 4096, rel=1e-12)
    # Clopper–Pearson, as scipy's own root search finds it, mapped to the ratio π/(1 − π).
    ci = binomtest(10, 12, 0.5).proportion_ci(confidence_level=0.95, method="exact")
    assert row["ci_low"] == pytest.approx(ci.low / (1 - ci.low), rel=1e-8)
    assert row["ci_high"] == pytest.approx(ci.high / (1 - ci.high), rel=1e-8)


def test_monthly_counts_are_summed_to_quarters_first() -> None:
    quarterly = period_change(_quarters(7, 4, monthly=False), 4, dt.date(2024, 3, 1))
    monthly = period_change(_quarters(7, 4, monthly=True), 12, dt.date(2024, 3, 1))
    assert monthly.equals(quarterly)
    assert monthly["note"].to_list() == [
        None,
        "not covered by the series: quarter starting 2023-01-01",
    ]


def test_the_current_quarter_is_the_last_one_finished_by_as_of() -> None:
    counts = _simulate(2, 30, base=5.0, change=1.0, seed=1)  # Jan 2019 to Jun 2021
    for as_of, current in [
        (dt.date(2021, 6, 30), dt.date(2021, 4, 1)),
        (dt.date(2021, 6, 1), dt.date(2021, 4, 1)),
        (dt.date(2021, 5, 15), dt.date(2021, 1, 1)),
    ]:
        result = period_change(counts, 12, as_of)
        assert result["current_period"].unique().to_list() == [current]
        yoy = result.filter(pl.col("comparison") == "year_on_year")
        assert yoy["previous_period"].to_list() == [current.replace(year=current.year - 1)] * 2
        quarter = counts.filter(
            pl.col("period").is_between(current, current.replace(month=current.month + 2))
        )
        per_series = quarter.group_by("series_id").agg(pl.col("count").sum()).sort("series_id")
        assert yoy["current_count"].to_list() == per_series["count"].to_list()
    with pytest.raises(ValueError, match="after the last period"):
        period_change(counts, 12, dt.date(2021, 9, 30))


def test_zero_previous_count_gives_a_null_ratio_with_a_note() -> None:
    row = period_change(_quarters(6, 0, monthly=False), 4, dt.date(2024, 3, 31)).row(0, named=True)
    assert row["rate_ratio"] is None and row["ci_low"] is None and row["ci_high"] is None
    assert row["p_value"] == pytest.approx(2 * 0.5**6)
    assert "previous count is zero" in row["note"]
    nothing = period_change(_quarters(0, 0, monthly=False), 4, dt.date(2024, 3, 31)).row(
        0, named=True
    )
    assert nothing["p_value"] is None
    assert "no offences in either period" in nothing["note"]


def test_exact_ci_covers_a_known_rate_ratio_at_least_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(7)
    n, ratio, rate = 300, 1.5, 4.0
    previous, current = rng.poisson(rate, n), rng.poisson(rate * ratio, n)
    counts = pl.DataFrame(
        {
            "series_id": np.repeat([f"f{i:03d}" for i in range(n)], 2),
            "period": [dt.date(2023, 10, 1), dt.date(2024, 1, 1)] * n,
            "count": np.column_stack([previous, current]).ravel(),
        }
    )
    result = period_change(counts, 4, dt.date(2024, 3, 31)).filter(
        pl.col("comparison") == "quarter_on_quarter", pl.col("rate_ratio").is_not_null()
    )
    assert len(result) >= n - 5
    coverage = _covers(result, ratio)
    assert 0.95 <= coverage <= 0.995


def test_a_separated_fit_on_a_series_of_zeros_is_not_estimable() -> None:
    """All zeros then one count: statsmodels "converges" with a huge standard error; the
    interval would overflow exp(), so the series gets a note and no estimate."""
    periods = pl.date_range(dt.date(2023, 1, 1), dt.date(2025, 4, 1), "3mo", eager=True)
    counts = pl.DataFrame({"series_id": "s", "period": periods,
                           "count": [0] * (len(periods) - 1) + [2]})
    row = trend_per_year(counts, freq=4).row(0, named=True)
    assert row["change_per_year"] is None and row["ci_high"] is None
    assert row["note"].startswith("trend not estimable")
