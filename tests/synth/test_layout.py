"""Every force gets one extract in its own layout, reproducibly, and only dirt is invalid."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from etl import reference
from etl.mapping import ForceMapping, all_mappings
from etl.synth import SynthSummary, generate
from etl.synth.dates import EXCEL_SERIAL
from etl.synth.house_style import EXTRA_COLUMNS
from etl.vocabulary import NULL_TOKENS, PLATFORMS
from tests.synth.conftest import extract_path, read_extract, truth

pytestmark = pytest.mark.unit
TODAY = dt.date(2026, 11, 28)
UK = ((49.8, 60.95), (-8.7, 1.8))


def test_the_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    runs = [generate(tmp_path / name, seed=seed, start="2023-01", end="2024-12", scale=0.3)
            for name, seed in (("a", 3), ("b", 3), ("c", 4))]
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*")
                   if p.is_file())
    assert len(files) == 45 + 9
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    assert runs[0].rows_total == runs[1].rows_total
    changed = [f for f in files
               if (tmp_path / "a" / f).read_bytes() != (tmp_path / "c" / f).read_bytes()]
    assert len(changed) > 40


def test_every_mapping_gets_one_file_with_exactly_its_header(small: SynthSummary) -> None:
    assert len(small.files) == len(all_mappings()) == 45
    for m in all_mappings():
        path = extract_path(small.out, m)
        assert path.name == f"{m.force_id}_2016-01_2026-09.{m.format}"
        header, rows = read_extract(path, m)
        assert header == [*m.source_columns, *EXTRA_COLUMNS.get(m.records_system, ())]
        assert len(rows) == small.rows_by_force[m.force_id]


def test_cp1252_extracts_need_their_encoding(full: SynthSummary) -> None:
    for m in all_mappings():
        if m.format == "csv" and m.encoding == "cp1252":
            raw = extract_path(full.out, m).read_bytes()
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
            assert "’" in raw.decode("cp1252")


def _parse(mapping: ForceMapping, text: str) -> dt.date:
    if mapping.date_format == EXCEL_SERIAL:
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(float(text)))
    return dt.datetime.strptime(text, mapping.date_format).date()


def _key(text: str) -> str:
    return " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


@cache
def _wordings(force_id: str) -> dict[str, set[str]]:
    own = next(m for m in all_mappings() if m.force_id == force_id).values
    table = reference.value_wordings()
    return {
        field: {_key(w) for w in table.filter(table["field"] == field)["wording"]}
        | {_key(w) for w in own.get(field, {})}
        for field in ("channel", "victim_role", "outcome", "hate_strand")
    }


@cache
def _offences() -> tuple[set[str], set[str]]:
    return ({_key(w) for w in reference.offence_taxonomy()["wording"]},
            set(reference.ho_code_groups()["ho_code"]))


def _row_problems(m: ForceMapping, row: dict[str, str | None],
                  seats: dict[int, tuple[set[str], set[str]]]) -> list[str]:
    """What an ingest would reject in a row, checked independently of the ingest code."""
    cols = m.columns
    problems = []
    words = _wordings(m.force_id)
    offences, codes = _offences()
    for field in ("force_ref", "reported_date", "offence", "channel", "victim_role", "outcome"):
        if not row[cols[field]]:
            problems.append(f"{field} missing")
    if problems:
        return problems
    reported = _parse(m, row[cols["reported_date"]] or "")
    if not dt.date(2016, 1, 1) <= reported <= TODAY:
        problems.append("reported out of range")
    if row[cols["occurred_date"]] and _parse(m, row[cols["occurred_date"]] or "") > reported:
        problems.append("occurred after reported")
    if row[cols["outcome_date"]] and _parse(m, row[cols["outcome_date"]] or "") < reported:
        problems.append("outcome before reported")
    offence = row[cols["offence"]] or ""
    code = offence.upper().lstrip("0") if offence[:1].isdigit() else ""
    if _key(offence) not in offences and code not in codes:
        problems.append(f"offence {offence!r}")
    for field, allowed in words.items():
        value = row[cols[field]]
        if value and value.strip().lower() not in NULL_TOKENS and _key(value) not in allowed:
            problems.append(f"{field} {value!r}")
    platform = row.get(cols["platform"])
    if platform and platform not in (*PLATFORMS, "Twitter"):
        problems.append(f"platform {platform!r}")
    seat = row[cols["constituency"]] or ""
    codes_by_year, names_by_year = seats[2010 if reported < dt.date(2024, 7, 4) else 2024]
    if seat not in codes_by_year and seat not in names_by_year:
        problems.append(f"constituency {seat!r} not on the boundaries of {reported}")
    if "latitude" in cols and row[cols["latitude"]]:
        lat, lon = float(row[cols["latitude"]] or 0), float(row[cols["longitude"]] or 0)
        if not (UK[0][0] <= lat <= UK[0][1] and UK[1][0] <= lon <= UK[1][1]):
            problems.append("coordinates outside the UK")
    return problems


def test_only_planted_rows_are_invalid(small: SynthSummary) -> None:
    frame = reference.constituencies()
    seats = {
        year: (set(frame.filter(frame["boundary_year"] == year)["constituency_code"]),
               set(frame.filter(frame["boundary_year"] == year)["constituency_name"]))
        for year in (2010, 2024)
    }
    dirty = truth(small.out, "dirty_rows.csv")
    planted = {(r["file"], int(r["row"])) for r in dirty.iter_rows(named=True)}
    invalid: set[tuple[str, int]] = set()
    for m in all_mappings():
        path = extract_path(small.out, m)
        _, rows = read_extract(path, m)
        first = 1 if m.format == "jsonl" else 2
        refs = Counter(r[m.columns["force_ref"]] for r in rows)
        seen: set[tuple[str | None, ...]] = set()
        for n, row in enumerate(rows, start=first):
            try:
                problems = _row_problems(m, row, seats)
            except ValueError as exc:
                problems = [str(exc)]
            ref = row[m.columns["force_ref"]]
            if ref and refs[ref] > 1 and tuple(row.values()) in seen:
                problems.append("duplicate")
            seen.add(tuple(row.values()))
            if problems:
                invalid.add((path.name, n))
                assert (path.name, n) in planted, (path.name, n, problems)
    assert invalid == planted


def test_dirty_rows_hold_the_value_the_truth_states(small: SynthSummary) -> None:
    dirty = truth(small.out, "dirty_rows.csv")
    assert 0.005 <= dirty.height / small.rows_total <= 0.02
    assert set(dirty["kind"]) == {"missing_field", "impossible_date", "unknown_offence",
                                  "unknown_value", "bad_coordinates", "exact_duplicate"}
    assert dirty["force_id"].n_unique() >= 8
    by_name = {extract_path(small.out, m).name: m for m in all_mappings()}
    assert len({by_name[f].format for f in dirty["file"]}) == 3
    for r in dirty.iter_rows(named=True):
        m = by_name[r["file"]]
        _, rows = read_extract(small.out / r["file"], m)
        row = rows[int(r["row"]) - (1 if m.format == "jsonl" else 2)]
        cell = row[m.columns[r["field"]]]
        assert (cell or "") == r["value"], r
        assert (row[m.columns["force_ref"]] or "") == r["force_ref"]
        if r["kind"] == "exact_duplicate":
            earlier = rows[: int(r["row"]) - (1 if m.format == "jsonl" else 2)]
            assert row in earlier


def test_dirty_rows_are_ordinary_crimes(small: SynthSummary) -> None:
    incidents = truth(small.out, "incidents.csv")
    dirty = incidents.filter(incidents["dirty_kind"] != "")
    assert dirty.height == truth(small.out, "dirty_rows.csv").height
    for column in ("series_id", "campaign_id", "exceedance_id", "transfer_role"):
        assert set(dirty[column]) == {""}, column


def test_truth_lists_every_row_once(small: SynthSummary) -> None:
    incidents = truth(small.out, "incidents.csv")
    assert incidents.height == small.rows_total
    assert incidents.select("file", "row").n_unique() == incidents.height
    manifest_rows = sum(small.rows_by_force.values())
    assert manifest_rows == small.rows_total


@pytest.mark.parametrize(
    ("start", "end", "scale"),
    [("2015-12", "2020-01", 1.0), ("2020-01", "2027-01", 1.0), ("2021-06", "2021-01", 1.0),
     ("2020-01", "2021-01", 0.0), ("2020-1", "2021-01", 1.0)],
)
def test_bad_arguments_are_refused(tmp_path: Path, start: str, end: str, scale: float) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path, start=start, end=end, scale=scale)
