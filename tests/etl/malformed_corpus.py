"""A corpus of malformed force returns, each made from a real synthetic extract.

`build(sample_dir, out)` takes the extracts `etl.synth.generate` wrote to `sample_dir`, keeps
the first clean rows of four forces (the Met's UTF-8 CSV, Leicestershire's cp1252 CSV,
West Midlands' JSON lines, Kent's XLSX; "clean" by the generator's `truth/dirty_rows.csv`),
and writes one file per fault a real extract shows. Each `Variant` says what a user should
see: the file's status, how many rows are read, which rows are quarantined, and the words
that name the cause (in the file's error, or in each quarantined row's reason).

Rows are numbered as ingest numbers them: for CSV and XLSX the header is row 1; for JSON
lines the first line is row 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import fastexcel
import polars as pl
import xlsxwriter

from etl.mapping import ForceMapping, mapping_for

ROWS = 30
PLANTED_EMAIL = "planted.suspect@malformed-example.org"
CSV_FORCE, CP1252_FORCE, JSONL_FORCE, XLSX_FORCE = (
    "metropolitan", "leicestershire", "west-midlands", "kent")


@dataclass(frozen=True)
class Variant:
    """One malformed file and what ingest should make of it."""

    kind: str
    path: Path
    status: str  # "loaded" or "failed"
    cause: str  # words naming the cause: in the error, or in every faulted row's reason
    read: int = 0
    faulted: tuple[int, ...] = ()  # rows quarantined
    warning: str | None = None  # words of a warning the report carries
    secrets: tuple[str, ...] = ()  # sensitive values in a faulted row; never stored raw
    line_numbers: bool = False  # each faulted row's reason names its line


@dataclass
class Base:
    """A force's clean rows, as the generator wrote them."""

    mapping: ForceMapping
    header: list[str]
    rows: list[list[str | None]]
    lines: list[str] = field(default_factory=list)  # CSV and JSON lines: rows as written

    def column(self, field_name: str) -> int:
        return self.header.index(self.mapping.columns.get(field_name, field_name))

    def secrets_of(self, index: int) -> tuple[str, ...]:
        row = self.rows[index]
        cells = [row[self.column(f)] for f in ("victim_name", "suspect_name")
                 if f in self.mapping.columns]
        return tuple(c for c in cells if c)


KINDS: dict[str, Callable[[dict[str, Base], Path], Variant]] = {}


def kind(name: str) -> Callable[[Callable[..., Variant]], Callable[..., Variant]]:
    def register(write: Callable[..., Variant]) -> Callable[..., Variant]:
        KINDS[name] = write
        return write
    return register


def build(sample_dir: Path, out: Path) -> dict[str, Variant]:
    """Every variant, written to `out`."""
    out.mkdir(parents=True, exist_ok=True)
    bases = {force: _base(sample_dir, force)
             for force in (CSV_FORCE, CP1252_FORCE, JSONL_FORCE, XLSX_FORCE)}
    return {name: write(bases, out) for name, write in KINDS.items()}


def _base(sample_dir: Path, force: str) -> Base:
    mapping = mapping_for(force)
    [path] = sample_dir.glob(f"{force}_*.{mapping.format}")
    dirty = pl.read_csv(sample_dir / "truth" / "dirty_rows.csv", infer_schema=False).filter(
        pl.col("file") == path.name)["row"].cast(pl.Int64).to_list()
    if mapping.format == "xlsx":
        sheet = fastexcel.read_excel(path.read_bytes()).load_sheet(
            mapping.sheet, dtypes="string").to_polars()
        rows = [list(r) for i, r in enumerate(sheet.rows(), start=2) if i not in dirty]
        return Base(mapping, sheet.columns, rows[:ROWS])
    text = path.read_bytes().decode(mapping.encoding)
    lines = text.splitlines()
    if mapping.format == "jsonl":
        kept = [x for i, x in enumerate(lines, start=1) if i not in dirty][:ROWS]
        header = list(json.loads(kept[0]))
        return Base(mapping, header, [list(json.loads(x).values()) for x in kept], kept)
    header, *records = lines
    kept = [x for i, x in enumerate(records, start=2) if i not in dirty][:ROWS]
    rows: list[list[str | None]] = [next(csv.reader([x], delimiter=mapping.delimiter))
                                    for x in kept]
    return Base(mapping, next(csv.reader([header], delimiter=mapping.delimiter)), rows, kept)


