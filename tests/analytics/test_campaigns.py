"""campaign_windows and campaign_rate_ratio on simulated incidents with a known surge."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from statsmodels.genmod.families import Poisson
from statsmodels.genmod.generalized_linear_model import GLM

from analytics.campaigns import campaign_rate_ratio, campaign_windows

pytestmark = pytest.mark.unit

SPAN = (dt.date(2016, 1, 1), dt.date(2025, 12, 31))  # 3,653 days, 110 of them in campaigns
SURGE = 3.0
PER_DAY = 1.3  # about 475 offences a year nationally


def _days(start: dt.date = SPAN[0], end: dt.date = SPAN[1]) -> pl.Series:
    return pl.date_range(start, end, interval="1d", eager=True).alias("reported_date")


def _in_campaign(days: pl.Series) -> np.ndarray:
    windows = campaign_windows()
    inside = pl.lit(False)
    for start, end in windows.select("start_date", "end_date").iter_rows():
        inside = inside | pl.col("reported_date").is_between(start, end)
    return days.to_frame().select(inside.alias("inside"))["inside"].to_numpy()


def _daily(
    rng: np.random.Generator,
    per_day: float,
    *,
    surge: float = SURGE,
    days: pl.Series | None = None,
    groups: int = 1,
) -> pl.DataFrame:
    """Daily Poisson counts, `surge` times higher in campaigns, for `groups` replicates."""
    days = _days() if days is None else days
    rate = np.where(_in_campaign(days), surge * per_day, per_day)
    return pl.DataFrame(
        {
            "group": np.repeat([f"g{i:03d}" for i in range(groups)], len(days)),
            "reported_date": np.tile(days.to_numpy(), groups),
            "count": rng.poisson(np.tile(rate, groups)),
        }
    )


def _incidents(daily: pl.DataFrame) -> pl.DataFrame:
    """One row per incident, as the warehouse holds them."""
    return (
        daily.filter(pl.col("count") > 0)
        .with_columns(pl.col("reported_date").repeat_by("count"))
        .explode("reported_date")
        .drop("count")
    )


def test_the_three_campaign_windows_run_from_dissolution_to_polling_day() -> None:
    windows = campaign_windows()
    assert windows.rows() == [
        (2017, dt.date(2017, 5, 3), dt.date(2017, 6, 8), 37),
        (2019, dt.date(2019, 11, 6), dt.date(2019, 12, 12), 37),
        (2024, dt.date(2024, 5, 30), dt.date(2024, 7, 4), 36),
    ]


def test_a_threefold_campaign_surge_is_recovered_from_incidents() -> None:
    daily = _daily(np.random.default_rng(17), PER_DAY)
    incidents = _incidents(daily)
    assert incidents["reported_date"].min() == SPAN[0]
    assert incidents["reported_date"].max() == SPAN[1]
    row = campaign_rate_ratio(incidents).row(0, named=True)
    assert row["group"] == "national"
    assert (row["in_campaign_days"], row["other_days"]) == (110, 3653 - 110)
    assert row["in_campaign_count"] + row["other_count"] == len(incidents)
    assert row["ci_low"] < SURGE < row["ci_high"]
    assert row["rate_ratio"] == pytest.approx(SURGE, rel=0.15)
    assert row["p_value"] < 1e-20
    assert row["note"] is None
    assert campaign_rate_ratio(daily.drop("group")).equals(campaign_rate_ratio(incidents))


def test_matches_a_poisson_glm_on_the_daily_counts() -> None:
    daily = _daily(np.random.default_rng(3), PER_DAY)
    row = campaign_rate_ratio(daily).row(0, named=True)
    # log E[count on day d] = a + b·campaign(d): the same likelihood as the two-row GLM with
    # offset log(days), fitted independently by statsmodels' IRLS.
    campaign = _in_campaign(daily["reported_date"]).astype(float)
    x = np.column_stack([np.ones_like(campaign), campaign])
    glm = GLM(daily["count"].to_numpy(), x, family=Poisson()).fit()
    low, high = np.exp(glm.conf_int()[1])
    assert row["rate_ratio"] == pytest.approx(np.exp(glm.params[1]), rel=1e-9)
    # The exact interval is close to the Wald one at these counts, and a little wider.
    assert row["ci_low"] == pytest.approx(low, rel=0.02)
    assert row["ci_high"] == pytest.approx(high, rel=0.02)
    assert row["ci_high"] / row["ci_low"] >= high / low


def test_the_ci_covers_the_surge_at_least_95_percent_of_the_time_in_small_regions() -> None:
    daily = _daily(np.random.default_rng(11), 0.12, groups=200)  # a region: ~45 a year
    result = campaign_rate_ratio(daily, "group")
    assert len(result) == 200
    assert result["group"].is_sorted()
    assert (result["in_campaign_days"] == 110).all()
    covered = ((result["ci_low"] < SURGE) & (result["ci_high"] > SURGE)).mean()
    assert 0.95 <= covered <= 0.99
    assert result["rate_ratio"].log().median() == pytest.approx(np.log(SURGE), abs=0.1)


def test_regions_are_estimated_separately() -> None:
    rng = np.random.default_rng(8)
    london = _daily(rng, 0.4, surge=3.0).with_columns(police_region=pl.lit("London"))
    wales = _daily(rng, 0.1, surge=1.0).with_columns(police_region=pl.lit("Wales"))
    result = campaign_rate_ratio(pl.concat([wales, london]).drop("group"), "police_region")
    by_region = {row["group"]: row for row in result.iter_rows(named=True)}
    assert list(by_region) == ["London", "Wales"]
    assert by_region["London"]["ci_low"] > 2.0
    assert by_region["Wales"]["ci_low"] < 1.0 < by_region["Wales"]["ci_high"]


def test_excluding_the_months_around_each_campaign_removes_a_raised_run_up() -> None:
    days = _days()
    before = np.zeros(len(days), dtype=bool)
    for start in campaign_windows()["start_date"]:
        run_up = (days >= start - dt.timedelta(days=30)) & (days < start)
        before |= run_up.to_numpy()
    rng = np.random.default_rng(21)
    daily = _daily(rng, PER_DAY, surge=SURGE).with_columns(
        count=pl.Series(rng.poisson(np.where(before, 6.0 * PER_DAY, 0.0))) + pl.col("count")
    )
    kept = campaign_rate_ratio(daily).row(0, named=True)
    excluded = campaign_rate_ratio(daily, exclude_months_around=1).row(0, named=True)
    # Excluded: 3 Apr–8 Jul 2017, 6 Oct 2019–12 Jan 2020 and 30 Apr–4 Aug 2024, less the
    # campaigns themselves: 60 + 62 + 61 days.
    assert excluded["other_days"] == 3653 - 110 - 183
    assert excluded["in_campaign_count"] == kept["in_campaign_count"]
    assert kept["ci_high"] < SURGE
    assert excluded["ci_low"] < SURGE < excluded["ci_high"]


def test_only_the_campaign_days_inside_the_span_count() -> None:
    days = _days(dt.date(2019, 1, 1), dt.date(2024, 6, 15))
    row = campaign_rate_ratio(_daily(np.random.default_rng(2), PER_DAY, days=days)).row(
        0, named=True
    )
    assert row["in_campaign_days"] == 37 + 17  # 2019, and 30 May–15 June 2024
    assert row["in_campaign_days"] + row["other_days"] == len(days)


def test_a_group_with_no_offences_outside_the_campaigns_has_no_ratio() -> None:
    incidents = pl.DataFrame(
        {
            "reported_date": [dt.date(2019, 1, 1), dt.date(2019, 11, 20), dt.date(2019, 12, 31)],
            "region": ["North West", "Wales", "North West"],
        }
    )
    result = campaign_rate_ratio(incidents, "region")
    wales = result.filter(pl.col("group") == "Wales").row(0, named=True)
    assert (wales["in_campaign_count"], wales["other_count"]) == (1, 0)
    assert wales["rate_ratio"] is None and wales["ci_high"] is None
    assert "unbounded" in wales["note"]
    north_west = result.filter(pl.col("group") == "North West").row(0, named=True)
    assert north_west["rate_ratio"] == 0.0 and north_west["ci_low"] == 0.0


def test_bad_inputs_are_refused() -> None:
    outside = pl.DataFrame({"reported_date": [dt.date(2021, 1, 1), dt.date(2022, 1, 1)]})
    with pytest.raises(ValueError, match="covers no campaign window"):
        campaign_rate_ratio(outside)
    with pytest.raises(ValueError, match="no 'police_region' column"):
        campaign_rate_ratio(outside, "police_region")
    with pytest.raises(ValueError, match="row 1: reported_date is empty"):
        campaign_rate_ratio(pl.DataFrame({"reported_date": [dt.date(2019, 11, 7), None]}))
    with pytest.raises(ValueError, match=r"must be pl\.Date"):
        campaign_rate_ratio(pl.DataFrame({"reported_date": ["2019-11-07"]}))
