"""The Series and Data quality pages as each role sees them (AppTest on the session's analysed
synthetic warehouse).

The checks read the frames the page renders, not its text: a force user's page holds no
incident id of another force, and no count of 1 to 7 of another force (a frame is either a
table of the viewer's release, cell for cell, or has a Force column whose other-force rows
carry no small count); NPCC leads see release tables only. Showing incident-level rows writes
a `view_incidents` row to the audit log; NPCC pages write none.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, func, select
from streamlit.testing.v1 import AppTest

from dashboards import audit, data, data_series
from dashboards.access import Viewer
from dashboards.report_pdf import column_label
from etl.schema import app_audit_event, core_incident, raw_source_file
from tests.dashboards.app.conftest import ROLES, run_page

pytestmark = pytest.mark.functional
INCIDENT_ID = re.compile(r"^([a-z][a-z-]*):\S+$")


@pytest.fixture(scope="module")
def releases(app_engine: Engine) -> dict[str, dict[str, Any]]:
    run = data.latest_run(app_engine)
    assert run is not None
    return data.all_releases(app_engine, run)


@pytest.fixture(scope="module")
def force_names(app_engine: Engine) -> dict[str, str]:
    return dict(data.forces(app_engine).select("force_id", "force_name").iter_rows())


def _views(engine: Engine, role: str, page: str, like: str = "%") -> int:
    table = app_audit_event
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(
            (table.c.user_name == f"test-{role}") & (table.c.action == "view_incidents")
            & (table.c.page == page) & table.c.detail.like(like))).scalar() or 0)


def _frames(at: AppTest) -> list[Any]:
    return [element.value for element in at.dataframe]


def _python(value: Any) -> Any:
    """A pandas cell as plain Python: NaN and NA as None, numpy scalars unwrapped."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _rows(frame: Any) -> list[list[Any]]:
    return [[_python(v) for v in row] for row in frame.itertuples(index=False, name=None)]


def _small(value: Any) -> bool:
    """A count of 1 to 7 as a page could show it: a whole number, or digits in text."""
    value = _python(value)
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, str):
        return value.strip().isdigit() and 1 <= int(value) <= 7
    if isinstance(value, int | float):
        return float(value).is_integer() and 1 <= value <= 7
    return False


def _release_tables(release: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for s in release["sections"] for t in s["tables"]]


def _is_release_table(frame: Any, release: dict[str, Any]) -> dict[str, Any] | None:
    """The release table this frame shows cell for cell, if any."""
    for table in _release_tables(release):
        published = data.table_frame(table)
        labels = [column_label(c) for c in published.columns]
        if list(frame.columns) == labels and _rows(frame) == [
                list(r) for r in published.rows()]:
            return table
    return None


def assert_only_own_force(at: AppTest, release: dict[str, Any], force_id: str,
                          force_names: dict[str, str]) -> None:
    """No other force's incident id anywhere in a frame, and no other force's small count."""
    own_name = force_names[force_id]
    for frame in _frames(at):
        for row in _rows(frame):
            for cell in row:
                found = INCIDENT_ID.match(cell) if isinstance(cell, str) else None
                if found and found[1] in force_names:
                    assert found[1] == force_id, f"another force's incident {cell}"
        table = _is_release_table(frame, release)
        if table is not None:
            for column in table["count_columns"]:
                assert not any(_small(v) for v in frame[column_label(column)]), table["id"]
            continue
        assert "Force" in frame.columns, f"a frame that is not the release: {list(frame.columns)}"
        other = frame[frame["Force"] != own_name]
        assert not any(_small(v) for row in _rows(other) for v in row), list(frame.columns)


def assert_release_only(at: AppTest, release: dict[str, Any]) -> None:
    frames = _frames(at)
    assert frames, "the page shows the release's tables"
    for frame in frames:
        assert _is_release_table(frame, release) is not None, list(frame.columns)