def _name(base: Base, label: str) -> str:
    ext = base.mapping.format
    return f"{base.mapping.force_id}_{label}.{ext}"


def _csv(base: Base, rows: list[list[str | None]]) -> list[str]:
    out = []
    for row in rows:
        buf = io.StringIO()
        csv.writer(buf, delimiter=base.mapping.delimiter, lineterminator="\r\n").writerow(
            ["" if c is None else c for c in row])
        out.append(buf.getvalue().removesuffix("\r\n"))  # CR and LF in a value get quoted
    return out


def _write_csv(out: Path, base: Base, label: str, lines: list[str], *,
               encoding: str | None = None, newline: str = "\n", bom: bytes = b"") -> Path:
    path = out / _name(base, label)
    text = newline.join([base.mapping.delimiter.join(base.header), *lines]) + newline
    path.write_bytes(bom + text.encode(encoding or base.mapping.encoding))
    return path


def _planted(base: Base, index: int) -> list[str | None]:
    """Row `index` with a suspect e-mail planted in its identifier column and its summary."""
    row = list(base.rows[index])
    ids = base.mapping.suspect_identifier_columns
    email_column = next(c for c in ids if "mail" in c.lower())
    row[base.header.index(email_column)] = PLANTED_EMAIL
    summary = base.column("summary")
    row[summary] = f"{row[summary]} Reply to {PLANTED_EMAIL} now."
    return row


# ---- CSV: rows that cannot be split ------------------------------------------------------------


@kind("csv_too_many_fields")
def _too_many(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CSV_FORCE]
    lines = [*b.lines[:4], _unquoted(b, _planted(b, 4), ", reply"), *b.lines[5:]]
    return Variant("csv_too_many_fields", _write_csv(out, b, "too_many", lines), "loaded",
                   "21 fields where the header has 20", read=len(b.rows), faulted=(6,),
                   secrets=(PLANTED_EMAIL, *b.secrets_of(4)), line_numbers=True)


def _unquoted(b: Base, row: list[str | None], comma: str = " reply",
              summary_prefix: str = "", summary_suffix: str = "") -> str:
    """The row as a naive exporter writes it: the summary never quoted, so a comma in it
    splits it and a quote in it is taken as written."""
    cells = ["" if c is None else c for c in row]
    summary = b.column("summary")
    text = cells[summary].replace(",", " ").replace('"', "'").replace(" Reply", comma, 1)
    cells[summary] = f"{summary_prefix}{text}{summary_suffix}"
    return ",".join(f'"{c}"' if ("," in c and i != summary) else c for i, c in enumerate(cells))


@kind("csv_too_few_fields")
def _too_few(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CSV_FORCE]
    line = _csv(b, [_planted(b, 7)])[0]
    line = line[: line.rfind(",")]  # the last field lost
    lines = [*b.lines[:7], line, *b.lines[8:]]
    return Variant("csv_too_few_fields", _write_csv(out, b, "too_few", lines), "loaded",
                   "19 fields where the header has 20", read=len(b.rows), faulted=(9,),
                   secrets=(PLANTED_EMAIL, *b.secrets_of(7)), line_numbers=True)


@kind("csv_unterminated_quote")
def _unterminated(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CSV_FORCE]
    line = _unquoted(b, _planted(b, 10), summary_prefix='"')  # a quote opened, never closed
    lines = [*b.lines[:10], line, *b.lines[11:]]
    return Variant("csv_unterminated_quote", _write_csv(out, b, "unterminated", lines), "loaded",
                   "never closed", read=len(b.rows), faulted=(12,),
                   secrets=(PLANTED_EMAIL, *b.secrets_of(10)), line_numbers=True)


