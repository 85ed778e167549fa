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
