"""The generator's extracts, ingested: every force in, every row accounted for, truth found.

One synthetic data set (all 45 forces, 2016-01..2026-09) is ingested once per backend; the
tests then check the warehouse against the generator's planted truth.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, String, Text, func, select

from etl.ingest import FileReport, ingest_paths
from etl.mapping import all_mappings
from etl.schema import core_incident, core_reject, metadata, raw_source_file
from etl.synth import generate
from etl.warehouse import make_engine, migrate
from tests.conftest import TEST_KEY, fresh_warehouse_url

pytestmark = pytest.mark.integration
TODAY = dt.date(2026, 11, 28)


@dataclass
class Loaded:
    engine: Engine
    reports: list[FileReport]
    out: Path


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    generate(out, seed=11, start="2016-01", end="2026-09", scale=1.0)
    return out


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def loaded(request: pytest.FixtureRequest, synth_dir: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    url_fixture = fresh_warehouse_url(request.param, tmp_path_factory.mktemp('wh'))
    url = next(url_fixture)
    engine = make_engine(url)
    migrate(engine)
    reports = ingest_paths([synth_dir], engine, TEST_KEY, today=TODAY)
    yield Loaded(engine, reports, synth_dir)
    engine.dispose()
    next(url_fixture, None)


def _truth(out: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(out / "truth" / name, infer_schema=False)


def _table(engine: Engine, query) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return pl.read_database(query, conn, infer_schema_length=None)


def test_every_force_is_loaded(loaded: Loaded) -> None:
    assert {r.status for r in loaded.reports} == {"loaded"}, [
        (r.file, r.error) for r in loaded.reports if r.status != "loaded"]
    assert {r.force_id for r in loaded.reports} == {m.force_id for m in all_mappings()}
    assert len(loaded.reports) == 45


def test_every_row_is_accounted_for(loaded: Loaded) -> None:
    manifest = json.loads((loaded.out / "truth" / "manifest.json").read_text())
    rows_by_file = {f["file"]: int(f["rows"]) for f in manifest["files"]}
    for r in loaded.reports:
        assert r.read == r.loaded + r.updated + r.duplicate + r.rejected
        assert r.read == rows_by_file[Path(r.file).name]
    stored = _table(loaded.engine, select(
        raw_source_file.c.file_name, raw_source_file.c.read_count,
        select(func.count()).select_from(core_incident)
        .where(core_incident.c.source_file_id == raw_source_file.c.source_file_id)
        .scalar_subquery().label("incidents"),
        select(func.count()).select_from(core_reject)
        .where(core_reject.c.source_file_id == raw_source_file.c.source_file_id)
        .scalar_subquery().label("rejects"),
    ))
    assert (stored["incidents"] + stored["rejects"] == stored["read_count"]).all()


def test_every_planted_dirty_row_is_quarantined_with_its_field(loaded: Loaded) -> None:
    dirty = _truth(loaded.out, "dirty_rows.csv").with_columns(pl.col("row").cast(pl.Int64))
    rejects = _table(loaded.engine, select(
        raw_source_file.c.file_name.label("file"), core_reject.c.source_row.label("row"),
        core_reject.c.field.label("got_field"), core_reject.c.reason,
        core_reject.c.disposition).join(raw_source_file))
    joined = dirty.join(rejects, on=["file", "row"], how="left")
    missing = joined.filter(pl.col("got_field").is_null())
    assert missing.height == 0, missing.head(10)
    wrong = joined.filter(pl.col("got_field") != pl.col("field"))
    assert wrong.height == 0, wrong.select("file", "row", "kind", "field", "got_field", "reason")
    assert joined.filter(~pl.col("reason").str.contains(pl.col("field"), literal=True)).height == 0
    duplicates = joined.filter(pl.col("kind") == "exact_duplicate")
    assert duplicates.height > 0
    assert set(duplicates["disposition"]) == {"duplicate"}
    assert dirty["kind"].n_unique() >= 5


def test_nothing_but_planted_rows_is_rejected(loaded: Loaded) -> None:
    dirty = _truth(loaded.out, "dirty_rows.csv").with_columns(pl.col("row").cast(pl.Int64))
    rejects = _table(loaded.engine, select(
        raw_source_file.c.file_name.label("file"), core_reject.c.source_row.label("row"),
        core_reject.c.reason).join(raw_source_file))
    unexpected = rejects.join(dirty, on=["file", "row"], how="anti")
    assert unexpected.height == 0, unexpected.head(10)


def test_transferred_crimes_are_marked_and_linked(loaded: Loaded) -> None:
    transfers = _truth(loaded.out, "transfers.csv").select(
        pl.concat_str("from_force_id", pl.lit(":"), "from_force_ref").alias("incident_id"),
        pl.concat_str("to_force_id", pl.lit(":"), "to_force_ref").alias("expected"),
    )
    assert transfers.height > 0
    stored = _table(loaded.engine, select(
        core_incident.c.incident_id, core_incident.c.is_duplicate, core_incident.c.duplicate_of))
    got = transfers.join(stored, on="incident_id", how="left")
    assert got["is_duplicate"].cast(pl.Boolean).all()
    assert (got["duplicate_of"] == got["expected"]).all(), got.filter(
        pl.col("duplicate_of") != pl.col("expected"))
    receivers = stored.join(transfers.select(pl.col("expected").alias("incident_id")),
                            on="incident_id")
    assert not receivers["is_duplicate"].cast(pl.Boolean).any()
    marked = stored.filter(pl.col("is_duplicate").cast(pl.Boolean))
    assert marked.height == transfers.height


def test_no_raw_identifier_or_name_reaches_the_warehouse(loaded: Loaded) -> None:
    pii = _truth(loaded.out, "pii.csv")
    assert set(pii["kind"]) >= {"email", "phone", "handle", "victim_name", "suspect_name"}
    values = [v.lower() for v in pii["value"].to_list() if v]
    found: list[tuple[str, str, str]] = []
    for table in metadata.sorted_tables:
        text_cols = [c for c in table.columns if isinstance(c.type, String | Text)]
        if not text_cols:
            continue
        frame = _table(loaded.engine, select(*text_cols))
        for col in frame.columns:
            series = frame[col].cast(pl.String).drop_nulls().str.to_lowercase()
            hits = series.filter(series.str.contains_any(values, ascii_case_insensitive=True))
            for text in hits.head(3).to_list():
                which = [v for v in values if v in text]
                found.append((table.name, col, f"{which[:2]} in {text[:120]!r}"))
    assert found == []


def test_ingesting_again_adds_nothing(loaded: Loaded) -> None:
    def count() -> tuple[int, int, int]:
        with loaded.engine.connect() as conn:
            return tuple(  # type: ignore[return-value]
                conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (raw_source_file, core_incident, core_reject))

    before = count()
    again = ingest_paths([loaded.out], loaded.engine, TEST_KEY, today=TODAY)
    assert {r.status for r in again} == {"skipped"}
    assert count() == before


def test_sqlite_and_postgresql_hold_the_same_rows(
    synth_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    frames = []
    for backend in ("sqlite", "postgresql"):
        urls = fresh_warehouse_url(backend, tmp_path_factory.mktemp('wh'))
        engine = make_engine(next(urls))
        migrate(engine)
        ingest_paths([synth_dir], engine, TEST_KEY, today=TODAY)
        incidents = _table(engine, select(
            *[c for c in core_incident.columns if c.name != "source_file_id"],
            raw_source_file.c.file_name).join(raw_source_file)).sort("incident_id")
        rejects = _table(engine, select(
            raw_source_file.c.file_name, core_reject.c.source_row, core_reject.c.field,
            core_reject.c.reason, core_reject.c.disposition, core_reject.c.raw_row,
        ).join(raw_source_file)).sort("file_name", "source_row")
        frames.append((incidents.with_columns(pl.col("is_duplicate").cast(pl.Boolean)), rejects))
        engine.dispose()
        next(urls, None)
    (inc_a, rej_a), (inc_b, rej_b) = frames
    assert inc_a.height > 1000
    assert inc_a.equals(inc_b)
    assert rej_a.equals(rej_b)
