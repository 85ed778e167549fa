"""The Series and Data quality pages' data functions, role by role, on SQLite and PostgreSQL.

Each backend gets `plait synth --seed 11 --scale 0.5` through the real ingest and analyse
(about 7 s each). The functions must agree with the release (series letters and reasons,
late returns), with the stored run (members, counts) and with `analytics.linkage.search`,
and must refuse what a role may not see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, select

from analytics.analyse import compute, read_inputs, read_link_inputs, read_release_inputs, store
from analytics.disclosure import disclose_count
from analytics.linkage import search
from dashboards import charts_series, data, data_quality, data_series
from dashboards.access import AccessDenied, Viewer
from dashboards.data import RunInfo
from etl.ingest import ingest_paths
from etl.schema import core_reject, out_series, raw_source_file
from etl.synth import generate
from etl.warehouse import make_engine, migrate
from tests.conftest import TEST_KEY, fresh_warehouse_url

NATIONAL = Viewer("n", "national")
NPCC = Viewer("p", "npcc")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sq-synth")
    generate(out, seed=11, start="2021-01", end="2026-09", scale=0.5)
    return out


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def warehouse(request: pytest.FixtureRequest, sample: Path,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, RunInfo]]:
    """An analysed warehouse on each backend, and its run."""
    urls = fresh_warehouse_url(str(request.param), tmp_path_factory.mktemp("sq-wh"))
    engine = make_engine(next(urls))
    migrate(engine)
    ingest_paths([sample], engine, TEST_KEY, today=dt.date(2026, 11, 28))
    incidents, forces = read_inputs(engine)
    store(engine, compute(incidents, forces, as_of=dt.date(2026, 9, 1),
                          link_incidents=read_link_inputs(engine),
                          release_incidents=read_release_inputs(engine)), incidents.height)
    run = data.latest_run(engine)
    assert run is not None
    yield engine, run
    engine.dispose()
    for _ in urls:
        pass


@pytest.fixture(scope="module")
def release(warehouse: tuple[Engine, RunInfo]) -> dict[str, dict[str, Any]]:
    engine, run = warehouse
    return data.all_releases(engine, run)


def _table(release: dict[str, Any], section: str, table: str) -> dict[str, Any]:
    found = data.section(release, section)
    assert found is not None
    return next(t for t in found["tables"] if t["id"] == table)


def _forces_in_series(engine: Engine, run: RunInfo) -> tuple[str, str, str]:
    """The biggest cross-border series in the release, a force in it and a force not in it."""
    series = data_series.all_series(engine, NATIONAL, run)
    top = series.filter(pl.col("in_release")).row(0, named=True)
    members = data_series.series_members(engine, NATIONAL, run, top["series"])
    inside = sorted(set(members["incident_id"].str.split(":").list.first()))
    every = data.forces(engine)["force_id"].to_list()
    outside = next(f for f in every if f not in inside)
    return top["series"], inside[0], outside


# --- Series ---------------------------------------------------------------------------------

@pytest.mark.integration
def test_national_series_are_lettered_and_explained_as_the_release(
        warehouse: tuple[Engine, RunInfo], release: dict[str, dict[str, Any]]) -> None:
    engine, run = warehouse
    series = data_series.all_series(engine, NATIONAL, run)
    published = _table(release["national"], "series", "series")
    lettered = series.filter(pl.col("in_release"))
    assert lettered["series"].to_list() == [r[0] for r in published["rows"]]
    assert lettered["linked_by"].to_list() == [r[-1] for r in published["rows"]]
    assert lettered["forces"].to_list() == [r[2] for r in published["rows"]]
    assert (series["forces"] >= 2).all()
    assert series["series"].str.starts_with("Other series").to_list() == [
        not x for x in series["in_release"]]
    with engine.connect() as conn:
        stored = pl.read_database(select(out_series.c.series_id, out_series.c.incident_count)
                                  .where(out_series.c.run_id == run.run_id), conn)
    assert dict(series.select("series_id", "incidents").iter_rows()) == {
        k: v for k, v in stored.iter_rows() if k in set(series["series_id"])}
    with_single = data_series.all_series(engine, NATIONAL, run, cross_border_only=False)
    assert with_single.height >= series.height
    assert with_single.filter(pl.col("forces") >= 2)["series"].to_list() == \
        series["series"].to_list()


@pytest.mark.integration
@pytest.mark.parametrize("viewer", [NPCC, Viewer("k", "force:kent")], ids=["npcc", "force"])
def test_only_national_lists_every_series(warehouse: tuple[Engine, RunInfo],
                                          viewer: Viewer) -> None:
    engine, run = warehouse
    with pytest.raises(AccessDenied):
        data_series.all_series(engine, viewer, run)


@pytest.mark.integration
def test_members_by_role(warehouse: tuple[Engine, RunInfo]) -> None:
    engine, run = warehouse
    label, inside, outside = _forces_in_series(engine, run)
    everyone = data_series.series_members(engine, NATIONAL, run, label)
    assert everyone.columns == list(data_series.MEMBER_COLUMNS)
    assert everyone["incident_id"].str.split(":").list.first().n_unique() >= 2
    own = data_series.series_members(engine, Viewer("f", f"force:{inside}"), run, label)
    assert own.height > 0
    assert own["incident_id"].to_list() == everyone.filter(
        pl.col("incident_id").str.starts_with(f"{inside}:"))["incident_id"].to_list()
    with pytest.raises(AccessDenied):
        data_series.series_members(engine, Viewer("f", f"force:{outside}"), run, label)
    with pytest.raises(AccessDenied):
        data_series.series_members(engine, NPCC, run, label)
    with pytest.raises(KeyError):
        data_series.series_members(engine, NATIONAL, run, "Series ZZZ")


@pytest.mark.integration
def test_force_series_are_the_release_ones_and_own_counts(
        warehouse: tuple[Engine, RunInfo], release: dict[str, dict[str, Any]]) -> None:
    engine, run = warehouse
    _, inside, _ = _forces_in_series(engine, run)
    viewer = Viewer("f", f"force:{inside}")
    mine = data_series.force_series(engine, viewer, run)
    published = _table(release[f"force:{inside}"], "force_series", "series")
    assert mine.filter(pl.col("in_release"))["series"].to_list() == [
        r[0] for r in published["rows"]]
    for row in mine.iter_rows(named=True):
        members = data_series.series_members(engine, NATIONAL, run, row["series"])
        assert row["your_incidents"] == members.filter(
            pl.col("incident_id").str.starts_with(f"{inside}:")).height
    assert set(mine.columns) == {"series", "force", "your_incidents", "your_first_date",
                                 "your_last_date", "in_release", "linked_by"}
    for refused in (NATIONAL, NPCC):
        with pytest.raises(AccessDenied):
            data_series.force_series(engine, refused, run)


@pytest.mark.integration
def test_find_more_like_these_by_role(warehouse: tuple[Engine, RunInfo]) -> None:
    engine, run = warehouse
    label, inside, outside = _forces_in_series(engine, run)
    viewer = Viewer("f", f"force:{inside}")
    seeds = data_series.series_members(engine, viewer, run, label)["incident_id"].head(2)
    incidents = read_link_inputs(engine)
    expected = search(incidents, seeds.to_list(), top=incidents.height).filter(
        pl.col("score") >= 0.5)
    assert expected.height > 0
    national = data_series.similar_incidents(engine, NATIONAL, seeds.to_list(), top=10_000)
    assert national.matches["incident_id"].to_list() == expected["incident_id"].to_list()
    assert "victim_id" not in national.matches.columns
    force = data_series.similar_incidents(engine, viewer, seeds.to_list())
    assert force.matches["incident_id"].to_list() == expected.filter(
        pl.col("incident_id").str.starts_with(f"{inside}:"))["incident_id"].to_list()
    per_force = (national.matches.filter(~pl.col("incident_id").str.starts_with(f"{inside}:"))
                 .group_by("force").len().sort("force"))
    assert force.other_force_count == per_force.height
    assert force.other_forces.rows() == [(f, str(disclose_count(n)))
                                         for f, n in per_force.iter_rows()]
    assert all(m == "[c]" or (int(m) % 5 == 0 and int(m) >= 10)
               for m in force.other_forces["matches"])
    with pytest.raises(AccessDenied):
        data_series.similar_incidents(engine, Viewer("o", f"force:{outside}"), seeds.to_list())
    with pytest.raises(AccessDenied):
        data_series.similar_incidents(engine, NPCC, seeds.to_list())
    with pytest.raises(AccessDenied):  # refused before the warehouse is asked
        data_series.similar_incidents(engine, viewer, [f"{outside}:NO-SUCH-REF"])
    with pytest.raises(ValueError, match="not found"):
        data_series.similar_incidents(engine, viewer, [f"{inside}:NO-SUCH-REF"])
    with pytest.raises(ValueError, match="at least one"):
        data_series.similar_incidents(engine, viewer, [" "])


@pytest.mark.unit
def test_timeline_and_its_chart_describe_the_members() -> None:
    members = pl.DataFrame({
        "force": ["Kent Police", "Kent Police", "Surrey Police", "Kent Police"],
        "reported_date": [dt.date(2026, 1, 3), dt.date(2026, 1, 20), dt.date(2026, 2, 1),
                          dt.date(2026, 3, 9)]})
    monthly = data_series.timeline(members)
    assert monthly.rows() == [(dt.date(2026, 1, 1), "Kent Police", 2),
                              (dt.date(2026, 2, 1), "Surrey Police", 1),
                              (dt.date(2026, 3, 1), "Kent Police", 1)]
    chart = charts_series.series_timeline("Series B", monthly)
    assert chart.alt_text == (
        "Timeline chart of Series B: 4 incidents in 2 forces from January 2026 to March 2026, "
        "one row per force and one circle per month sized by its incidents. Most were in Kent "
        "Police (3). The busiest month was January 2026 in Kent Police (2).")
    spec = chart.spec.to_dict()
    assert spec["encoding"]["y"]["sort"] == ["Kent Police", "Surrey Police"]
    assert len(spec["data"]["values"]) == 3


# --- Data quality ---------------------------------------------------------------------------

@pytest.mark.unit
@pytest.mark.parametrize(("reason", "kind"), [
    ("latitude: -33.8688 is outside the UK (49.8..60.95); longitude: 151.2093 is outside the "
     "UK (-8.7..1.8)", "latitude: … is outside the UK; longitude: … is outside the UK"),
    ("victim_role: unknown value 'Mayor'", "victim_role: unknown value '…'"),
    ("reported_date: 2015-03-02 is outside 2016-01-01..2026-11-28; outcome_date: 2014-01-01 is "
     "before reported_date 2015-03-02", "reported_date: … is outside the allowed range; "
     "outcome_date: … is before reported_date …"),
    ("force_ref: exact duplicate of row 32", "force_ref: exact duplicate of row …"),
    ("offence: missing", "offence: missing"),
])
def test_reason_kind_takes_values_out(reason: str, kind: str) -> None:
    assert data_quality.reason_kind(reason) == kind


@pytest.mark.integration
def test_files_and_returns_by_role(warehouse: tuple[Engine, RunInfo]) -> None:
    engine, _ = warehouse
    with engine.connect() as conn:
        stored = pl.read_database(select(raw_source_file), conn, infer_schema_length=None)
    files = data_quality.source_files(engine, NATIONAL)
    assert sorted(files["file_name"]) == sorted(stored["file_name"])
    assert files["reconciles"].all()
    assert int(files["rejected"].sum()) == int(stored["rejected_count"].sum())
    returns = data_quality.returns_by_force(engine, NATIONAL)
    assert returns.height == data.forces(engine).height
    assert int(returns["read"].sum()) == int(stored.filter(
        pl.col("force_id").is_not_null())["read_count"].sum())
    force = stored.sort("rejected_count", descending=True)["force_id"][0]
    viewer = Viewer("f", f"force:{force}")
    own = data_quality.source_files(engine, viewer)
    assert own["file_name"].to_list() == stored.filter(
        pl.col("force_id") == force)["file_name"].to_list()
    assert data_quality.returns_by_force(engine, viewer).height == 1
    for call in (data_quality.source_files, data_quality.returns_by_force,
                 data_quality.rejects_by_reason):
        with pytest.raises(AccessDenied):
            call(engine, NPCC)


@pytest.mark.integration
def test_rejects_by_reason_and_rows_by_role(warehouse: tuple[Engine, RunInfo]) -> None:
    engine, _ = warehouse
    by_reason = data_quality.rejects_by_reason(engine, NATIONAL)
    returns = data_quality.returns_by_force(engine, NATIONAL)
    totals = by_reason.group_by("force").agg(pl.col("rows").sum())
    assert dict(totals.iter_rows()) == dict(
        returns.filter(pl.col("rejected") > 0).select("force", "rejected").iter_rows())
    force_name = by_reason["force"][0]
    force = data.forces(engine).filter(pl.col("force_name") == force_name)["force_id"][0]
    viewer = Viewer("f", f"force:{force}")
    rows = data_quality.rejected_rows(engine, viewer, force)
    assert rows.columns == ["force", "file_name", "row", "field", "reason"]
    assert rows.height == int(totals.filter(pl.col("force") == force_name)["rows"][0])
    assert data_quality.rejected_rows(engine, NATIONAL, force).equals(rows)
    assert data_quality.rejects_by_reason(engine, viewer)["force"].unique().to_list() == [
        force_name]
    with engine.connect() as conn:
        raw = pl.read_database(select(core_reject.c.raw_row), conn)["raw_row"]
    shown = " ".join(rows["reason"])
    assert not any(r[:40] in shown for r in raw)
    other = next(f for f in data.forces(engine)["force_id"] if f != force)
    for refused, asked in ((viewer, other), (NPCC, force)):
        with pytest.raises(AccessDenied):
            data_quality.rejected_rows(engine, refused, asked)


@pytest.mark.integration
def test_late_returns_follow_the_release(warehouse: tuple[Engine, RunInfo],
                                         release: dict[str, dict[str, Any]]) -> None:
    engine, run = warehouse
    late = data_quality.late_returns(NATIONAL, release["national"], run)
    returns = data_quality.returns_by_force(engine, NATIONAL)
    behind = returns.filter(pl.col("latest_month").is_null()
                            | (pl.col("latest_month") < f"{run.as_of:%Y-%m}"))
    assert sorted(late["force"]) == sorted(behind["force"])
    published = _table(release["national"], "data_quality", "returns")
    notes = {r[0]: r[-1] for r in published["rows"] if r[-1]}
    assert notes and all(late.filter(pl.col("force") == f)["status"][0] == n
                         for f, n in notes.items())
    assert (late.filter(pl.col("status").str.starts_with("latest month before"))
            ["months_behind"] > 0).all()
    kent = Viewer("k", "force:kent")
    for viewer, given in ((kent, release["force:kent"]), (NPCC, release["national"]),
                          (NATIONAL, release["force:kent"])):
        with pytest.raises(AccessDenied):
            data_quality.late_returns(viewer, given, run)


def test_catalogue_is_kept_per_run_and_reread_for_a_rebuilt_one(
        warehouse: tuple[Engine, RunInfo]) -> None:
    """The Series page's catalogue is computed once per stored run (a million incidents took
    10-20 s a rerun), and a warehouse rebuilt under the same URL, whose run 1 is another run,
    is not served the old one: the cache is keyed by the run's creation time too."""
    engine, run = warehouse
    first = data_series.all_series(engine, NATIONAL, run)
    cached = data_series._run_series(engine, run)
    assert data_series._run_series(engine, run) is cached
    rebuilt = RunInfo(run.run_id, run.as_of, run.quarter,
                      run.created_at + dt.timedelta(seconds=1), run.incident_count)
    again = data_series._run_series(engine, rebuilt)
    assert again is not cached
    assert again.catalogue.equals(cached.catalogue)
    assert data_series.all_series(engine, NATIONAL, run).equals(first)
