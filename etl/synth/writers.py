"""Writing an extract in its force's layout: CSV (UTF-8 or cp1252), XLSX, or JSON lines.

Output must be byte-for-byte reproducible from the seed, so nothing time-dependent is
written: the workbook's creation date is pinned (xlsxwriter already pins the zip entries'
timestamps) and JSON keys keep the header's order. XLSX cells are text except Excel serial
dates, which are numbers as Athena exports them.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

import xlsxwriter

from etl.mapping import ForceMapping
from etl.synth.dates import TODAY
from etl.synth.house_style import Cell

PINNED_CREATED = dt.datetime(TODAY.year, TODAY.month, TODAY.day)


def write_extract(path: Path, mapping: ForceMapping, header: Sequence[str],
                  rows: Sequence[dict[str, Cell]]) -> None:
    """Write rows (cells by column name) in the mapping's format, header first."""
    if mapping.format == "csv":
        _csv(path, mapping, header, rows)
    elif mapping.format == "xlsx":
        _xlsx(path, mapping, header, rows)
    else:
        _jsonl(path, header, rows)


def _csv(path: Path, mapping: ForceMapping, header: Sequence[str],
         rows: Sequence[dict[str, Cell]]) -> None:
    """Windows-era systems (cp1252) end lines with CRLF; the others with LF."""
    newline = "\r\n" if mapping.encoding == "cp1252" else "\n"
    try:
        with path.open("w", encoding=mapping.encoding, newline="") as fh:
            writer = csv.writer(fh, delimiter=mapping.delimiter, lineterminator=newline)
            writer.writerow(header)
            for row in rows:
                writer.writerow(["" if row[c] is None else str(row[c]) for c in header])
    except UnicodeEncodeError as exc:
        raise ValueError(f"{path.name}: a value cannot be written in {mapping.encoding} "
                         f"({exc.object[exc.start:exc.end]!r})") from exc


def _xlsx(path: Path, mapping: ForceMapping, header: Sequence[str],
          rows: Sequence[dict[str, Cell]]) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    workbook.set_properties({"created": PINNED_CREATED, "author": "plait synth"})
    sheet = workbook.add_worksheet(mapping.sheet or "Sheet1")
    bold = workbook.add_format({"bold": True})
    for c, name in enumerate(header):
        sheet.write_string(0, c, name, bold)
    for r, row in enumerate(rows, start=1):
        for c, name in enumerate(header):
            value = row[name]
            if value is None:
                continue
            if isinstance(value, int):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, value)
    workbook.close()


def _jsonl(path: Path, header: Sequence[str], rows: Sequence[dict[str, Cell]]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            record = {c: None if row[c] is None else str(row[c]) for c in header}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
