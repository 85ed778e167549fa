"""Malformed force returns (issue 12): a bad row is quarantined, never the file; a file that
cannot be read at all fails, and its error names the real cause.

Every kind in `tests/etl/malformed_corpus.py` goes through the real `ingest_paths` into a
fresh SQLite warehouse (a few into PostgreSQL too). For each: the file's status, read =
loaded + updated + duplicate + rejected, exactly the faulted rows quarantined with the cause
(and their line) in the reason, no traceback, and no planted sensitive value stored raw.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, select

from etl.ingest import FileReport, ingest_paths
from etl.schema import core_incident, core_incident_version, core_reject, raw_source_file
from etl.synth import generate
from etl.warehouse import make_engine, migrate
from tests.conftest import TEST_KEY, fresh_warehouse_url
from tests.etl.malformed_corpus import KINDS, Variant, build

pytestmark = pytest.mark.integration
TODAY = dt.date(2026, 11, 28)
ON_POSTGRESQL = ("csv_too_many_fields", "csv_unterminated_quote", "csv_crlf_inside_quoted_field",
                 "jsonl_broken_line", "xlsx_merged_cells", "csv_random_bytes")
INTERNAL_FAILURES = ("could not be read:", "load failed", "Traceback", "Error:")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Variant]:
    sample = tmp_path_factory.mktemp("sample")
    generate(sample, seed=5, start="2023-01", end="2024-12", scale=1.0)
    return build(sample, tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite warehouse, copied for each test (migrating each time is slower)."""
    path = tmp_path_factory.mktemp("template") / "warehouse.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture
def sqlite_engine(template: Path, tmp_path: Path) -> Iterator[Engine]:
    shutil.copy(template, tmp_path / "warehouse.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'warehouse.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def postgresql_engine(tmp_path: Path) -> Iterator[Engine]:
    urls = fresh_warehouse_url("postgresql", tmp_path)
    engine = make_engine(next(urls))
    migrate(engine)
    yield engine
    engine.dispose()
    next(urls, None)


def test_the_corpus_holds_at_least_25_kinds_of_each_format() -> None:
    assert len(KINDS) >= 25
    assert {k.split("_")[0] for k in KINDS} == {"csv", "jsonl", "xlsx"}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_malformed_file_on_sqlite(kind: str, corpus: dict[str, Variant],
                                  sqlite_engine: Engine) -> None:
    _check(corpus[kind], sqlite_engine)


@pytest.mark.parametrize("kind", ON_POSTGRESQL)
def test_malformed_file_on_postgresql(kind: str, corpus: dict[str, Variant],
                                      postgresql_engine: Engine) -> None:
    _check(corpus[kind], postgresql_engine)


def test_the_rest_of_a_file_loads_with_its_values(corpus: dict[str, Variant],
                                                  sqlite_engine: Engine) -> None:
    """Around a row set aside, the other rows keep their own values and row numbers."""
    variant = corpus["csv_crlf_inside_quoted_field"]
    ingest_paths([variant.path], sqlite_engine, TEST_KEY, today=TODAY)
    stored = _frame(sqlite_engine, select(core_incident.c.summary, core_incident.c.source_row)
                    .order_by(core_incident.c.source_row))
    assert stored["source_row"].to_list() == list(range(2, variant.read + 2))
    crlf = stored.filter(pl.col("summary").str.contains("\r\nSecond paragraph"))
    assert crlf.height == 2
    unterminated = corpus["csv_unterminated_quote"]
    [report] = ingest_paths([unterminated.path], sqlite_engine, TEST_KEY, today=TODAY)
    # the two rows whose summary the CRLF file extended come back as sent first: restated
    assert (report.loaded, report.updated, report.duplicate, report.rejected) == (
        0, 2, report.read - 3, 1)
    history = _frame(sqlite_engine, select(core_incident_version.c.summary,
                                           core_incident_version.c.source_row))
    assert history.sort("source_row").equals(crlf.sort("source_row"))


def _check(variant: Variant, engine: Engine) -> None:
    [report] = ingest_paths([variant.path], engine, TEST_KEY, today=TODAY)
    message = report.error or ""
    assert report.status == variant.status, message
    assert report.read == report.loaded + report.updated + report.duplicate + report.rejected
    assert not any(word in message for word in INTERNAL_FAILURES), message
    if variant.status == "failed":
        assert variant.cause in message
        assert (report.read, report.loaded, report.rejected) == (0, 0, 0)
        assert _frame(engine, select(raw_source_file.c.file_name)).height == 0
        return
    assert report.read == variant.read
    assert (report.loaded, report.duplicate, report.rejected) == (
        variant.read - len(variant.faulted), 0, len(variant.faulted)), _rejects(engine, report)
    if variant.warning:
        assert variant.warning in message
    rejects = _rejects(engine, report)
    assert sorted(rejects["source_row"].to_list()) == sorted(variant.faulted)
    for reason in rejects["reason"].to_list():
        assert variant.cause in reason
        if variant.line_numbers:
            assert reason.startswith("line "), reason
    stored = " ".join(" ".join(str(v) for v in row) for row in rejects.rows()).lower()
    for secret in variant.secrets:
        assert secret.lower() not in stored, f"{secret!r} stored raw"
    if variant.secrets:
        assert any("[email]" in r or "line" in r for r in rejects["raw_row"].to_list())


def _rejects(engine: Engine, report: FileReport) -> pl.DataFrame:
    return _frame(engine, select(
        core_reject.c.source_row, core_reject.c.field, core_reject.c.reason,
        core_reject.c.disposition, core_reject.c.raw_row,
    ).join(raw_source_file).where(raw_source_file.c.file_path == report.file))


def _frame(engine: Engine, query) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return pl.read_database(query, conn, infer_schema_length=None)
