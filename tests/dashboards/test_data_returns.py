"""The Returns page's data layer: an uploaded return goes through `plait ingest`'s load, another
force's is refused before anything is written, and the receipt lists each set-aside row by
number, field and reason, never its values.

The return is a synthetic extract (`data/sample`, from `plait synth`) with new crime references
on a dozen clean rows, two of them spoiled (a 31 February, an offence in no list), and one row
left as it was loaded before: read 13 = loaded 10 + duplicate 1 + rejected 2.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, func, select

from dashboards import audit, data_returns
from dashboards.access import AccessDenied, Viewer
from etl.ingest import ingest_paths
from etl.mapping import mapping_for
from etl.schema import core_incident, raw_source_file
from etl.synth import generate
from etl.warehouse import make_engine, migrate
from tests.conftest import TEST_KEY, fresh_warehouse_url

TODAY = dt.date(2026, 11, 28)
WY = Viewer("lead-wy", "force:west-yorkshire")
KENT = Viewer("lead-kent", "force:kent")
NATIONAL = Viewer("analyst", "national")
NPCC = Viewer("npcc-lead", "npcc")
BAD_DATE_ROW, BAD_OFFENCE_ROW = 4, 7  # rows of the file, the header being row 1
CLEAN_ROWS = 12


def extract(sample: Path, force_id: str) -> Path:
    [found] = sample.glob(f"{force_id}_*.*")
    return found


def spoiled_return(sample: Path, out: Path) -> Path:
    """A West Yorkshire return built from the sample's own: 12 clean rows under new crime
    references (row 4 with an impossible reported date, row 7 with an unknown offence), then
    one clean row exactly as the sample already holds it."""
    source = extract(sample, "west-yorkshire")
    m = mapping_for("west-yorkshire")
    truth = pl.read_csv(sample / "truth" / "incidents.csv", infer_schema=False)
    clean = truth.filter((pl.col("file") == source.name) & pl.col("dirty_kind").is_null()
                         & pl.col("transfer_role").is_null())["row"].cast(int).to_list()
    with source.open(encoding=m.encoding, newline="") as fh:
        lines = list(csv.reader(fh, delimiter=m.delimiter))
    header, body = lines[0], lines[1:]
    col = {name: header.index(name) for name in header}
    rows = [list(body[r - 2]) for r in clean[: CLEAN_ROWS + 1]]
    for i, row in enumerate(rows[:CLEAN_ROWS]):
        row[col[m.columns["force_ref"]]] = f"WY-26-9{i:05d}"
    rows[BAD_DATE_ROW - 2][col[m.columns["reported_date"]]] = "31/02/2026 10:00"
    rows[BAD_OFFENCE_ROW - 2][col[m.columns["offence"]]] = "Lost property"
    path = out / "west-yorkshire_2026-10_return.csv"
    with path.open("w", encoding=m.encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=m.delimiter, lineterminator="\r\n")
        writer.writerows([header, *rows])
    return path


def with_identifier(path: Path, row: int, value: str, out: Path) -> Path:
    """The same return with one suspect identifier cell replaced (a real-looking value)."""
    m = mapping_for("west-yorkshire")
    with path.open(encoding=m.encoding, newline="") as fh:
        lines = list(csv.reader(fh))
    lines[row - 1][lines[0].index(m.suspect_identifier_columns[0])] = value
    out.mkdir(parents=True, exist_ok=True)
    changed = out / path.name
    with changed.open("w", encoding=m.encoding, newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(lines)
    return changed


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`plait synth --seed 7`, as `make run` writes data/sample (not in a clean clone)."""
    out = tmp_path_factory.mktemp("returns-sample")
    generate(out, seed=7)
    return out


@pytest.fixture
def loaded_engine(backend: str, tmp_path: Path, sample: Path) -> Iterator[Engine]:
    """A warehouse holding the sample's West Yorkshire and Kent returns."""
    for url in fresh_warehouse_url(backend, tmp_path):
        engine = make_engine(url)
        migrate(engine)
        reports = ingest_paths([extract(sample, "west-yorkshire"), extract(sample, "kent")],
                               engine, TEST_KEY, today=TODAY)
        assert [r.status for r in reports] == ["loaded", "loaded"]
        yield engine
        engine.dispose()


def _count(engine: Engine, table=core_incident) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)


def _events(engine: Engine) -> pl.DataFrame:
    return audit.events(engine).sort("event_id")