@pytest.mark.parametrize("page", ["series", "data_quality"])
@pytest.mark.parametrize("role", ROLES)
def test_page_shows_each_role_only_what_it_may_see(
        app_env: Path, app_engine: Engine, releases: dict[str, dict[str, Any]],
        force_names: dict[str, str], page: str, role: str) -> None:
    viewer = Viewer(f"test-{role}", role)
    release = data.release_for(releases, viewer)
    before = _views(app_engine, role, page)
    at = run_page(page, role)
    assert not at.exception
    assert not at.error
    shown = _views(app_engine, role, page) - before
    if role == "npcc":
        assert_release_only(at, release)
        assert shown == 0
    elif viewer.force_id:
        assert_only_own_force(at, release, viewer.force_id, force_names)
        run = data.latest_run(app_engine)
        assert run is not None
        expected = (not data_series.force_series(app_engine, viewer, run).is_empty()
                    if page == "series" else any(
                        "Row" in f.columns and len(f) for f in _frames(at)))
        assert (shown >= 1) == expected
    else:
        incident_frames = [f for f in _frames(at) if "Incident" in f.columns]
        if page == "series":
            assert shown >= 1
            assert len(incident_frames) == 1
            members = incident_frames[0]
            assert members["Force"].nunique() >= 2
            assert not {"Victim id", "Suspect keys", "victim_id", "suspect_keys"} & set(
                members.columns)
            assert any(c.startswith("Timeline chart of Series A") for c in
                       (x.value for x in at.caption))
        else:
            assert shown == 0  # no force chosen yet: no rejected rows shown
            assert not incident_frames


def _force_with_most_rejects(engine: Engine) -> str:
    files = raw_source_file
    with engine.connect() as conn:
        return str(conn.execute(select(files.c.force_id).where(files.c.force_id.is_not(None))
                                .order_by(files.c.rejected_count.desc(), files.c.force_id)
                                .limit(1)).scalar())


@pytest.mark.parametrize("role", ["force:kent", "force:west-yorkshire", "most rejects"])
def test_force_user_sees_own_rejected_rows_and_files(
        app_env: Path, app_engine: Engine, releases: dict[str, dict[str, Any]],
        force_names: dict[str, str], role: str) -> None:
    if role == "most rejects":
        role = f"force:{_force_with_most_rejects(app_engine)}"
    force_id = role.split(":", 1)[1]
    before = _views(app_engine, role, "data_quality", f"%{force_id}%")
    at = run_page("data_quality", role)
    assert not at.exception
    assert_only_own_force(at, data.release_for(releases, Viewer("t", role)), force_id,
                          force_names)
    frames = _frames(at)
    files = next(f for f in frames if "File" in f.columns and "Kind" in f.columns)
    assert set(files["Force"]) == {force_names[force_id]}
    assert (files["Read = loaded + updated + duplicates + rejected"]).all()
    returns = next(f for f in frames if "Last received" in f.columns)
    rejected = next((f for f in frames if "Row" in f.columns), None)
    views = _views(app_engine, role, "data_quality", f"%{force_id}%") - before
    if rejected is None:
        assert int(returns["Rejected"].iloc[0]) == 0
        assert views == 0
    else:
        assert views == 1
        assert len(rejected) == int(returns["Rejected"].iloc[0]) > 0
        assert set(rejected["Force"]) == {force_names[force_id]}
        assert not any(re.search(r"\d\.\d", r) for r in rejected["Reason"])


def test_national_chooses_a_force_and_its_rejected_rows_are_audited(
        app_env: Path, app_engine: Engine, force_names: dict[str, str]) -> None:
    at = run_page("data_quality", "national")
    late = next(f for f in _frames(at) if "Months behind" in f.columns)
    assert len(late) > 0
    by_reason = next(f for f in _frames(at) if "Rows" in f.columns)
    force = next(fid for fid, name in force_names.items()
                 if name == by_reason["Force"].iloc[0])
    before = _views(app_engine, "national", "data_quality", f"%{force}%")
    at.selectbox(key="reject_force").set_value(force).run()
    assert not at.exception
    rows = next(f for f in _frames(at) if "Row" in f.columns)
    assert set(rows["Force"]) == {force_names[force]}
    assert len(rows) == int(by_reason[by_reason["Force"] == force_names[force]]["Rows"].sum())
    assert _views(app_engine, "national", "data_quality", f"%{force}%") == before + 1