@kind("csv_undecodable_bytes")
def _undecodable(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CSV_FORCE]
    line = _csv(b, [_planted(b, 2)])[0]
    path = out / _name(b, "undecodable")
    head = "\n".join([",".join(b.header), *b.lines[:2]]).encode()
    bad = line.encode().replace(b" Reply", b" \xff\xfe\xc3( Reply", 1)
    tail = "\n".join(b.lines[3:]).encode()
    path.write_bytes(head + b"\n" + bad + b"\n" + tail + b"\n")
    return Variant("csv_undecodable_bytes", path, "loaded", "is not valid utf-8",
                   read=len(b.rows), faulted=(4,), secrets=(PLANTED_EMAIL, *b.secrets_of(2)),
                   line_numbers=True)


@kind("csv_text_after_closing_quote")
def _after_quote(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CSV_FORCE]
    line = _unquoted(b, b.rows[3], summary_prefix='"', summary_suffix='" he wrote')
    lines = [*b.lines[:3], line, *b.lines[4:]]
    return Variant("csv_text_after_closing_quote", _write_csv(out, b, "after_quote", lines),
                   "loaded", "text follows the closing quote", read=len(b.rows), faulted=(5,),
                   line_numbers=True)


@kind("csv_file_cut_mid_row")
def _cut(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CSV_FORCE]
    lines = [*b.lines[:-1], ",".join(b.lines[-1].split(",")[:5])]
    path = _write_csv(out, b, "cut", lines)
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    return Variant("csv_file_cut_mid_row", path, "loaded", "the row cut short",
                   read=len(b.rows), faulted=(len(b.rows) + 1,), line_numbers=True)


# ---- CSV: rows that are not records ------------------------------------------------------------


@kind("csv_second_header_row")
def _second_header(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CSV_FORCE]
    lines = [*b.lines[:15], ",".join(b.header), *b.lines[15:]]
    return Variant("csv_second_header_row", _write_csv(out, b, "header_again", lines), "loaded",
                   "second header row", read=len(b.rows) + 1, faulted=(17,))


@kind("csv_totals_row")
def _totals(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CSV_FORCE]
    total = ["Total", str(len(b.rows))] + [""] * (len(b.header) - 2)
    lines = [*b.lines, ",".join(total)]
    return Variant("csv_totals_row", _write_csv(out, b, "totals", lines), "loaded",
                   "a totals row", read=len(b.rows) + 1, faulted=(len(b.rows) + 2,))


@kind("csv_dates_in_three_formats")
def _dates(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CSV_FORCE]
    rows = [list(r) for r in b.rows]
    reported = b.column("reported_date")
    faulted = []
    for index in (5, 6, 11, 12):  # dd/mm/yyyy → ISO, and → "5 Mar 2024"
        day = dt.datetime.strptime(rows[index][reported] or "", "%d/%m/%Y")
        rows[index][reported] = day.strftime("%Y-%m-%d" if index < 10 else "%d %b %Y")
        faulted.append(index + 2)
    return Variant("csv_dates_in_three_formats",
                   _write_csv(out, b, "three_date_formats", _csv(b, rows)), "loaded",
                   "is not a valid date in the format %d/%m/%Y", read=len(b.rows),
                   faulted=tuple(faulted))


@kind("csv_header_only")
def _header_only(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CSV_FORCE]
    return Variant("csv_header_only", _write_csv(out, b, "header_only", []), "loaded", "", read=0)


# ---- CSV: read whole, with or without a warning ------------------------------------------------


@kind("csv_trailing_delimiter")
def _trailing(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CSV_FORCE]
    lines = [x + "," for x in b.lines]
    return Variant("csv_trailing_delimiter", _write_csv(out, b, "trailing", lines), "loaded", "",
                   read=len(b.rows), warning="extra delimiter")


@kind("csv_crlf_inside_quoted_field")
def _crlf(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CSV_FORCE]
    rows = [list(r) for r in b.rows]
    summary = b.column("summary")
    for index in (3, 9):
        rows[index][summary] = f"{rows[index][summary]}\r\nSecond paragraph of the report."
    path = _write_csv(out, b, "crlf_in_field", _csv(b, rows), newline="\r\n")
    return Variant("csv_crlf_inside_quoted_field", path, "loaded", "", read=len(b.rows))


