"""The planted truth is where it says: transfers, series, campaigns, exceedances, raw PII."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from etl import reference
from etl.mapping import ForceMapping, all_mappings
from etl.synth import SynthSummary
from tests.synth.conftest import extract_path, read_extract, truth

pytestmark = pytest.mark.unit


Row = dict[str, str | None]


def _rows_by_ref(out: Path) -> dict[tuple[str, str], tuple[ForceMapping, Row]]:
    found: dict[tuple[str, str], tuple[ForceMapping, Row]] = {}
    for m in all_mappings():
        _, rows = read_extract(extract_path(out, m), m)
        for row in rows:
            ref = row[m.columns["force_ref"]]
            if ref:
                found.setdefault((m.force_id, ref), (m, row))
    return found


def _date(m: ForceMapping, text: str) -> dt.date:
    if m.date_format == "excel-serial":
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(float(text)))
    return dt.datetime.strptime(text, m.date_format).date()


def test_transfers_pair_two_forces_with_the_same_crime(small: SynthSummary) -> None:
    transfers = truth(small.out, "transfers.csv")
    assert 0.008 <= transfers.height / small.crimes <= 0.025
    transferred = {w for w, v in reference.value_wordings().select("wording", "value").rows()
                   if v == "transferred"}
    rows = _rows_by_ref(small.out)
    for t in transfers.iter_rows(named=True):
        assert t["from_force_id"] != t["to_force_id"]
        fm, origin = rows[(t["from_force_id"], t["from_force_ref"])]
        tm, receiver = rows[(t["to_force_id"], t["to_force_ref"])]
        assert origin[fm.columns["outcome"]] in transferred
        assert receiver[tm.columns["outcome"]] not in transferred
        lag = (_date(tm, receiver[tm.columns["reported_date"]] or "")
               - _date(fm, origin[fm.columns["reported_date"]] or "")).days
        assert 0 <= lag <= 14
        assert (origin[fm.columns["victim_name"]] or "").lower() == (
            receiver[tm.columns["victim_name"]] or "").lower() != ""
        assert origin[fm.columns["summary"]] == receiver[tm.columns["summary"]]
    incidents = truth(small.out, "incidents.csv")
    pairs = incidents.filter(pl.col("transfer_role") != "").group_by("crime_id").agg(
        pl.col("transfer_role").sort(), pl.col("force_id").n_unique(), pl.col("offence_group")
        .n_unique())
    assert pairs.height == transfers.height
    assert pairs["transfer_role"].to_list() == [["origin", "receiver"]] * pairs.height
    assert (pairs["force_id"] == 2).all() and (pairs["offence_group"] == 1).all()
    assert (incidents["outcome"] == "transferred").sum() == transfers.height


def test_series_span_forces_and_match_the_incidents(full: SynthSummary) -> None:
    series = truth(full.out, "series.csv").with_columns(
        pl.col("n_incidents").cast(pl.Int64), pl.col("n_forces").cast(pl.Int64))
    incidents = truth(full.out, "incidents.csv")
    offenders = series.filter(pl.col("kind") == "offender")
    assert 20 <= offenders.height <= 40
    assert (offenders["n_incidents"] >= 2).all() and (offenders["n_forces"] >= 2).all()
    sizes = offenders["n_incidents"].to_list()
    assert max(sizes) >= 30
    assert sum(s <= 5 for s in sizes) > len(sizes) / 2
    counted = incidents.filter(pl.col("series_id") != "")["series_id"].value_counts()
    joined = series.join(counted, on="series_id")
    assert (joined["count"] == joined["n_incidents"]).all()
    campaigns = series.filter(pl.col("kind") == "campaign")
    assert campaigns["campaign_id"].n_unique() >= 2
    per_campaign = campaigns.group_by("campaign_id").agg(pl.col("series_id").n_unique())
    assert (per_campaign["series_id"] >= 2).all()


def test_series_signatures_and_identifiers_recur(full: SynthSummary) -> None:
    """Crimes of one offender share a (drifting) phrase and some identifier, not all."""
    series = truth(full.out, "series.csv").filter(pl.col("kind") == "offender")
    incidents = truth(full.out, "incidents.csv")
    rows = _rows_by_ref(full.out)
    biggest = series.sort(pl.col("n_incidents").cast(pl.Int64), descending=True).row(
        0, named=True)
    mine = incidents.filter(pl.col("series_id") == biggest["series_id"])
    summaries = []
    for r in mine.iter_rows(named=True):
        m, row = rows[(r["force_id"], r["force_ref"])]
        summaries.append(row[m.columns["summary"]] or "")
    words = biggest["signature"].split()[:2]
    assert sum(all(w.lower() in s.lower() for w in words) for s in summaries) >= len(
        summaries) // 3
    assert len(set(summaries)) > len(summaries) // 2


def test_exceedances_are_planted_after_five_years_and_well_above_baseline(
    full: SynthSummary,
) -> None:
    episodes = truth(full.out, "exceedances.csv").with_columns(
        pl.col("baseline_expected").cast(pl.Float64), pl.col("planted_extra").cast(pl.Int64))
    assert 15 <= episodes.height <= 25
    assert set(episodes["level"]) == {"national", "region", "force"}
    assert (episodes["start_month"] >= "2021-01").all()
    assert (episodes["planted_extra"] >= episodes["baseline_expected"]).all()
    incidents = truth(full.out, "incidents.csv")
    planted = incidents.filter(pl.col("exceedance_id") != "")["exceedance_id"].value_counts()
    joined = episodes.join(planted, on="exceedance_id")
    assert (joined["count"] == joined["planted_extra"]).all()
    months = truth(full.out, "exceedance_months.csv")
    assert months["exceedance_id"].n_unique() == episodes.height


def test_every_sensitive_value_is_in_the_extracts(small: SynthSummary) -> None:
    pii = truth(small.out, "pii.csv")
    assert set(pii["kind"]) >= {"email", "phone", "handle", "suspect_name", "victim_name"}
    text = []
    for m in all_mappings():
        _, rows = read_extract(extract_path(small.out, m), m)
        text += [str(v) for row in rows for v in row.values() if v]
    blob = "\n".join(text)
    missing = [v for v in pii["value"] if v not in blob]
    assert missing == []
    handles = pii.filter(pl.col("kind") == "handle")["value"]
    assert (handles.str.len_chars() >= 6).all()
    names = pii.filter(pl.col("kind").is_in(["victim_name", "suspect_name"]))["value"]
    assert names.str.contains(r"^\S+ \S+$").all()


def test_manifest_matches_the_files(small: SynthSummary) -> None:
    manifest = json.loads((small.out / "truth" / "manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["scale"] == 0.2
    assert {f["file"] for f in manifest["files"]} == {p.name for p in small.files}
    for f in manifest["files"]:
        m = next(m for m in all_mappings() if m.force_id == f["force_id"])
        _, rows = read_extract(small.out / f["file"], m)
        assert len(rows) == f["rows"]
    assert manifest["totals"]["rows"] == small.rows_total
    assert manifest["totals"]["dirty"] == small.dirty