def _own_incident(engine: Engine, force_id: str) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(core_incident.c.incident_id).where(
            (core_incident.c.force_id == force_id) & core_incident.c.is_duplicate.is_(False))
            .order_by(core_incident.c.incident_id).limit(1)).scalar())


@pytest.fixture
def search_seeds(app_engine: Engine) -> Iterator[dict[str, list[str]]]:
    """Two members of the biggest cross-border series, per force role that has any, else one
    incident of the force (typed)."""
    run = data.latest_run(app_engine)
    assert run is not None
    seeds = {}
    for role in ("force:kent", "force:west-yorkshire"):
        viewer = Viewer("t", role)
        mine = data_series.force_series(app_engine, viewer, run)
        if mine.is_empty():
            seeds[role] = []
        else:
            label = mine.sort("your_incidents", descending=True)["series"][0]
            members = data_series.series_members(app_engine, viewer, run, label)
            seeds[role] = [label, *members["incident_id"].head(2).to_list()]
    yield seeds


@pytest.mark.parametrize("role", ["force:kent", "force:west-yorkshire"])
def test_force_user_finds_more_like_their_own_incidents(
        app_env: Path, app_engine: Engine, releases: dict[str, dict[str, Any]],
        force_names: dict[str, str], search_seeds: dict[str, list[str]], role: str) -> None:
    force_id = role.split(":", 1)[1]
    viewer = Viewer(f"test-{role}", role)
    at = run_page("series", role)
    chosen = search_seeds[role]
    if chosen:
        at.selectbox(key="series").set_value(chosen[0]).run()
        at.multiselect(key="seeds_force").set_value(chosen[1:]).run()
    else:
        at.text_input(key="typed_force").input(_own_incident(app_engine, force_id)).run()
    before = _views(app_engine, role, "series", "find more%")
    at.button(key="find_force").click().run()
    assert not at.exception
    assert not at.error
    assert _views(app_engine, role, "series", "find more%") == before + 1
    matches = [f for f in _frames(at) if "Why it matches" in f.columns]
    assert len(matches) <= 1
    if matches:
        assert set(matches[0]["Force"]) <= {force_names[force_id]}
    assert_only_own_force(at, data.release_for(releases, viewer), force_id, force_names)


def test_force_user_cannot_start_from_another_forces_incident(
        app_env: Path, app_engine: Engine) -> None:
    other = _own_incident(app_engine, "metropolitan")
    at = run_page("series", "force:kent")
    before = _views(app_engine, "force:kent", "series", "find more%")
    at.text_input(key="typed_force").input(other).run()
    at.button(key="find_force").click().run()
    assert not at.exception
    assert [e.value for e in at.error] and "own force" in at.error[0].value
    assert not [f for f in _frames(at) if "Why it matches" in f.columns]
    assert _views(app_engine, "force:kent", "series", "find more%") == before
    refusals = audit.events(app_engine).filter(
        (pl.col("user_name") == "test-force:kent") & (pl.col("action") == "refused")
        & (pl.col("page") == "series"))
    assert refusals.height >= 1
    assert other not in refusals["detail"][0]


def test_national_finds_more_like_a_series_across_forces(
        app_env: Path, app_engine: Engine) -> None:
    at = run_page("series", "national")
    members = next(f for f in _frames(at) if "Incident" in f.columns)
    seeds = members["Incident"].head(2).tolist()
    at.multiselect(key="seeds_national").set_value(seeds).run()
    at.button(key="find_national").click().run()
    assert not at.exception
    found = next(f for f in _frames(at) if "Why it matches" in f.columns)
    assert len(found) > 0
    assert not set(found["Incident"]) & set(seeds)
    assert (found["Score"] >= 0.5).all()
    in_series = set(members["Incident"])
    assert set(found["Incident"].head(3)) <= in_series
    assert pl.Series(found["Score"].tolist()).is_sorted(descending=True)