@pytest.mark.integration
def test_own_force_upload_is_loaded_and_receipted(sample: Path, loaded_engine: Engine,
                                                  tmp_path: Path) -> None:
    before = _count(loaded_engine)
    path = spoiled_return(sample, tmp_path)
    receipt = data_returns.ingest_upload(loaded_engine, WY, path.name, path.read_bytes(),
                                         TEST_KEY, synthetic_only=False, today=TODAY)
    assert (receipt.status, receipt.kind, receipt.force_id) == (
        "loaded", "force_return", "west-yorkshire")
    assert receipt.counts() == {"read": 13, "loaded": 10, "updated": 0, "duplicate": 1,
                                "rejected": 2}
    assert _count(loaded_engine) == before + 10
    rejects = receipt.rejects
    assert rejects.columns == ["source_row", "disposition", "field", "reason"]
    bad = rejects.filter(pl.col("disposition") == "rejected")
    assert bad.select("source_row", "field").rows() == [(BAD_DATE_ROW, "reported_date"),
                                                        (BAD_OFFENCE_ROW, "offence")]
    assert "not a valid date" in bad["reason"][0] and "unknown offence" in bad["reason"][1]
    [dup] = rejects.filter(pl.col("disposition") == "duplicate").rows(named=True)
    assert dup["source_row"] == CLEAN_ROWS + 2 and "already loaded" in dup["reason"]
    # no value of the rows leaves the warehouse: not the victim's name, not a crime reference
    text = receipt.to_csv().decode()
    with path.open(encoding="cp1252", newline="") as fh:
        victim = list(csv.DictReader(fh))[BAD_DATE_ROW - 2]["VictimFullName"]
    assert victim and victim not in text and "WY-26-9" not in text
    [event] = _events(loaded_engine).rows(named=True)
    assert (event["user_name"], event["action"], event["page"]) == ("lead-wy", "upload",
                                                                    "returns")
    assert path.name in event["detail"] and "loaded 10" in event["detail"]


@pytest.mark.integration
def test_same_bytes_again_change_nothing_and_repeat_the_receipt(sample: Path, loaded_engine: Engine,
                                                                tmp_path: Path) -> None:
    path = spoiled_return(sample, tmp_path)
    first = data_returns.ingest_upload(loaded_engine, NATIONAL, path.name, path.read_bytes(),
                                       TEST_KEY, synthetic_only=False, today=TODAY)
    before = _count(loaded_engine)
    again = data_returns.ingest_upload(loaded_engine, WY, path.name, path.read_bytes(),
                                       TEST_KEY, synthetic_only=False, today=TODAY)
    assert again.status == "skipped" and _count(loaded_engine) == before
    assert again.counts() == first.counts()
    assert again.rejects.equals(first.rejects)


@pytest.mark.integration
def test_another_forces_return_is_refused_before_loading(sample: Path,
                                                         loaded_engine: Engine) -> None:
    kent = extract(sample, "kent")
    files = _count(loaded_engine, raw_source_file)
    with pytest.raises(AccessDenied, match="kent"):
        data_returns.ingest_upload(loaded_engine, WY, kent.name, kent.read_bytes(), TEST_KEY,
                                   synthetic_only=False, today=TODAY)
    with pytest.raises(AccessDenied):
        data_returns.ingest_upload(loaded_engine, NPCC, kent.name, kent.read_bytes(), TEST_KEY,
                                   synthetic_only=False, today=TODAY)
    assert _count(loaded_engine, raw_source_file) == files
    events = _events(loaded_engine)
    assert events["action"].to_list() == ["refused", "refused"]
    assert events["user_name"].to_list() == ["lead-wy", "npcc-lead"]
    assert kent.name in events["detail"][0]


@pytest.mark.integration
def test_a_file_whose_force_cannot_be_told_is_not_loaded(sample: Path, loaded_engine: Engine,
                                                         tmp_path: Path) -> None:
    """Nine forces export Athena's layout: without the force in its name, Kent's workbook is
    nobody's; a file of no known layout is nobody's either. Both fail, are receipted and
    audited, and nothing is written."""
    files = _count(loaded_engine, raw_source_file)
    kent = extract(sample, "kent").read_bytes()
    nameless = data_returns.ingest_upload(loaded_engine, KENT, "C:\\exports\\athena.xlsx", kent,
                                          TEST_KEY, synthetic_only=False, today=TODAY)
    assert (nameless.file, nameless.status) == ("athena.xlsx", "failed")
    assert "several forces" in (nameless.error or "")
    unknown = data_returns.ingest_upload(loaded_engine, WY, "notes.csv", b"a,b\n1,2\n",
                                         TEST_KEY, synthetic_only=False, today=TODAY)
    assert unknown.status == "failed" and "layout" in (unknown.error or "")
    assert _count(loaded_engine, raw_source_file) == files
    events = _events(loaded_engine)
    assert events["action"].to_list() == ["upload", "upload"]
    assert all("failed" in d for d in events["detail"])


@pytest.mark.integration
def test_without_a_key_only_invented_people_are_accepted(sample: Path, loaded_engine: Engine,
                                                         tmp_path: Path) -> None:
    path = spoiled_return(sample, tmp_path)
    real = with_identifier(path, 5, "jane.doe1987@gmail.com", tmp_path / "real")
    with pytest.raises(data_returns.UploadRefused, match=r"row 5, SuspectIdentifiers") as exc:
        data_returns.ingest_upload(loaded_engine, WY, real.name, real.read_bytes(), TEST_KEY,
                                   synthetic_only=True, today=TODAY)
    assert "gmail" not in str(exc.value) and "jane" not in str(exc.value)
    [event] = _events(loaded_engine).rows(named=True)
    assert event["action"] == "refused" and "gmail" not in event["detail"]
    receipt = data_returns.ingest_upload(loaded_engine, WY, path.name, path.read_bytes(),
                                         TEST_KEY, synthetic_only=True, today=TODAY)
    assert receipt.status == "loaded" and receipt.loaded == 10


