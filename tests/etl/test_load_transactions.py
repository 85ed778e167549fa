"""A file loads whole or not at all; unreadable files fail by name and leave no trace."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from etl import ingest, reference
from etl.schema import core_reject, core_street_crime, raw_source_file, ref_force
from etl.warehouse import make_engine, migrate
from tests.conftest import FIXTURES, TEST_KEY

pytestmark = pytest.mark.integration
STREET = FIXTURES / "police_uk" / "2019-01-city-of-london-street.csv"


def _counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (raw_source_file, core_street_crime, core_reject)
        )


def test_a_load_that_fails_midway_leaves_the_warehouse_as_it_was(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ingest.ingest_paths([FIXTURES / "police_uk" / "2020-11-city-of-london-street.csv"],
                        engine, TEST_KEY)
    before = _counts(engine)
    real_insert = ingest.insert_frame

    def insert_then_fail(conn, table, frame):  # type: ignore[no-untyped-def]
        written = real_insert(conn, table, frame)
        if table is core_reject:
            raise OSError("disk full (simulated)")
        return written

    monkeypatch.setattr(ingest, "insert_frame", insert_then_fail)
    [failed] = ingest.ingest_paths([STREET], engine, TEST_KEY)

    assert failed.status == "failed"
    assert "disk full (simulated)" in (failed.error or "")
    assert "rolled back" in (failed.error or "")
    assert _counts(engine) == before

    monkeypatch.setattr(ingest, "insert_frame", real_insert)
    [retried] = ingest.ingest_paths([STREET], engine, TEST_KEY)
    assert retried.status == "loaded"
    assert _counts(engine)[1] == before[1] + 617


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("2019-01-kent-street.csv", b"\xff\xfe\x00garbage\x00", "not valid utf-8"),
        ("mystery.csv", b"a,b,c\n1,2,3\n", "neither a data.police.uk street file"),
        ("notes.txt", b"hello", "unknown file type"),
        ("kent_2016-01_2026-09.xlsx", b"PK\x03\x04 not really a workbook", "truncated or corrupt"),
        ("btp_2016-01_2026-09.jsonl", b'{"crime_ref": "1"}\nnot json\n', "columns are missing"),
    ],
)
def test_unreadable_files_fail_by_name_with_a_reason(
    engine: Engine, tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    [report] = ingest.ingest_paths([path], engine, TEST_KEY)
    assert report.status == "failed"
    assert expected in (report.error or "")
    assert report.file == str(path)
    assert _counts(engine) == (0, 0, 0)


def test_missing_path_fails(engine: Engine, tmp_path: Path) -> None:
    [report] = ingest.ingest_paths([tmp_path / "nowhere.csv"], engine, TEST_KEY)
    assert (report.status, report.error) == ("failed", "no such file")


def test_migrations_started_together_on_a_new_warehouse_take_turns(warehouse_url: str) -> None:
    """Without the writer lock both would create the tables and one would fail."""
    engines = [make_engine(warehouse_url) for _ in range(3)]
    heard: list[str] = []
    failed: list[BaseException] = []

    def run(engine: Engine) -> None:
        try:
            migrate(engine, heard.append)
        except BaseException as exc:  # reported by the assertion below
            failed.append(exc)

    # daemon threads: a regression that deadlocks fails the test instead of hanging pytest
    threads = [threading.Thread(target=run, args=(e,), daemon=True) for e in engines]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not any(thread.is_alive() for thread in threads), "migrations deadlocked"
        assert not failed, failed
        with engines[0].connect() as conn:
            forces = conn.execute(select(func.count()).select_from(ref_force)).scalar_one()
        assert forces == reference.forces().height
        assert all("migrating the warehouse" in message for message in heard)
    finally:
        for e in engines:
            e.dispose()
