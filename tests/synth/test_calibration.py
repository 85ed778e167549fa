"""Volumes, mix and force shares match the public figures the generator is calibrated to."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from etl.synth import SynthSummary, generate
from tests.synth.conftest import truth

pytestmark = pytest.mark.unit


def _share(values: list[str], test: Callable[[str], bool]) -> float:
    return sum(map(test, values)) / max(1, len(values))


def _crimes(out: Path) -> pl.DataFrame:
    """One row per crime: a transferred crime's first record is not counted again."""
    incidents = truth(out, "incidents.csv")
    return incidents.filter(pl.col("transfer_role") != "origin").unique(
        "crime_id", keep="first", maintain_order=True)


def test_yearly_totals_follow_the_plait_figures(full: SynthSummary) -> None:
    crimes = _crimes(full.out)
    year = crimes.group_by(pl.col("reported_date").str.slice(0, 4).alias("y")).len()
    totals = dict(year.iter_rows())
    assert 70 <= totals["2016"] <= 140
    assert 220 <= totals["2020"] <= 340
    assert 430 <= totals["2023"] <= 640
    assert totals["2024"] > 1.3 * totals["2023"]
    assert 480 <= totals["2025"] <= 720
    months = dict(crimes.group_by(pl.col("reported_date").str.slice(0, 7)).len().iter_rows())
    assert months["2019-01"] > 3 * months["2018-12"]
    q1 = sum(months[f"2024-0{m}"] for m in (1, 2, 3))
    assert 300 <= q1 <= 470


def test_offence_mix_and_channels(full: SynthSummary) -> None:
    crimes = _crimes(full.out)
    share = dict(crimes["offence_group"].value_counts(normalize=True).iter_rows())
    assert 0.78 <= share["malicious_communications"] <= 0.88
    assert 0.05 <= share["harassment"] + share["stalking"] <= 0.15
    assert 0.02 <= share["threats_to_kill"] <= 0.05
    channels = crimes["channel"].value_counts(sort=True)["channel"].to_list()
    assert channels[:2] == ["email", "social_media"]
    hate = _share(crimes["hate_strand"].to_list(), lambda v: v != "")
    assert 0.05 <= hate <= 0.11


def test_the_met_records_most(full: SynthSummary) -> None:
    ranked = sorted(full.rows_by_force, key=lambda f: -full.rows_by_force[f])
    assert ranked[0] == "metropolitan"
    assert full.rows_by_force["metropolitan"] > 2 * full.rows_by_force[ranked[1]]


def test_recent_cases_are_mostly_open(full: SynthSummary) -> None:
    crimes = _crimes(full.out)
    recent = crimes.filter(pl.col("reported_date") >= "2026-08-01")
    old = crimes.filter(pl.col("reported_date") < "2022-01-01")
    assert _share(recent["outcome"].to_list(), lambda v: v == "under_investigation") > 0.5
    assert _share(old["outcome"].to_list(), lambda v: v == "under_investigation") < 0.08
    closed = crimes.filter(pl.col("outcome") != "under_investigation")
    assert (closed["outcome_date"] >= closed["reported_date"]).all()
    assert (crimes.filter(pl.col("outcome") == "under_investigation")["outcome_date"] == "").all()


def test_a_few_mps_get_much_of_the_abuse(full: SynthSummary) -> None:
    crimes = _crimes(full.out).filter(pl.col("victim_role") == "mp")
    per_mp = crimes["person_id"].value_counts(sort=True)["count"]
    top = int(per_mp.head(max(1, per_mp.len() // 20)).sum())
    assert top / int(per_mp.sum()) > 0.2


def test_scale_multiplies_volumes(tmp_path: Path) -> None:
    rows = [generate(tmp_path / str(s), seed=9, start="2021-01", end="2023-12",
                     scale=s).rows_total for s in (0.25, 0.5)]
    assert 1.6 <= rows[1] / rows[0] <= 2.5
