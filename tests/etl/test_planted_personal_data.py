"""Nothing sensitive escapes (issue 13): personal data planted in every column of invalid and
malformed rows of four forces' returns (CSV in UTF-8 and cp1252, XLSX, JSON lines) is found in
no text column of any table after ingest, on SQLite and PostgreSQL; a reject's coordinates are
cut to 2 decimals as an incident's are.

The planted values are written here, not taken from the generator: a common British name
(in the name lists), a surname after a title, a full name that only this file's name columns
hold, phone numbers in four ways, an email with a plus, a handle with and without `@`, a
postcode, a URL and a coordinate to 6 decimals."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, String, Text, select

from etl.ingest import ingest_paths
from etl.mapping import ForceMapping, mapping_for
from etl.schema import core_reject, metadata
from etl.synth import generate
from etl.synth.writers import write_extract
from tests.conftest import TEST_KEY
from tests.synth.conftest import extract_path, read_extract

pytestmark = pytest.mark.integration
TODAY = dt.date(2026, 11, 28)
FORCES = ("metropolitan", "west-yorkshire", "essex", "btp")
PLANTS = (
    "Sarah Thompson", "Mrs Quarrington", "Zebedee Fitchworth-Lane", "07911 123456",
    "+44 7911 123457", "0044 7911 123 458", "447911123459", "zebedee.q+mp@fitchmail.co.uk",
    "@zebq_fitch", "zebq_fitch", "SW1A 2AA", "https://fitchmail.example/zebq", "51.503396",
)
# lower-cased parts of the plants that no stored text may contain
SECRETS = ("sarah", "thompson", "quarrington", "zebedee", "fitchworth", "fitchmail", "zebq",
           "7911 123", "7911123", "911 123", "sw1a 2aa", "sw1a2aa", "503396", "51.503")
NOT_A_DATE = "see notes"


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, int]]:
    """Each force's return: one clean row, then for every column and every plant a row
    rejected (its reported date spoiled unless the plant is in that column), a row with a
    plant in every column, a repeat of the row whose reference is a name (quarantined as a
    duplicate), and (text formats) malformed lines full of plants."""
    sample = tmp_path_factory.mktemp("sample")
    generate(sample, seed=3, start="2025-01", end="2025-06", scale=1.0)
    out = tmp_path_factory.mktemp("planted")
    files: dict[str, tuple[Path, int]] = {}
    for force in FORCES:
        m = mapping_for(force)
        header, rows = read_extract(extract_path(sample, m), m)
        base = rows[0]
        ref, reported = m.columns["force_ref"], m.columns["reported_date"]
        written = [dict(base)]
        for c, column in enumerate(header):
            for p, plant in enumerate(PLANTS):
                row = dict(base)
                row[ref] = f"PII-{c}-{p}"
                row[reported] = NOT_A_DATE
                row[column] = plant
                written.append(row)
        written.append({column: PLANTS[i % len(PLANTS)] for i, column in enumerate(header)})
        written.append(dict(written[1 + header.index(ref) * len(PLANTS)]))  # a repeat
        path = out / extract_path(sample, m).name
        write_extract(path, m, header, written)  # type: ignore[arg-type]
        files[force] = (path, len(written) - 1 + _add_malformed(path, m, header))
    return files


def _add_malformed(path: Path, m: ForceMapping, header: list[str]) -> int:
    """Lines that cannot be split into the header's fields, each full of plants."""
    if m.format == "csv":
        lines = [m.delimiter.join([*PLANTS, *PLANTS][: len(header) + 3]),
                 m.delimiter.join(PLANTS[: len(header) - 4]),
                 '"' + m.delimiter.join(PLANTS) + '\n"']
        newline = "\r\n" if m.encoding == "cp1252" else "\n"
        with path.open("a", encoding=m.encoding, newline="") as fh:
            fh.write(newline.join(lines) + newline)
        return 2
    if m.format == "jsonl":
        record = {column: PLANTS[i % len(PLANTS)] for i, column in enumerate(header)}
        broken = json.dumps(record)[:-20]
        with path.open("a", encoding="utf-8") as fh:
            fh.write(broken + "\n" + "{" + ", ".join(PLANTS) + "\n")
        return 2
    return 0


def _stored_texts(engine: Engine) -> list[tuple[str, str, str]]:
    """(table, column, value) of every text cell in every table."""
    out: list[tuple[str, str, str]] = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
            if not columns:
                continue
            for row in conn.execute(select(*columns)):
                out.extend((table.name, c.name, v) for c, v in zip(columns, row, strict=True)
                           if v)
    return out


def test_no_planted_value_is_stored_anywhere(engine: Engine,
                                             planted: dict[str, tuple[Path, int]]) -> None:
    reports = ingest_paths([p for p, _ in planted.values()], engine, TEST_KEY, today=TODAY)
    assert [r.status for r in reports] == ["loaded"] * len(FORCES), reports
    for report, (_, bad) in zip(reports, planted.values(), strict=True):
        assert report.loaded <= 1 and report.rejected >= bad - 1, report  # all but the base
    texts = _stored_texts(engine)
    assert len(texts) > 1000
    leaks = [(t, c, v) for t, c, v in texts if any(s in v.lower() for s in SECRETS)]
    assert [(t, c, next(s for s in SECRETS if s in v.lower()), v) for t, c, v in leaks] == []
    with engine.connect() as conn:
        rejects = conn.execute(select(core_reject.c.reason, core_reject.c.raw_row)).all()
    assert any("[phone]" in raw and "[email]" in raw and "[name]" in raw for _, raw in rejects)
    assert all("Thompson" not in reason for reason, _ in rejects)


def test_reject_coordinates_keep_two_decimals(engine: Engine,
                                              planted: dict[str, tuple[Path, int]]) -> None:
    ingest_paths([planted["metropolitan"][0]], engine, TEST_KEY, today=TODAY)
    m = mapping_for("metropolitan")
    lat, lon = m.columns["latitude"], m.columns["longitude"]
    with engine.connect() as conn:
        raws = [json.loads(r) for (r,) in conn.execute(select(core_reject.c.raw_row))]
    rows = [r for r in raws if lat in r]  # not malformed lines, not repeats
    assert rows
    for row in rows:
        for column in (lat, lon):
            value = row[column]
            if value is None or value.startswith("["):
                continue
            decimals = [len(part) for part in value.replace("-", " ").split(".")[1:]]
            assert all(d <= 2 for d in decimals), (column, value)
    assert any(row[lat] == "51.5" for row in rows)  # the planted 51.503396, coarsened
    assert any(row[lat] not in (None, "51.5") for row in rows)  # the clean row's own
