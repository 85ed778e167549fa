"""The Returns, Reports and Admin pages, run as each role (AppTest).

Uploads change the warehouse, so every test here runs on its own copy of the session's analysed
warehouse. Downloads are callables that Streamlit runs on the click; AppTest has no browser to
click, so the tests catch each callable as the page registers it and run it, as the server
would, then look at the bytes and the audit log.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, delete, func, select
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from dashboards import audit, data, data_reports
from dashboards.access import AccessDenied, Viewer
from etl.schema import app_audit_event, raw_source_file
from etl.warehouse import make_engine
from tests.dashboards.app.conftest import run_page
from tests.dashboards.test_data_returns import (
    BAD_DATE_ROW,
    BAD_OFFENCE_ROW,
    spoiled_return,
    with_identifier,
)


@pytest.fixture
def own_db(app_db: str, app_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[Engine]:
    """A copy of the analysed warehouse for this test alone (PLAIT_DB_URL points at it), its
    audit log emptied of what other tests wrote before the copy."""
    copy = tmp_path / "warehouse.db"
    source, target = sqlite3.connect(app_db.removeprefix("sqlite:///")), sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.close()
    url = f"sqlite:///{copy}"
    monkeypatch.setenv("PLAIT_DB_URL", url)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(delete(app_audit_event))
    yield engine
    engine.dispose()


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], bytes]]:
    """file name → the callable a download button registered, to be run as on a click."""
    caught: dict[str, Callable[[], bytes]] = {}
    register = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kw):  # type: ignore[no-untyped-def]
        caught[str(file_name)] = data_callable
        return register(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return caught


def _events(engine: Engine) -> pl.DataFrame:
    return audit.events(engine).sort("event_id")


def _files(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(raw_source_file)).scalar() or 0)


def _upload(at: AppTest, path: Path) -> AppTest:
    at.file_uploader[0].upload(path.name, path.read_bytes(), "text/csv")
    next(b for b in at.button if b.label == "Check and load").click()
    return at.run()


# --- Returns --------------------------------------------------------------------------------

@pytest.mark.functional
def test_force_lead_uploads_own_return_and_gets_a_receipt(
        own_db: Engine, app_sample: Path, tmp_path: Path,
        downloads: dict[str, Callable[[], bytes]]) -> None:
    files = _files(own_db)
    at = run_page("returns", "force:west-yorkshire")
    assert not at.exception
    path = spoiled_return(app_sample, tmp_path)
    _upload(at, path)
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric} == {
        "Read": "13", "Loaded": "10", "Updated": "0", "Duplicate": "1", "Rejected": "2"}
    rejects = at.dataframe[0].value
    assert list(zip(rejects["source_row"], rejects["field"], rejects["disposition"],
                    strict=True)) == [(BAD_DATE_ROW, "reported_date", "rejected"),
                                      (BAD_OFFENCE_ROW, "offence", "rejected"),
                                      (14, "force_ref", "duplicate")]
    assert _files(own_db) == files + 1
    loaded = at.dataframe[1].value  # the force's returns, newest first: this one
    assert set(loaded["force_id"]) == {"west-yorkshire"} and loaded["file_name"][0] == path.name
    [upload] = _events(own_db).filter(pl.col("action") == "upload").rows(named=True)
    assert (upload["user_name"], upload["page"]) == ("test-force:west-yorkshire", "returns")

    receipt = downloads[f"receipt-{path.stem}.csv"]()
    lines = receipt.decode().splitlines()
    assert lines[0].startswith("file,force_id,status,read,loaded,updated,duplicate,rejected")
    assert len(lines) == 4 and all(",13,10,0,1,2," in line for line in lines[1:])
    assert _events(own_db)["action"].to_list()[-1] == "download"


@pytest.mark.functional
def test_another_forces_return_is_refused_and_audited(own_db: Engine, app_sample: Path) -> None:
    files = _files(own_db)
    at = run_page("returns", "force:west-yorkshire")
    [kent] = app_sample.glob("kent_*.xlsx")
    _upload(at, kent)
    assert not at.exception
    assert "Refused" in at.error[0].value and "kent" in at.error[0].value
    assert not at.metric
    assert _files(own_db) == files
    [refused] = _events(own_db).filter(pl.col("action") == "refused").rows(named=True)
    assert refused["user_name"] == "test-force:west-yorkshire" and kent.name in refused["detail"]


@pytest.mark.functional
def test_national_may_load_any_force_and_npcc_none(own_db: Engine, app_sample: Path,
                                                   tmp_path: Path) -> None:
    at = run_page("returns", "national")
    _upload(at, spoiled_return(app_sample, tmp_path))
    assert not at.error and at.metric[1].value == "10"
    assert len(set(at.dataframe[1].value["force_id"])) > 1  # every force's returns listed
    npcc = run_page("returns", "npcc")
    assert not npcc.file_uploader and "cannot open this page" in npcc.error[0].value


@pytest.mark.functional
def test_without_a_key_a_return_with_a_real_identifier_is_refused(
        own_db: Engine, app_sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLAIT_PSEUDONYM_KEY")
    files = _files(own_db)
    at = run_page("returns", "force:west-yorkshire")
    assert "plait synth" in at.warning[0].value
    real = with_identifier(spoiled_return(app_sample, tmp_path), 3, "07911 123456",
                           tmp_path / "real")
    _upload(at, real)
    assert "Refused" in at.error[0].value and "row 3, SuspectIdentifiers" in at.error[0].value
    assert "07911" not in at.error[0].value and not at.metric
    assert _files(own_db) == files
    actions = _events(own_db)["action"].to_list()
    assert actions.count("refused") == 1 and "upload" not in actions


# --- Reports --------------------------------------------------------------------------------

@pytest.mark.functional
def test_force_lead_downloads_own_report_only(own_db: Engine,
                                              downloads: dict[str, Callable[[], bytes]]) -> None:
    at = run_page("reports", "force:kent")
    assert not at.exception and not at.error
    assert not at.selectbox  # nothing to choose: no other force is offered
    run = data.latest_run(own_db)
    assert run is not None
    stem = f"plait-{run.quarter_label}-kent"
    assert sorted(downloads) == [f"{stem}.json", f"{stem}.pdf"]
    assert [b.label for b in at.get("download_button")] == [
        "Download the report (PDF)", "Download the figures (JSON)"]
    pdf = downloads[f"{stem}.pdf"]()
    assert pdf.startswith(b"%PDF")
    [event] = _events(own_db).filter(pl.col("action") == "download").rows(named=True)
    assert event["user_name"] == "test-force:kent" and "force:kent" in event["detail"]
    assert b'"audience": "force:kent"' in downloads[f"{stem}.json"]()

    releases = data.all_releases(own_db, run)
    kent = Viewer("lead", "force:kent")
    for other in ("national", "force:west-yorkshire"):
        with pytest.raises(AccessDenied):
            data_reports.report_pdf(kent, releases[other])
        with pytest.raises(AccessDenied):
            data_reports.release_json(kent, releases[other])


@pytest.mark.functional
def test_national_chooses_any_report_and_npcc_gets_the_national(
        own_db: Engine, downloads: dict[str, Callable[[], bytes]]) -> None:
    at = run_page("reports", "national")
    options = at.selectbox[0].options
    assert options[0] == "National" and len(options) > 40 and "Kent Police" in options
    at.selectbox[0].select("force:kent").run()
    assert not at.exception
    assert any(name.endswith("-kent.json") for name in downloads)
    npcc = run_page("reports", "npcc")
    assert not npcc.exception and not npcc.selectbox
    body = downloads[next(n for n in downloads if n.endswith("-national.json"))]()
    assert b'"audience": "national"' in body
    assert _events(own_db).filter(pl.col("action") == "download")["role"].to_list() == ["npcc"]


# --- Admin ----------------------------------------------------------------------------------

@pytest.mark.functional
@pytest.mark.parametrize("role", ["force:kent", "npcc"])
def test_admin_refuses_other_roles(own_db: Engine, role: str) -> None:
    at = run_page("admin", role)
    assert "cannot open this page" in at.error[0].value and not at.dataframe
    [event] = _events(own_db).filter(pl.col("action") == "refused").rows(named=True)
    assert (event["role"], event["page"]) == (role, "admin")


@pytest.mark.functional
def test_admin_shows_the_audit_log_to_national(own_db: Engine) -> None:
    kent = Viewer("lead-kent", "force:kent")
    audit.record(own_db, kent, "download", "reports", "plait-2026Q3-kent.pdf")
    audit.record(own_db, kent, "refused", "admin", "the force:kent role cannot open this page")
    at = run_page("admin", "national")
    assert not at.exception and not at.error
    shown = at.dataframe[0].value
    kent_rows = shown[shown["user_name"] == "lead-kent"]
    assert kent_rows["action"].to_list() == ["refused", "download"]  # newest first
    at.multiselect[1].select("download").run()
    assert set(at.dataframe[0].value["action"]) == {"download"}
    at.multiselect[0].select("lead-kent").run()
    assert at.dataframe[0].value["detail"].to_list() == ["plait-2026Q3-kent.pdf"]
