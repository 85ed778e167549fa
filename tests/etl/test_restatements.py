"""Restatements: a force resends its extract with new outcomes, a reclassified offence and a
corrected date. Each changed incident becomes version 2 with version 1 kept whole; an exact
resend stays a duplicate; analyses read the versions current at the file they were run at,
so the release of an earlier quarter is rebuilt exactly as published (SQLite and
PostgreSQL).

The generator's extracts (seed 11, 2024-01..2026-09) stand in for a June return: the Met's
file cut at 30 June, every other force's whole. The September return is the Met's whole
file with rows of the year to June restated, chosen by rule (the first rows, in file
order, that are alone with their reference and not closed as transferred), never by what
the analysis then finds.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, select

from analytics.analyse import (
    Analysis,
    as_stored,
    compute,
    knowledge_point,
    read_inputs,
    read_link_inputs,
    read_release_inputs,
    store,
)
from analytics.release import NATIONAL, build_releases, load_run
from etl.dedupe import restatements
from etl.ingest import FileReport, ingest_paths
from etl.returns import quarter_returns
from etl.schema import core_incident, core_incident_version, core_reject, raw_source_file
from etl.synth import generate
from etl.versions import incident_history
from etl.warehouse import make_engine, migrate
from tests.conftest import TEST_KEY, fresh_warehouse_url

TODAY = dt.date(2026, 11, 28)
JUNE, SEPTEMBER = dt.date(2026, 6, 1), dt.date(2026, 9, 1)
Q2 = dt.date(2026, 4, 1)
MET = "metropolitan"
YEAR_TO_JUNE = (dt.date(2025, 7, 1), dt.date(2026, 6, 30))
DATE_FORMAT = "%d/%m/%Y"
MOVED_TO = dt.date(2026, 3, 16)


@dataclass
class Restated:
    june: Path
    september: Path
    outcome: list[str]  # force_refs whose outcome goes from under investigation to charged
    offence: list[str]  # 8R (malicious communications) reclassified as 8L (harassment)
    moved: str  # reported in Q2, corrected to MOVED_TO (Q1)
    moved_from: dt.date
    q3_rows: int


def _date(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, DATE_FORMAT).date()
    except ValueError:
        return None


@pytest.fixture(scope="module")
def extracts(tmp_path_factory: pytest.TempPathFactory) -> Restated:
    synth = tmp_path_factory.mktemp("synth")
    generate(synth, seed=11, start="2024-01", end="2026-09", scale=1.0)
    june, september = tmp_path_factory.mktemp("june"), tmp_path_factory.mktemp("september")
    for path in synth.iterdir():
        if path.is_file() and not path.name.startswith(MET):
            shutil.copy(path, june / path.name)
    source = synth / f"{MET}_2024-01_2026-09.csv"
    with source.open(newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    col = {name: k for k, name in enumerate(header)}
    ref, reported, occurred = (col["Crime Reference Number"], col["Date Reported"],
                               col["Date Committed From"])
    outcome, offence = col["Outcome"], col["HO Offence Code"]
    first = [r for r in rows if (d := _date(r[reported])) is None or d <= YEAR_TO_JUNE[1]]
    _write(june / f"{MET}_2024-01_2026-06.csv", header, first)

    alone = Counter(r[ref] for r in rows)
    eligible = [r for r in rows if alone[r[ref]] == 1 and "Transferred" not in r[outcome]
                and (d := _date(r[reported])) is not None
                and YEAR_TO_JUNE[0] <= d <= YEAR_TO_JUNE[1]]
    by_outcome = [r for r in eligible if r[outcome] == "Under investigation"][:6]
    by_offence = [r for r in eligible if r[offence] == "8R" and r not in by_outcome][:4]
    in_q2 = [r for r in eligible if r not in by_outcome + by_offence
             and _date(r[reported]) >= Q2 and (_date(r[occurred]) or MOVED_TO) <= MOVED_TO]
    for r in by_outcome:
        r[outcome] = "Charged"
    for r in by_offence:
        r[offence] = "8L"
    moved = in_q2[0]
    moved_from = _date(moved[reported])
    assert moved_from is not None
    moved[reported] = MOVED_TO.strftime(DATE_FORMAT)
    _write(september / f"{MET}_2024-01_2026-09.csv", header, rows)
    return Restated(june / f"{MET}_2024-01_2026-06.csv", september / source.name,
                    [r[ref] for r in by_outcome], [r[ref] for r in by_offence], moved[ref],
                    moved_from, len(rows) - len(first))


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *rows])


@dataclass
class Loaded:
    engine: Engine
    june: list[FileReport]
    september: FileReport
    before: dict[str, pl.DataFrame]  # the warehouse after the June returns
    june_run: int
    june_known: int
    june_release: str
    june_analysis: Analysis
    june_returns: pl.DataFrame  # the monthly returns of 2026Q3 before the September file
    q3_early: str  # the national release of 2026Q3 from a run before the September file


def _analyse(engine: Engine, as_of: dt.date, known: int | None) -> Analysis:
    incidents, forces = read_inputs(engine, known)
    return compute(incidents, forces, as_of=as_of, link_incidents=read_link_inputs(engine, known),
                   release_incidents=read_release_inputs(engine, known))


def _national(engine: Engine, quarter: dt.date) -> str:
    """The national release of the quarter as `plait report --format json` writes it."""
    return build_releases(load_run(engine, quarter), [NATIONAL])[NATIONAL].to_json()


def _read(engine: Engine, query) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return pl.read_database(query, conn, infer_schema_length=None)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def loaded(request: pytest.FixtureRequest, extracts: Restated,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    urls = fresh_warehouse_url(str(request.param), tmp_path_factory.mktemp("wh"))
    engine = make_engine(next(urls))
    migrate(engine)
    june = ingest_paths([extracts.june.parent], engine, TEST_KEY, today=TODAY)
    known = knowledge_point(engine)
    assert known is not None
    analysis = _analyse(engine, JUNE, known)
    incidents, _ = read_inputs(engine, known)
    run = store(engine, analysis, incidents.height, known_through=known)
    release = _national(engine, Q2)
    before = {
        "incident": _read(engine, select(core_incident)),
        "release_inputs": read_release_inputs(engine),
    }
    with engine.connect() as conn:
        quarter, june_returns = quarter_returns(conn, TODAY)
    assert quarter == dt.date(2026, 7, 1)
    early = _analyse(engine, SEPTEMBER, known)
    store(engine, early, incidents.height, known_through=known)
    q3_early = _national(engine, dt.date(2026, 7, 1))
    [september] = ingest_paths([extracts.september], engine, TEST_KEY, today=TODAY)
    yield Loaded(engine, june, september, before, run, known, release, analysis,
                 june_returns, q3_early)
    engine.dispose()
    for _ in urls:
        pass


def _met(refs: list[str]) -> list[str]:
    return [f"{MET}:{r}" for r in refs]


@pytest.mark.integration
def test_changed_incidents_are_updated_and_exact_resends_are_duplicates(
        loaded: Loaded, extracts: Restated) -> None:
    [first] = [r for r in loaded.june if r.force_id == MET]
    again = loaded.september
    changed = len(extracts.outcome) + len(extracts.offence) + 1
    assert again.status == "loaded", again.error
    assert again.updated == changed
    assert again.read == first.read + extracts.q3_rows
    assert again.read == again.loaded + again.updated + again.duplicate + again.rejected
    # every June row comes back: the unchanged ones as duplicates of what is held
    rejects = _read(loaded.engine, select(core_reject.c.source_row, core_reject.c.disposition,
                                          core_reject.c.reason, raw_source_file.c.file_name)
                    .join(raw_source_file).where(
                        raw_source_file.c.file_name == extracts.september.name))
    held = rejects.filter(pl.col("reason").str.contains("already loaded from"))
    assert held.height == first.loaded + first.duplicate - changed - _within_file(rejects)
    stored = _read(loaded.engine, select(raw_source_file.c.file_name,
                                         raw_source_file.c.updated_count))
    assert dict(stored.iter_rows())[extracts.september.name] == changed


def _within_file(rejects: pl.DataFrame) -> int:
    """Rows repeating an earlier row of the same file, or transferred records held: these
    were duplicates in June already and are counted there."""
    return rejects.filter(pl.col("reason").str.contains("exact duplicate of row")).height


@pytest.mark.integration
def test_each_change_is_a_new_version_and_the_old_one_is_kept_whole(
        loaded: Loaded, extracts: Restated) -> None:
    current = _read(loaded.engine, select(core_incident).where(core_incident.c.version > 1))
    expected = {i: "outcome" for i in _met(extracts.outcome)} | {
        i: "offence_code;offence_group" for i in _met(extracts.offence)} | {
        f"{MET}:{extracts.moved}": "reported_date"}
    assert dict(current.select("incident_id", "changed_fields").iter_rows()) == expected
    assert set(current["version"]) == {2}
    files = dict(_read(loaded.engine, select(raw_source_file.c.file_name,
                                             raw_source_file.c.source_file_id)).iter_rows())
    assert set(current["source_file_id"]) == {files[extracts.september.name]}

    history = _read(loaded.engine, select(core_incident_version))
    assert set(history["replaced_by_file_id"]) == {files[extracts.september.name]}
    before = loaded.before["incident"].filter(pl.col("incident_id").is_in(list(expected)))
    columns = before.columns
    assert history.select(columns).sort("incident_id").cast(before.schema).equals(
        before.sort("incident_id"))
    assert set(history["source_file_id"]) == {files[extracts.june.name]}
    values = {r["incident_id"]: r for r in current.iter_rows(named=True)}
    olds = {r["incident_id"]: r for r in history.iter_rows(named=True)}
    for incident in _met(extracts.outcome):
        assert (olds[incident]["outcome"], values[incident]["outcome"]) == (
            "under_investigation", "charged")
    for incident in _met(extracts.offence):
        assert (olds[incident]["offence_group"], values[incident]["offence_group"]) == (
            "malicious_communications", "harassment")
    moved = f"{MET}:{extracts.moved}"
    assert str(values[moved]["reported_date"])[:10] == MOVED_TO.isoformat()
    assert str(olds[moved]["reported_date"])[:10] == extracts.moved_from.isoformat()
    with loaded.engine.connect() as conn:
        story = incident_history(conn, moved)
    assert story.select("version", "file_name", "changed_fields", "is_current").rows() == [
        (1, extracts.june.name, None, False),
        (2, extracts.september.name, "reported_date", True)]
    assert story["source_row"].to_list() == [olds[moved]["source_row"],
                                             values[moved]["source_row"]]
    assert story["loaded_at"][0] <= story["loaded_at"][1]


@pytest.mark.integration
def test_counts_use_the_current_version_and_earlier_knowledge_is_rebuilt(
        loaded: Loaded, extracts: Restated) -> None:
    now = read_release_inputs(loaded.engine)
    then = loaded.before["release_inputs"]
    as_known = read_release_inputs(loaded.engine, loaded.june_known).sort("incident_id")
    assert as_known.equals(then.sort("incident_id"))

    def count(frame: pl.DataFrame, **where: str) -> int:
        ids = _met(extracts.outcome + extracts.offence)
        return frame.filter(pl.col("incident_id").is_in(ids), **where).height

    outcome, offence = len(extracts.outcome), len(extracts.offence)
    assert count(now, outcome="charged") - count(then, outcome="charged") == outcome
    assert count(then, offence_group="harassment") + offence == count(
        now, offence_group="harassment")
    new = now.filter(~pl.col("incident_id").is_in(then["incident_id"].implode()))
    assert new["reported_date"].min() >= dt.date(2026, 7, 1)


@pytest.mark.integration
def test_a_rerun_at_the_june_knowledge_matches_the_published_run(loaded: Loaded) -> None:
    again = _analyse(loaded.engine, JUNE, loaded.june_known)
    revised = _analyse(loaded.engine, JUNE, None)
    for name in ("quarter_count", "outcome", "charge_rate", "time_to_outcome"):
        published = as_stored(name, loaded.june_analysis.tables[name])
        keys = [c for c in published.columns if published.schema[c] in (pl.String, pl.Date)]
        assert as_stored(name, again.tables[name]).sort(keys).equals(published.sort(keys)), name
    q = as_stored("quarter_count", revised.tables["quarter_count"])
    p = as_stored("quarter_count", loaded.june_analysis.tables["quarter_count"])
    national = (pl.col("level") == "national") & (pl.col("dimension") == "all")

    def by_quarter(frame: pl.DataFrame) -> dict[dt.date, int]:
        return dict(frame.filter(national).select("period", "incident_count").iter_rows())

    shift = {k: by_quarter(q)[k] - v for k, v in by_quarter(p).items() if by_quarter(q)[k] != v}
    assert shift == {dt.date(2026, 1, 1): 1, Q2: -1}


@pytest.mark.integration
def test_the_earlier_quarters_release_is_unchanged(loaded: Loaded) -> None:
    known = knowledge_point(loaded.engine)
    analysis = _analyse(loaded.engine, SEPTEMBER, known)
    incidents, _ = read_inputs(loaded.engine, known)
    store(loaded.engine, analysis, incidents.height, known_through=known)
    assert _national(loaded.engine, Q2) == loaded.june_release
    returns = next(t for s in json.loads(loaded.june_release)["sections"]
                   if s["id"] == "data_quality"
                   for t in s["tables"] if t["id"] == "returns")
    assert "updated" in returns["columns"]


@pytest.mark.unit
def test_restatements_compare_values_not_layouts() -> None:
    held = pl.DataFrame({
        "incident_id": ["a:1", "a:2", "a:3"], "force_id": ["a"] * 3, "force_ref": ["1", "2", "3"],
        "reported_date": [dt.date(2026, 1, 5)] * 3, "occurred_date": [None] * 3,
        "offence_code": ["8R"] * 3, "offence_group": ["malicious_communications"] * 3,
        "hate_strand": [None] * 3, "channel": ["email"] * 3, "platform": [None] * 3,
        "victim_role": ["mp"] * 3, "victim_id": ["v"] * 3, "constituency_code": [None] * 3,
        "latitude": [51.5, None, 51.5], "longitude": [-0.12, None, -0.12],
        "suspect_keys": [""] * 3, "summary": ["s"] * 3, "outcome": ["under_investigation"] * 3,
        "outcome_date": [None] * 3, "version": [1, 3, 1]},
        schema_overrides={"occurred_date": pl.Date, "outcome_date": pl.Date})
    incoming = held.drop("version").with_columns(
        pl.Series("source_row", [2, 3, 4]),
        pl.when(pl.col("force_ref") == "2").then(pl.lit("charged")).otherwise("outcome")
        .alias("outcome"),
        pl.when(pl.col("force_ref") == "2").then(pl.lit(dt.date(2026, 2, 1)))
        .otherwise("outcome_date").alias("outcome_date"),
        pl.when(pl.col("force_ref") == "3").then(pl.lit(51.51)).otherwise("latitude")
        .alias("latitude"))
    found = restatements(incoming, held).sort("source_row")
    assert found["changed_fields"].to_list() == ["", "outcome;outcome_date", "latitude"]
    assert found["version"].to_list() == [1, 3, 1]
    assert restatements(incoming.head(0), held).height == 0


@pytest.mark.integration
def test_a_force_whose_return_has_not_come_is_late_at_ingest_and_in_the_release(
        loaded: Loaded) -> None:
    """After the June returns the Met's July to September returns are overdue on 28
    November; every other force sent its September file. Once the Met's file comes, nothing
    is late; a release made before it says so for the Met alone."""
    behind = loaded.june_returns.filter(pl.col("status") != "received")
    assert behind.select("force_id", "status").unique().rows() == [(MET, "late")]
    assert behind.height == 3
    with loaded.engine.connect() as conn:
        _, now = quarter_returns(conn, TODAY)
    assert set(now["status"]) == {"received"}
    returns = next(t for s in json.loads(loaded.q3_early)["sections"]
                   if s["id"] == "data_quality" for t in s["tables"] if t["id"] == "returns")
    notes = {row[0]: row[-1] for row in returns["rows"] if row[-1]}
    met = next(name for name in notes if "Metropolitan" in name)
    assert notes[met] == "return late for 2026-07, 2026-08, 2026-09"
    assert not any(n.startswith("return ") for name, n in notes.items() if name != met)


def _resend(source: Path, folder: Path) -> Path:
    """The same file with other bytes (so it is not skipped as already loaded) and the same
    content: a line end added to text, a comment added to a workbook's zip directory."""
    target = folder / source.name
    shutil.copy(source, target)
    if target.suffix == ".xlsx":
        with zipfile.ZipFile(target, "a") as archive:
            archive.comment = b"resent"
    else:
        with target.open("ab") as handle:
            handle.write(b"\r\n" if b"\r\n" in source.read_bytes()[:4096] else b"\n")
    return target


@pytest.mark.integration
def test_an_exact_resend_in_every_layout_is_all_duplicates(
        extracts: Restated, engine: Engine, tmp_path: Path) -> None:
    """Every force's file sent twice (CSV in each encoding and delimiter, XLSX with Excel
    dates, JSON lines): the second time nothing is loaded or updated, the rows loaded or
    marked duplicate the first time are duplicates, and the rejected ones rejected again."""
    first = {Path(r.file).name: r for r in ingest_paths([extracts.june.parent], engine,
                                                         TEST_KEY, today=TODAY)}
    again = ingest_paths([_resend(extracts.june.parent / name, tmp_path) for name in first],
                         engine, TEST_KEY, today=TODAY)
    assert len(again) == 45 and {".csv", ".xlsx", ".jsonl"} <= {Path(r.file).suffix
                                                                 for r in again}
    for r in again:
        was = first[Path(r.file).name]
        assert r.status == "loaded", (r.file, r.error)
        assert (r.read, r.loaded, r.updated, r.duplicate, r.rejected) == (
            was.read, 0, 0, was.loaded + was.duplicate, was.rejected), r.file
    with engine.connect() as conn:
        assert conn.execute(select(core_incident_version)).first() is None