@pytest.mark.integration
def test_a_server_key_that_is_not_the_warehouses_is_refused(sample: Path, loaded_engine: Engine,
                                                             tmp_path: Path) -> None:
    path = spoiled_return(sample, tmp_path)
    with pytest.raises(data_returns.UploadRefused, match="another PLAIT_PSEUDONYM_KEY"):
        data_returns.ingest_upload(loaded_engine, WY, path.name, path.read_bytes(),
                                   b"not-the-warehouse-key", synthetic_only=False, today=TODAY)
    [event] = _events(loaded_engine).rows(named=True)
    assert event["action"] == "refused" and _count(loaded_engine, raw_source_file) == 2


@pytest.mark.integration
def test_returns_loaded_by_role(loaded_engine: Engine) -> None:
    assert data_returns.returns_loaded(loaded_engine, WY)["force_id"].to_list() == [
        "west-yorkshire"]
    assert sorted(data_returns.returns_loaded(loaded_engine, NATIONAL)["force_id"]) == [
        "kent", "west-yorkshire"]
    with pytest.raises(AccessDenied):
        data_returns.returns_loaded(loaded_engine, NPCC)


@pytest.mark.unit
def test_receipt_csv_is_one_table_with_each_set_aside_row() -> None:
    rejects = pl.DataFrame({"source_row": [4, 9], "disposition": ["rejected", "duplicate"],
                            "field": ["reported_date", "force_ref"],
                            "reason": ["=bad: cannot be read", "already loaded"]},
                           schema=data_returns.REJECT_COLUMNS)
    receipt = data_returns.Receipt("x.csv", "force_return", "kent", "loaded", read=10,
                                   loaded=8, duplicate=1, rejected=1, rejects=rejects)
    rows = list(csv.DictReader(io.StringIO(receipt.to_csv().decode())))
    assert [(r["source_row"], r["field"]) for r in rows] == [("4", "reported_date"),
                                                             ("9", "force_ref")]
    assert {r["read"] for r in rows} == {"10"} and {r["updated"] for r in rows} == {"0"}
    assert rows[0]["reason"] == "'=bad: cannot be read"  # never a spreadsheet formula
    empty = data_returns.Receipt("y.csv", "force_return", "kent", "loaded", read=3, loaded=3)
    [only] = list(csv.DictReader(io.StringIO(empty.to_csv().decode())))
    assert (only["loaded"], only["source_row"]) == ("3", "")


@pytest.mark.unit
@pytest.mark.parametrize(("column", "value", "invented"), [
    ("VictimFullName", "Cordelia Pellstow", True),
    ("VictimFullName", "CORDELIA DRUMWOLD", True),
    ("VictimFullName", "Émile Tansyridge-Wrenbeck", True),
    ("VictimFullName", "Jane Smith", False),
    ("SuspectName", "Rhys Harrowhithe", True),
    ("SuspectName", "Rhys Jones", False),
    ("SuspectIdentifiers", "blunt.farmer93@example-mail.co.uk", True),
    ("SuspectIdentifiers", "@lion_weary89; 07700 900123", True),
    ("SuspectIdentifiers", "+44 (0)113 496 0555", True),
    ("SuspectIdentifiers", "07911 123456", False),
    ("SuspectIdentifiers", "someone@gmail.com", False),
    ("SuspectIdentifiers", "@realperson", False),
    ("SuspectIdentifiers", "n/a", True),
])
def test_not_invented(column: str, value: str, invented: bool) -> None:
    m = mapping_for("west-yorkshire")
    raw = pl.DataFrame({c: [None] for c in m.source_columns}, schema=dict.fromkeys(
        m.source_columns, pl.String)).with_columns(pl.lit(value).alias(column),
                                                   pl.lit(2).alias("source_row"))
    problems = data_returns.not_invented(raw, m)
    assert problems == ([] if invented else [f"row 2, {column}: " + (
        "not an invented identifier" if column == "SuspectIdentifiers"
        else "not an invented name")])


@pytest.mark.unit
def test_every_sample_return_is_invented(sample: Path) -> None:
    """The rule must not refuse what `plait synth` wrote (data/sample: every force)."""
    from etl.ingest import detect, read_force_return

    returns = [p for p in sorted(sample.glob("*_*.*")) if p.suffix in (".csv", ".xlsx", ".jsonl")]
    assert len(returns) >= 40  # every force's return
    for path in returns:
        data = path.read_bytes()
        found = detect(path, data)
        assert found.mapping is not None
        assert data_returns.not_invented(read_force_return(path, found.mapping, data),
                                         found.mapping) == [], path.name