@kind("csv_mac_line_endings")
def _mac(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CSV_FORCE]
    path = _write_csv(out, b, "mac_cr", b.lines, newline="\r")
    return Variant("csv_mac_line_endings", path, "loaded", "", read=len(b.rows))


@kind("csv_stray_quote_in_value")
def _stray(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CSV_FORCE]
    row = list(b.rows[8])
    row[b.column("summary")] = 'Photo of a 6" knife left at the office'
    lines = [*b.lines[:8], _unquoted(b, row), *b.lines[9:]]
    return Variant("csv_stray_quote_in_value", _write_csv(out, b, "stray_quote", lines), "loaded",
                   "", read=len(b.rows))


@kind("csv_blank_lines")
def _blank(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CSV_FORCE]
    lines = [*b.lines[:5], "", *b.lines[5:10], "," * (len(b.header) - 1), *b.lines[10:], "", ""]
    return Variant("csv_blank_lines", _write_csv(out, b, "blank_lines", lines), "loaded", "",
                   read=len(b.rows))


@kind("csv_title_above_header")
def _title(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CSV_FORCE]
    path = _write_csv(out, b, "title", b.lines)
    path.write_bytes(b"Connect export: crimes against MPs\n\n" + path.read_bytes())
    return Variant("csv_title_above_header", path, "loaded", "", read=len(b.rows),
                   warning="above the header")


@kind("csv_nul_bytes")
def _nul(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CSV_FORCE]
    lines = [*b.lines[:6], b.lines[6].replace(",", ",\x00", 2), *b.lines[7:]]
    return Variant("csv_nul_bytes", _write_csv(out, b, "nul", lines), "loaded", "",
                   read=len(b.rows), warning="NUL byte")


@kind("csv_utf8_bom")
def _bom(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CSV_FORCE]
    return Variant("csv_utf8_bom", _write_csv(out, b, "bom", b.lines, bom=b"\xef\xbb\xbf"),
                   "loaded", "", read=len(b.rows))


@kind("csv_utf16_with_bom")
def _utf16(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CSV_FORCE]
    path = _write_csv(out, b, "utf16", b.lines, encoding="utf-16", newline="\r\n")
    return Variant("csv_utf16_with_bom", path, "loaded", "", read=len(b.rows))


@kind("csv_utf16be_without_bom")
def _utf16be(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CSV_FORCE]
    path = _write_csv(out, b, "utf16be", b.lines, encoding="utf-16-be")
    return Variant("csv_utf16be_without_bom", path, "loaded", "", read=len(b.rows))


@kind("csv_utf8_for_a_cp1252_force")
def _utf8_for_cp1252(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CP1252_FORCE]
    rows = [list(r) for r in b.rows]
    summary = b.column("summary")
    rows[2][summary] = f"{rows[2][summary]} Damage put at £250 – café window."
    path = _write_csv(out, b, "utf8", _csv(b, rows), encoding="utf-8", newline="\r\n")
    return Variant("csv_utf8_for_a_cp1252_force", path, "loaded", "", read=len(b.rows),
                   warning="read as UTF-8")


@kind("csv_undefined_cp1252_byte")
def _cp1252_byte(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CP1252_FORCE]
    path = out / _name(b, "undefined_byte")
    rows = _csv(b, b.rows)
    data = "\r\n".join([",".join(b.header), *rows[:4]]).encode("cp1252")
    bad = rows[4].encode("cp1252").replace(b" ", b" \x81", 1)
    rest = "\r\n".join(rows[5:]).encode("cp1252")
    path.write_bytes(data + b"\r\n" + bad + b"\r\n" + rest + b"\r\n")
    return Variant("csv_undefined_cp1252_byte", path, "loaded", "is not valid cp1252",
                   read=len(b.rows), faulted=(6,), secrets=b.secrets_of(4), line_numbers=True)


