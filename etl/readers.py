"""Read any extract into an all-text frame with the row number a user would see.

Everything is read as text so that a bad cell (`31/02/2023`, `N/K`) survives to validation,
where it is quarantined with its reason, instead of failing the whole file or turning
silently into a null. `source_row` counts as a spreadsheet does: for CSV and XLSX the header
is row 1 and the first record row 2; for JSON lines the first line is row 1.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import polars as pl

SOURCE_ROW = "source_row"


class UnreadableFileError(Exception):
    """The file as a whole cannot be read: wrong encoding, not the format it claims, no header."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def content_sha256(data: bytes) -> str:
    """Identity of a file for idempotent loads: the same bytes are never loaded twice."""
    return hashlib.sha256(data).hexdigest()


def csv_header(path: Path, data: bytes, *, encoding: str = "utf-8",
               delimiter: str = ",") -> list[str]:
    """The first line only: telling a layout apart must not parse the whole file."""
    first = data.removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0].rstrip(b"\r")
    try:
        line = first.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(
            path, f"not valid {encoding} text (byte {exc.start}: {exc.reason})") from exc
    return next(csv.reader([line], delimiter=delimiter), [])


def read_header(
    path: Path,
    fmt: str,
    data: bytes,
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    sheet: str | None = None,
) -> list[str]:
    """The column names only, cheaply, for telling which layout a file is in."""
    if fmt == "csv":
        return csv_header(path, data, encoding=encoding, delimiter=delimiter)
    if fmt == "xlsx":
        return read_xlsx_text(path, data, sheet=sheet, n_rows=1).columns[:-1]
    if fmt == "jsonl":
        first = data.split(b"\n", 1)[0]
        try:
            obj = json.loads(first) if first.strip() else {}
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise UnreadableFileError(path, f"line 1 is not JSON ({exc})") from exc
        return list(obj) if isinstance(obj, dict) else []
    raise ValueError(f"unknown format {fmt!r}")


def read_csv_text(
    path: Path,
    data: bytes,
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    n_rows: int | None = None,
) -> pl.DataFrame:
    """CSV → text columns; a cp1252 file is decoded first, since polars reads only UTF-8."""
    try:
        raw = data
        if encoding != "utf-8":
            raw = raw.decode(encoding).encode("utf-8")
        else:
            raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(
            path, f"not valid {encoding} text (byte {exc.start}: {exc.reason})"
        ) from exc
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw.strip():
        raise UnreadableFileError(path, "the file is empty (no header row)")
    try:
        frame = pl.read_csv(
            raw,
            separator=delimiter,
            infer_schema=False,
            n_rows=n_rows,
            truncate_ragged_lines=False,
        )
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        raise UnreadableFileError(path, f"not a readable CSV ({str(exc).splitlines()[0]})") from exc
    return _with_row_numbers(frame, first_row=2)


def read_xlsx_text(
    path: Path, data: bytes, *, sheet: str | None = None, n_rows: int | None = None
) -> pl.DataFrame:
    """XLSX → text columns via fastexcel (calamine); numbers stay as their text, dates as ISO."""
    try:
        frame = pl.read_excel(
            data,
            sheet_name=sheet,
            engine="calamine",
            infer_schema_length=0,
            read_options={"n_rows": n_rows} if n_rows else None,
        )
    except Exception as exc:  # fastexcel raises its own exception types for every failure
        raise UnreadableFileError(path, f"not a readable XLSX workbook ({exc})") from exc
    return _with_row_numbers(frame, first_row=2)


def read_jsonl_text(path: Path, data: bytes) -> pl.DataFrame:
    """JSON lines → text columns. A line that is not a JSON object fails the file, naming it."""
    records: list[dict[str, str | None]] = []
    with io.BytesIO(data) as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise UnreadableFileError(path, f"line {number} is not valid JSON ({exc})") from exc
            if not isinstance(obj, dict):
                raise UnreadableFileError(path, f"line {number} is not a JSON object")
            record = {k: None if v is None else str(v) for k, v in obj.items()}
            record[SOURCE_ROW] = str(number)
            records.append(record)
    if not records:
        raise UnreadableFileError(path, "the file holds no JSON records")
    frame = pl.from_dicts(records, infer_schema_length=None)
    frame = frame.with_columns(pl.all().cast(pl.String))
    return frame.with_columns(pl.col(SOURCE_ROW).cast(pl.Int64))


def _with_row_numbers(frame: pl.DataFrame, *, first_row: int) -> pl.DataFrame:
    return (
        frame.with_row_index(SOURCE_ROW, offset=first_row)
        .with_columns(pl.col(SOURCE_ROW).cast(pl.Int64))
        .select(pl.exclude(SOURCE_ROW), SOURCE_ROW)
    )
