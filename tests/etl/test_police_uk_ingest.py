"""The real data.police.uk street files load unchanged, every row kept, on both backends."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, func, select

from etl.ingest import ingest_paths
from etl.schema import core_reject, core_street_crime, raw_source_file
from tests.conftest import FIXTURES, TEST_KEY

pytestmark = pytest.mark.integration
STREET = FIXTURES / "police_uk"


def _stored(engine: Engine, file_name: str) -> pl.DataFrame:
    query = (
        select(core_street_crime)
        .join(raw_source_file,
              raw_source_file.c.source_file_id == core_street_crime.c.source_file_id)
        .where(raw_source_file.c.file_name == file_name)
        .order_by(core_street_crime.c.source_row)
    )
    with engine.connect() as conn:
        return pl.read_database(query, conn, infer_schema_length=None)


@pytest.mark.parametrize("name", sorted(p.name for p in STREET.glob("*.csv")))
def test_street_file_loads_every_row_unchanged(engine: Engine, name: str) -> None:
    [report] = ingest_paths([STREET / name], engine, TEST_KEY)
    source = pl.read_csv(STREET / name, infer_schema=False)

    assert report.status == "loaded", report.error
    assert (report.read, report.loaded, report.duplicate, report.rejected) == (
        source.height, source.height, 0, 0)
    stored = _stored(engine, name)
    assert stored.height == source.height
    assert stored["source_row"].to_list() == list(range(2, source.height + 2))
    assert stored["crime_id"].to_list() == source["Crime ID"].to_list()
    assert stored["crime_type"].to_list() == source["Crime type"].to_list()
    assert stored["location"].to_list() == source["Location"].to_list()
    assert stored["lsoa_code"].to_list() == source["LSOA code"].to_list()
    assert stored["last_outcome_category"].to_list() == source["Last outcome category"].to_list()
    assert stored["latitude"].to_list() == source["Latitude"].cast(pl.Float64).to_list()
    assert stored["longitude"].to_list() == source["Longitude"].cast(pl.Float64).to_list()
    months = stored["month_date"].cast(pl.String).str.slice(0, 7)
    assert months.to_list() == source["Month"].to_list()


def test_rows_without_crime_id_and_repeated_ids_are_kept(engine: Engine) -> None:
    name = "2019-01-city-of-london-street.csv"
    ingest_paths([STREET / name], engine, TEST_KEY)
    stored = _stored(engine, name)
    source = pl.read_csv(STREET / name, infer_schema=False)

    blank = source["Crime ID"].null_count()
    assert blank > 0
    assert stored["crime_id"].null_count() == blank
    repeated = source.filter(pl.col("Crime ID").is_duplicated() & pl.col("Crime ID").is_not_null())
    assert repeated.height > 0
    assert stored.filter(pl.col("crime_id").is_in(repeated["Crime ID"].implode())).height == (
        repeated.height)


def test_reporting_and_location_force_are_resolved(engine: Engine) -> None:
    ingest_paths([STREET / "2019-01-metropolitan-street.head.csv"], engine, TEST_KEY)
    stored = _stored(engine, "2019-01-metropolitan-street.head.csv")
    arun = stored.filter(pl.col("lsoa_name") == "Arun 018E")
    assert arun["reporting_force_id"].to_list() == ["metropolitan"]
    assert stored["reporting_force_id"].unique().to_list() == ["metropolitan"]


def test_second_ingest_adds_nothing(engine: Engine) -> None:
    first = ingest_paths([STREET], engine, TEST_KEY)
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(core_street_crime)).scalar_one()
    second = ingest_paths([STREET], engine, TEST_KEY)
    with engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(core_street_crime)).scalar_one()
        files = conn.execute(select(func.count()).select_from(raw_source_file)).scalar_one()

    assert [r.status for r in first] == ["loaded"] * 3
    assert [r.status for r in second] == ["skipped"] * 3
    assert after == before == sum(r.read for r in first)
    assert files == 3


def test_bad_street_rows_are_quarantined_with_field(engine: Engine, tmp_path: Path) -> None:
    src = STREET / "2019-01-city-of-london-street.csv"
    lines = src.read_text().splitlines()
    lines[2] = lines[2].replace("2019-01", "2019-13", 1)
    cells = lines[5].split(",")
    cells[4], cells[5] = "2.35", "48.85"
    lines[5] = ",".join(cells)
    bad = tmp_path / "2019-01-city-of-london-street.csv"
    bad.write_text("\n".join(lines) + "\n")

    [report] = ingest_paths([bad], engine, TEST_KEY)
    with engine.connect() as conn:
        rejects = conn.execute(
            select(core_reject.c.source_row, core_reject.c.field, core_reject.c.reason)
            .order_by(core_reject.c.source_row)).all()

    assert (report.read, report.loaded, report.rejected) == (617, 615, 2)
    assert [(r.source_row, r.field) for r in rejects] == [(3, "month"), (6, "latitude")]
    assert "2019-13" in rejects[0].reason


def test_a_copy_under_another_name_is_the_same_file(engine: Engine, tmp_path: Path) -> None:
    src = STREET / "2020-11-city-of-london-street.csv"
    copy = tmp_path / "copy-2020-11-city-of-london-street.csv"
    shutil.copy(src, copy)
    [first] = ingest_paths([src], engine, TEST_KEY)
    [second] = ingest_paths([copy], engine, TEST_KEY)
    assert (first.status, second.status) == ("loaded", "skipped")


def test_bulk_keys_hold_without_declared_foreign_keys(engine: Engine) -> None:
    """core_street_crime has no FK triggers (speed); its keys must hold by construction."""
    from etl.schema import ref_force

    ingest_paths([STREET], engine, TEST_KEY)
    with engine.connect() as conn:
        orphans = conn.execute(
            select(func.count()).select_from(core_street_crime).where(
                core_street_crime.c.source_file_id.not_in(select(raw_source_file.c.source_file_id))
                | core_street_crime.c.reporting_force_id.not_in(select(ref_force.c.force_id))
                | core_street_crime.c.location_force_id.not_in(select(ref_force.c.force_id))
            )
        ).scalar_one()
        unresolved = conn.execute(
            select(func.count()).select_from(core_street_crime).where(
                core_street_crime.c.reporting_force_id.is_(None))
        ).scalar_one()
    assert (orphans, unresolved) == (0, 0)