@kind("csv_cp1252_for_a_utf8_force")
def _cp1252_for_utf8(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CSV_FORCE]
    rows = [list(r) for r in b.rows]
    summary = b.column("summary")
    for index in (1, 13):
        rows[index][summary] = f"{rows[index][summary]} Damage put at £250."
    lines = _csv(b, rows)
    path = _write_csv(out, b, "cp1252", lines, encoding="cp1252")
    faulted = tuple(i for i, line in enumerate(lines, start=2) if not line.isascii())
    assert {3, 15} <= set(faulted)
    return Variant("csv_cp1252_for_a_utf8_force", path, "loaded", "is not valid utf-8",
                   read=len(b.rows), faulted=faulted, warning="cp1252", line_numbers=True)


# ---- CSV: files that cannot be read at all ----------------------------------------------------


@kind("csv_empty")
def _empty(bases: dict[str, Base], out: Path) -> Variant:
    path = out / _name(bases[CSV_FORCE], "empty")
    path.write_bytes(b"")
    return Variant("csv_empty", path, "failed", "empty")


@kind("csv_blank_only")
def _blank_only(bases: dict[str, Base], out: Path) -> Variant:
    path = out / _name(bases[CSV_FORCE], "blank_only")
    path.write_bytes(b"\r\n  \n\n")
    return Variant("csv_blank_only", path, "failed", "empty")


@kind("csv_random_bytes")
def _random(bases: dict[str, Base], out: Path) -> Variant:
    path = out / _name(bases[CSV_FORCE], "random")
    state, data = 12345, bytearray()
    for _ in range(20_000):  # a fixed linear congruential stream: the same bytes every run
        state = (1103515245 * state + 12345) % 2**31
        data.append(state >> 16 & 0xFF)
    path.write_bytes(bytes(data))
    return Variant("csv_random_bytes", path, "failed", "not text")


@kind("csv_utf32")
def _utf32(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CSV_FORCE]
    path = _write_csv(out, b, "utf32", b.lines, encoding="utf-32")
    return Variant("csv_utf32", path, "failed", "UTF-32")


@kind("csv_workbook_named_csv")
def _zip_as_csv(bases: dict[str, Base], out: Path) -> Variant:
    path = out / _name(bases[CSV_FORCE], "workbook")
    path.write_bytes(_xlsx_bytes(bases[XLSX_FORCE], bases[XLSX_FORCE].rows))
    return Variant("csv_workbook_named_csv", path, "failed", "zip archive")


@kind("csv_column_renamed")
def _renamed(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CSV_FORCE]
    path = _write_csv(out, b, "renamed", b.lines)
    text = path.read_text().replace(",MO,", ",Modus Operandi,", 1)
    path.write_text(text)
    return Variant("csv_column_renamed", path, "failed", "columns are missing: ['MO']")


@kind("csv_unnamed_file_closest_mapping")
def _closest(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CSV_FORCE]
    target = out / "crimes_against_mps_export.csv"
    text = "\n".join([",".join(b.header), *b.lines]) + "\n"
    target.write_text(text.replace(",MO,", ",Modus Operandi,", 1))
    return Variant("csv_unnamed_file_closest_mapping", target, "failed",
                   "the closest layouts (18 of 19 columns) are city-of-london and "
                   "metropolitan, which also need ['MO']")


