"""Farrington finds what the generator planted, and rarely anything else.

The full table (every series, every method, through the ETL) is in
benchmarks/exceedance; this test keeps a fast subset: every series an episode was planted
in, plus the all-offences series of every force, region and the nation.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from analytics.count_series import as_counts, count_series
from analytics.detection_scoring import own_series_id, score_detection
from analytics.exceedance import detect
from etl import reference
from etl.synth import generate
from etl.synth.volumes import surge_months

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[pl.DataFrame, pl.DataFrame]:
    out: Path = tmp_path_factory.mktemp("synth")
    generate(out, seed=7)
    incidents = (
        pl.read_csv(out / "truth" / "incidents.csv", infer_schema=False)
        .filter(pl.col("dirty_kind").is_null()
                & (pl.col("transfer_role").fill_null("") != "origin"))
        .with_columns(pl.col("reported_date").str.to_date(), pl.lit(False).alias("is_duplicate"))
    )
    return incidents, pl.read_csv(out / "truth" / "exceedances.csv")


def test_planted_exceedances_are_found_with_few_false_alarms(
    planted: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    incidents, episodes = planted
    forces = reference.forces()
    series = count_series(incidents, forces, "month", dt.date(2016, 1, 1), dt.date(2026, 9, 1))
    own = [own_series_id(e) for e in episodes.iter_rows(named=True)]
    series = series.filter((pl.col("dimension") == "all") | pl.col("series_id").is_in(own))
    evaluate = series["period"].n_unique() - 61
    results = (
        detect(as_counts(series, "month"), evaluate=evaluate).results
        .with_columns(pl.col("period").str.to_date("%Y-%m"), pl.col("alarm").fill_null(False))
        .join(series.select("series_id", "level", "unit", "dimension", "category").unique(),
              on="series_id")
    )
    first = results["period"].min().strftime("%Y-%m")  # type: ignore[union-attr]
    scores = score_detection(
        results, episodes.filter(pl.col("start_month") >= first),
        dict(forces.select("force_id", "police_region").iter_rows()),
        surge_months(),
    ).row(0, named=True)

    assert scores["method"] == "farrington"
    assert scores["episodes"] >= 15
    assert scores["detection_rate"] >= 0.75
    assert scores["false_alarm_rate"] <= 0.02


def _hand_made() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Two forces, January to June 2024, one episode in Essex from February to April.
    Farrington alarms in Essex in March and in Kent in January and June; EARS C1 alarms in
    Essex in April and in Kent in January and June."""
    months = [dt.date(2024, m, 1) for m in range(1, 7)]
    alarms = {("farrington", "essex"): {3}, ("ears-c1", "essex"): {4},
              ("farrington", "kent"): {1, 6}, ("ears-c1", "kent"): {1, 6}}
    results = pl.DataFrame([
        {"series_id": f"force:{force}|all:all", "level": "force", "unit": force,
         "dimension": "all", "category": "all", "period": day, "method": method,
         "alarm": day.month in months_alarmed}
        for (method, force), months_alarmed in alarms.items() for day in months
    ])
    episodes = pl.DataFrame({
        "exceedance_id": ["E1"], "level": ["force"], "unit": ["essex"],
        "offence_group": ["all"], "channel": ["all"],
        "start_month": ["2024-02"], "end_month": ["2024-04"],
    })
    return results, episodes


def test_a_surge_month_alarm_is_neither_a_hit_nor_a_false_alarm() -> None:
    results, episodes = _hand_made()
    region = {"essex": "eastern", "kent": "south_east"}
    scores = {r["method"]: r for r in score_detection(
        results, episodes, region, ["2024-03", "2024-06"]).iter_rows(named=True)}
    # Essex's March alarm lies in a surge month: the episode is scored on February and April.
    assert scores["farrington"]["episodes_detected"] == 0
    assert scores["farrington"]["episode_months"] == 2
    assert scores["farrington"]["episode_months_alarmed"] == 0
    assert scores["ears-c1"]["episodes_detected"] == 1
    assert scores["ears-c1"]["month_sensitivity"] == 0.5
    # Unaffected points outside surge months: Essex January and May, Kent January, February,
    # April and May; Kent's June alarm is in a surge month, so only January is false.
    for method in ("farrington", "ears-c1"):
        assert scores[method]["unaffected_points"] == 6
        assert scores[method]["false_alarms"] == 1

    unsurged = {r["method"]: r for r in score_detection(
        results, episodes, region).iter_rows(named=True)}
    assert unsurged["farrington"]["episodes_detected"] == 1
    assert unsurged["farrington"]["episode_months"] == 3
    assert unsurged["farrington"]["unaffected_points"] == 9
    assert unsurged["farrington"]["false_alarms"] == 2