@kind("csv_semicolon_delimited")
def _semicolon(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[CSV_FORCE]
    path = out / _name(b, "semicolon")
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\n")
    writer.writerow(b.header)
    writer.writerows([["" if c is None else c for c in r] for r in b.rows])
    path.write_text(buf.getvalue())
    return Variant("csv_semicolon_delimited", path, "failed", "seems ';'-delimited")


# ---- JSON lines --------------------------------------------------------------------------------


def _jsonl(out: Path, b: Base, label: str, lines: list[str], *, encoding: str = "utf-8",
           newline: str = "\n", bom: bytes = b"") -> Path:
    path = out / _name(b, label)
    path.write_bytes(bom + (newline.join(lines) + newline).encode(encoding))
    return path


def _planted_json(b: Base, index: int) -> str:
    record = json.loads(b.lines[index])
    record["suspect_email"] = PLANTED_EMAIL
    record["mo_text"] = f"{record['mo_text']} Reply to {PLANTED_EMAIL} now."
    return json.dumps(record, ensure_ascii=False)


@kind("jsonl_broken_line")
def _broken(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[JSONL_FORCE]
    line = _planted_json(b, 2).replace('", "', '" "', 1)  # a comma lost
    lines = [*b.lines[:2], line, *b.lines[3:]]
    return Variant("jsonl_broken_line", _jsonl(out, b, "broken", lines), "loaded",
                   "not valid JSON", read=len(b.rows), faulted=(3,),
                   secrets=(PLANTED_EMAIL, *b.secrets_of(2)), line_numbers=True)


@kind("jsonl_broken_first_line")
def _broken_first(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[JSONL_FORCE]
    lines = [_planted_json(b, 0)[:-1], *b.lines[1:]]  # the closing brace lost
    return Variant("jsonl_broken_first_line", _jsonl(out, b, "broken_first", lines), "loaded",
                   "not valid JSON", read=len(b.rows), faulted=(1,),
                   secrets=(PLANTED_EMAIL, *b.secrets_of(0)), line_numbers=True)


@kind("jsonl_not_an_object")
def _array_line(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[JSONL_FORCE]
    line = json.dumps(list(json.loads(b.lines[4]).values()))
    lines = [*b.lines[:4], line, *b.lines[5:]]
    return Variant("jsonl_not_an_object", _jsonl(out, b, "array_line", lines), "loaded",
                   "not an object", read=len(b.rows), faulted=(5,), line_numbers=True)


@kind("jsonl_two_objects_on_a_line")
def _two(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[JSONL_FORCE]
    lines = [*b.lines[:6], b.lines[6] + b.lines[7], *b.lines[8:]]
    return Variant("jsonl_two_objects_on_a_line", _jsonl(out, b, "two_objects", lines), "loaded",
                   "Extra data", read=len(b.rows) - 1, faulted=(7,), line_numbers=True)


@kind("jsonl_undecodable_bytes")
def _json_bytes(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[JSONL_FORCE]
    path = out / _name(b, "undecodable")
    bad = _planted_json(b, 3).encode().replace(b" Reply", b" \xc3\x28 Reply", 1)
    path.write_bytes(b"\n".join([*(x.encode() for x in b.lines[:3]), bad,
                                 *(x.encode() for x in b.lines[4:])]) + b"\n")
    return Variant("jsonl_undecodable_bytes", path, "loaded", "is not valid utf-8",
                   read=len(b.rows), faulted=(4,), secrets=(PLANTED_EMAIL, *b.secrets_of(3)),
                   line_numbers=True)


@kind("jsonl_file_cut_mid_line")
def _json_cut(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[JSONL_FORCE]
    path = out / _name(b, "cut")
    lines = [*b.lines[:-1], b.lines[-1][: len(b.lines[-1]) // 2]]
    path.write_text("\n".join(lines))
    return Variant("jsonl_file_cut_mid_line", path, "loaded", "not valid JSON",
                   read=len(b.rows), faulted=(len(b.rows),), line_numbers=True)


@kind("jsonl_bom_crlf_blank_lines")
def _json_bom(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[JSONL_FORCE]
    lines = [*b.lines[:5], "", *b.lines[5:], ""]
    path = _jsonl(out, b, "bom_crlf", lines, newline="\r\n", bom=b"\xef\xbb\xbf")
    return Variant("jsonl_bom_crlf_blank_lines", path, "loaded", "", read=len(b.rows))


@kind("jsonl_utf16")
def _json_utf16(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[JSONL_FORCE]
    return Variant("jsonl_utf16", _jsonl(out, b, "utf16", b.lines, encoding="utf-16"), "loaded",
                   "", read=len(b.rows))


@kind("jsonl_nul_bytes")
def _json_nul(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[JSONL_FORCE]
    lines = [*b.lines[:2], b.lines[2] + "\x00\x00", *b.lines[3:]]
    return Variant("jsonl_nul_bytes", _jsonl(out, b, "nul", lines), "loaded", "",
                   read=len(b.rows), warning="NUL byte")


@kind("jsonl_one_json_array")
def _json_array(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[JSONL_FORCE]
    path = out / _name(b, "array")
    path.write_text(json.dumps([json.loads(x) for x in b.lines], indent=2))
    return Variant("jsonl_one_json_array", path, "failed", "one JSON array, not JSON lines")


@kind("jsonl_pretty_printed")
def _json_pretty(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[JSONL_FORCE]
    path = out / _name(b, "pretty")
    path.write_text("\n".join(json.dumps(json.loads(x), indent=2) for x in b.lines))
    return Variant("jsonl_pretty_printed", path, "failed", "pretty-printed")


@kind("jsonl_empty")
def _json_empty(bases: dict[str, Base], out: Path) -> Variant:
    path = out / _name(bases[JSONL_FORCE], "empty")
    path.write_bytes(b"\n\n")
    return Variant("jsonl_empty", path, "failed", "empty")


# ---- XLSX --------------------------------------------------------------------------------------


def _xlsx_bytes(b: Base, rows: list[list[str | None]], *, title: str | None = None,
                hidden: bool = False, sheet: str | None = None,
                merge: tuple[int, int, int] | None = None,
                text_cells: dict[tuple[int, int], str] | None = None) -> bytes:
    """Write rows back as Athena does: Excel serial dates as numbers, the rest as text.

    `merge` (first row, last row, column), 0-based over `rows`, merges those cells with the
    first row's value; `text_cells` overrides cells with text."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    if hidden:
        for name, how in (("Lookups", 1), ("Audit", 2)):
            extra = book.add_worksheet(name)
            extra.write_string(0, 0, "internal")
            extra.hide() if how == 1 else extra.very_hidden()
    ws = book.add_worksheet(sheet or b.mapping.sheet or "Sheet1")
    ws.activate()
    top = 0
    if title:
        ws.merge_range(0, 0, 0, 5, title)
        top = 2
    for c, name in enumerate(b.header):
        ws.write_string(top, c, name)
    dates = {b.column(f) for f in ("reported_date", "occurred_date", "outcome_date")
             if f in b.mapping.columns}
    merged = set()
    if merge:  # Excel keeps the first cell's value only
        merged = {(i, merge[2]) for i in range(merge[0] + 1, merge[1] + 1)}
    for r, row in enumerate(rows, start=top + 1):
        for c, value in enumerate(row):
            override = (text_cells or {}).get((r - top - 1, c))
            if (r - top - 1, c) in merged:
                continue
            if override is not None:
                ws.write_string(r, c, override)
            elif value is None:
                continue
            elif c in dates and value.replace(".", "", 1).isdigit():
                ws.write_number(r, c, float(value))
            else:
                ws.write_string(r, c, value)
    if merge:
        first, last, column = merge
        value = rows[first][column] or ""
        ws.merge_range(top + 1 + first, column, top + 1 + last, column, value)
    book.close()
    return buf.getvalue()


def _write_xlsx(out: Path, b: Base, label: str, data: bytes) -> Path:
    path = out / _name(b, label)
    path.write_bytes(data)
    return path


@kind("xlsx_truncated")
def _x_truncated(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[XLSX_FORCE]
    data = _xlsx_bytes(b, b.rows)
    return Variant("xlsx_truncated", _write_xlsx(out, b, "truncated", data[: len(data) // 2]),
                   "failed", "truncated or corrupt")


@kind("xlsx_corrupt_sheet")
def _x_corrupt(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[XLSX_FORCE]
    data = bytearray(_xlsx_bytes(b, b.rows))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 20, start + min(info.compress_size, 400)):
        data[i] = (data[i] * 7 + 13) & 0xFF  # the sheet's compressed bytes overwritten
    return Variant("xlsx_corrupt_sheet", _write_xlsx(out, b, "corrupt", bytes(data)), "failed",
                   "corrupt XLSX workbook")


@kind("xlsx_csv_named_xlsx")
def _x_text(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[XLSX_FORCE]
    text = "\n".join([",".join(b.header), *_csv(b, b.rows)]).encode()
    return Variant("xlsx_csv_named_xlsx", _write_xlsx(out, b, "text", text), "failed",
                   "the file is text")


@kind("xlsx_old_xls_format")
def _x_xls(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[XLSX_FORCE]
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    return Variant("xlsx_old_xls_format", _write_xlsx(out, b, "xls", ole), "failed",
                   "Excel 97-2003")


@kind("xlsx_empty")
def _x_empty(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[XLSX_FORCE]
    return Variant("xlsx_empty", _write_xlsx(out, b, "empty", b""), "failed", "empty")


@kind("xlsx_sheet_renamed")
def _x_renamed(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[XLSX_FORCE]
    data = _xlsx_bytes(b, b.rows, sheet="Crimes (2)")
    return Variant("xlsx_sheet_renamed", _write_xlsx(out, b, "renamed", data), "failed",
                   "no sheet 'Crimes'")


@kind("xlsx_hidden_sheets")
def _x_hidden(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[XLSX_FORCE]
    data = _xlsx_bytes(b, b.rows, hidden=True)
    return Variant("xlsx_hidden_sheets", _write_xlsx(out, b, "hidden", data), "loaded", "",
                   read=len(b.rows))


@kind("xlsx_merged_cells")
def _x_merged(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[XLSX_FORCE]
    role = b.column("victim_role")
    data = _xlsx_bytes(b, b.rows, merge=(3, 5, role), title="Athena export")
    column = chr(ord("A") + role)
    return Variant("xlsx_merged_cells", _write_xlsx(out, b, "merged", data), "loaded",
                   f"cells {column}7:{column}9 are merged", read=len(b.rows), faulted=(8, 9),
                   warning="merged cells")


@kind("xlsx_title_above_header")
def _x_title(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[XLSX_FORCE]
    data = _xlsx_bytes(b, b.rows, title="Athena export: crimes against MPs, 2023-2024")
    return Variant("xlsx_title_above_header", _write_xlsx(out, b, "title", data), "loaded", "",
                   read=len(b.rows), warning="above the header")


@kind("xlsx_totals_row")
def _x_totals(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[XLSX_FORCE]
    rows = [*b.rows, [None] * len(b.header), ["Total", None, None, str(len(b.rows))]
            + [None] * (len(b.header) - 4)]
    data = _xlsx_bytes(b, rows)
    return Variant("xlsx_totals_row", _write_xlsx(out, b, "totals", data), "loaded",
                   "a totals row", read=len(b.rows) + 1, faulted=(len(b.rows) + 3,))


@kind("xlsx_second_header_row")
def _x_header_again(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[XLSX_FORCE]
    rows = [*b.rows[:10], list(b.header), *b.rows[10:]]
    data = _xlsx_bytes(b, rows)
    return Variant("xlsx_second_header_row", _write_xlsx(out, b, "header_again", data), "loaded",
                   "second header row", read=len(b.rows) + 1, faulted=(12,))


@kind("xlsx_blank_rows")
def _x_blank(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[XLSX_FORCE]
    rows = [*b.rows[:7], [None] * len(b.header), [" "] * 3 + [None] * (len(b.header) - 3),
            *b.rows[7:]]
    data = _xlsx_bytes(b, rows)
    return Variant("xlsx_blank_rows", _write_xlsx(out, b, "blank_rows", data), "loaded", "",
                   read=len(b.rows))


@kind("xlsx_dates_in_three_formats")
def _x_dates(bases: dict[str, Base], out: Path) -> Variant:
    b = bases[XLSX_FORCE]
    reported = b.column("reported_date")
    cells: dict[tuple[int, int], str] = {}
    faulted = []
    for index in (2, 3, 8, 9):
        day = dt.date(1899, 12, 30) + dt.timedelta(days=int(float(b.rows[index][reported] or 0)))
        if index < 5:
            cells[(index, reported)] = day.isoformat()  # ISO text: read
        else:
            cells[(index, reported)] = day.strftime("%d/%m/%Y")  # UK text: not a serial date
            faulted.append(index + 2)
    data = _xlsx_bytes(b, b.rows, text_cells=cells)
    return Variant("xlsx_dates_in_three_formats", _write_xlsx(out, b, "three_date_formats", data),
                   "loaded", "is not a valid date in the format excel-serial", read=len(b.rows),
                   faulted=tuple(faulted))
