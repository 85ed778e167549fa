"""Read any extract into an all-text frame with the row number a user would see.

Everything is read as text so that a bad cell (`31/02/2023`, `N/K`) survives to validation,
where it is quarantined with its reason, instead of failing the whole file or turning
silently into a null. `source_row` counts as a spreadsheet does: for CSV and XLSX the header
is row 1 (or the row it is on, below a title) and the first record the next; for JSON lines
the first line is row 1.

A row that cannot even be split into fields (too many or too few, a quote never closed, a
broken JSON line, bytes that are not text in the file's encoding) is set aside as
`malformed`, with its line and raw text, and the rest of the file is read: DESIGN.md, "a
malformed row is rejected, never the file". A file fails whole (`UnreadableFileError`) only
when it cannot be read at all, and the error names why: empty, not text, an encoding that
is not supported, a truncated or corrupt workbook.

CSV stays fast on large files: polars classifies every physical line at once (quotes,
field count); only lines polars cannot take as they are (a value over several lines, a
stray quote) go through Python's `csv` module, and polars then parses the good records.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import fastexcel
import polars as pl

SOURCE_ROW = "source_row"
SNIFF_BYTES = 65_536
HEADER_SEARCH_ROWS = 20
MAX_RECORD_LINES = 100
BINARY_CONTROL_SHARE = 0.05
MALFORMED_SCHEMA = {SOURCE_ROW: pl.Int64, "line": pl.Int64, "reason": pl.String,
                    "raw_text": pl.String}

UTF8_BOM = b"\xef\xbb\xbf"
UNSUPPORTED_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian)"),
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian)"),
    (b"+/v", "UTF-7"),
    (b"\xdd\x73\x66\x73", "UTF-EBCDIC"),
    (b"\x84\x31\x95\x33", "GB 18030"),
    (b"\x0e\xfe\xff", "SCSU"),
    (b"\xfb\xee\x28", "BOCU-1"),
    (b"\xf7\x64\x4c", "UTF-1"),
)
SIGNATURES = (
    (b"PK\x03\x04", "a zip archive (an XLSX workbook?)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Office 97-2003 file (an .xls workbook?)"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "gzip-compressed"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)
CONTROL_BYTES = bytes(b for b in range(1, 32) if b not in b"\t\n\r\x0c") + b"\x7f"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}


class UnreadableFileError(Exception):
    """The file as a whole cannot be read: empty, not text, unsupported, corrupt, no header."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class Extract:
    """A file read: its records as text columns, the rows too malformed to split, warnings.

    `notes` are remarks on particular rows (by `source_row`) that validation adds to a
    reject's reason, such as a cell emptied by merging.
    """

    frame: pl.DataFrame
    malformed: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=MALFORMED_SCHEMA))
    warnings: tuple[str, ...] = ()
    notes: dict[int, str] = field(default_factory=dict)

    @property
    def read(self) -> int:
        return self.frame.height + self.malformed.height


@dataclass(frozen=True)
class Decoded:
    """A text file decoded; `bad_lines` are 0-based lines whose bytes are not text."""

    text: str
    encoding: str
    bad_lines: dict[int, str]
    warnings: tuple[str, ...]
    same_bytes: bool


def content_sha256(data: bytes) -> str:
    """Identity of a file for idempotent loads: the same bytes are never loaded twice."""
    return hashlib.sha256(data).hexdigest()


# ---- text: encodings, binary files, NUL bytes ------------------------------------------------


def text_encoding(path: Path, data: bytes, declared: str = "utf-8") -> tuple[str, int]:
    """The encoding to read `data` in, and where the text starts (after a byte-order mark).

    A byte-order mark decides over the mapping (UTF-8, UTF-16); UTF-16 without one is told
    by its NUL bytes. Raises for an empty file, a known unsupported encoding and a file that
    is not text at all.
    """
    if not data:
        raise UnreadableFileError(path, "the file is empty (0 bytes)")
    for bom, name in UNSUPPORTED_BOMS:
        if data.startswith(bom):
            raise UnreadableFileError(
                path, f"the text is in {name} (found by its byte-order mark), which is not "
                "supported: save it as UTF-8")
    if data.startswith(UTF8_BOM):
        return "utf-8", 3
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16-le" if data.startswith(b"\xff\xfe") else "utf-16-be"
        if len(data) % 2 == 0:
            return encoding, 2
        _refuse_binary(path, data, declared, note="it begins with a UTF-16 byte-order mark "
                       "but has an odd number of bytes, so it is not UTF-16")
        return declared, 0
    without_bom = _wide_encoding(path, data[:4096])
    if without_bom:
        return without_bom, 0
    _refuse_binary(path, data, declared)
    return declared, 0


def _wide_encoding(path: Path, sample: bytes) -> str | None:
    """UTF-16 (or UTF-32, refused) without a byte-order mark: ASCII text leaves NULs between."""
    if len(sample) < 8 or sample.count(0) * 10 < len(sample) * 4:
        return None

    def nul_share(offset: int, step: int) -> float:
        part = sample[offset::step]
        return part.count(0) / max(len(part), 1)

    for order, zeros in (("little-endian", (1, 2, 3)), ("big-endian", (0, 1, 2))):
        if all(nul_share(z, 4) > 0.9 for z in zeros):
            raise UnreadableFileError(
                path, f"the text is in UTF-32 ({order}, found by its NUL bytes), which is not "
                "supported: save it as UTF-8")
    if nul_share(1, 2) > 0.6 and nul_share(0, 2) < 0.1:
        return "utf-16-le"
    if nul_share(0, 2) > 0.6 and nul_share(1, 2) < 0.1:
        return "utf-16-be"
    return None


def _refuse_binary(path: Path, data: bytes, declared: str, note: str = "") -> None:
    sample = data[:SNIFF_BYTES]
    for signature, what in SIGNATURES:
        if sample.startswith(signature):
            raise UnreadableFileError(path, f"not text: the file is {what}")
    controls = len(sample) - len(sample.translate(None, CONTROL_BYTES))
    if controls <= BINARY_CONTROL_SHARE * len(sample):
        return
    parts = [f"not text: {controls:,} of its first {len(sample):,} bytes are control characters"]
    if note:
        parts.append(note)
    try:
        sample.decode(declared)
    except UnicodeDecodeError as exc:
        parts.append(f"it is not valid {declared} either (byte {exc.start}: {exc.reason})")
    raise UnreadableFileError(path, "; ".join(parts))


def decode_text(path: Path, data: bytes, declared: str = "utf-8", *,
                strict: bool = False) -> Decoded:
    """The whole file as text. Lines that are not text in its encoding are listed in
    `bad_lines` (and read with U+FFFD) unless `strict`, which fails the file at the first.

    NUL bytes are removed with a warning; a file the mapping calls cp1252 that is valid
    UTF-8 is read as UTF-8. Most lines undecodable, or the first, fails the file."""
    encoding, start = text_encoding(path, data, declared)
    body = data[start:]
    warnings: list[str] = []
    bad: dict[int, str] = {}
    if encoding.startswith("utf-16"):
        try:
            text = _lf_lines(body.decode(encoding))
        except UnicodeDecodeError as exc:
            raise UnreadableFileError(
                path, f"not valid UTF-16 text (byte {exc.start + start}: {exc.reason})") from exc
    else:
        if b"\n" not in body and b"\r" in body:  # classic Mac line ends
            body, start = body.replace(b"\r", b"\n"), -1  # -1: no longer the file's bytes
        if encoding == "cp1252" and not body.isascii():
            try:
                body.decode("utf-8")
                encoding = "utf-8"
                warnings.append("read as UTF-8: the mapping says cp1252, but the bytes are "
                                "valid UTF-8")
            except UnicodeDecodeError:
                pass
        text, bad = _decode_lines(path, body, encoding, strict, warnings)
    nuls = (b"\x00" in body) if not encoding.startswith("utf-16") else ("\x00" in text)
    if nuls:
        text = _remove_nuls(text, warnings)
    if not text or text.isspace():
        raise UnreadableFileError(path, "the file is empty (nothing but blank lines)")
    same = start == 0 and encoding == "utf-8" and not bad and not nuls
    return Decoded(text, encoding, bad, tuple(warnings), same)


def _lf_lines(text: str) -> str:
    """Lines ended by CR alone (Excel for Mac's "CSV (Macintosh)") read as LF lines."""
    return text.replace("\r", "\n") if "\n" not in text and "\r" in text else text


def _decode_lines(path: Path, body: bytes, encoding: str, strict: bool,
                  warnings: list[str]) -> tuple[str, dict[int, str]]:
    try:
        return body.decode(encoding), {}
    except UnicodeDecodeError as exc:
        if strict:
            line_start = body.rfind(b"\n", 0, exc.start) + 1
            number = body.count(b"\n", 0, exc.start) + 1
            raise UnreadableFileError(
                path, f"not valid {encoding} text (line {number}: "
                f"{_bad_byte(body[line_start:], exc.start - line_start, encoding)})") from exc
    parts = body.split(b"\n")
    lines: list[str] = []
    bad: dict[int, str] = {}
    for index, part in enumerate(parts):
        try:
            lines.append(part.decode(encoding))
        except UnicodeDecodeError as exc:
            bad[index] = _bad_byte(part, exc.start, encoding)
            lines.append(part.decode(encoding, errors="replace"))
    filled = [i for i, p in enumerate(parts) if p.strip()]
    first_bad = min(bad)
    if (filled and first_bad == filled[0]) or 2 * len(bad) > len(filled):
        hint = _encoding_hint(body, encoding)
        raise UnreadableFileError(
            path, f"not valid {encoding} text: {len(bad):,} of {len(filled):,} lines hold bytes "
            f"that are not {encoding} (line {first_bad + 1}: {bad[first_bad]}){hint}")
    hint = _encoding_hint(body, encoding) if len(bad) > 1 else ""
    if hint:
        warnings.append(f"{len(bad)} line(s) are not valid {encoding} and were rejected{hint}")
    return "\n".join(lines), bad


def _bad_byte(line: bytes, at: int, encoding: str) -> str:
    return f"byte 0x{line[at]:02x} at position {at + 1} is not valid {encoding}"


def _encoding_hint(body: bytes, encoding: str) -> str:
    """Say what the bytes look like when the mapping's encoding does not fit them."""
    if encoding != "utf-8" or re.search(rb"[\xc2-\xf4][\x80-\xbf]", body):
        return ""
    try:
        body.decode("cp1252")
    except UnicodeDecodeError:
        return ""
    return "; the bytes read as cp1252 (Windows-1252): was the file saved in that encoding?"


def _remove_nuls(text: str, warnings: list[str]) -> str:
    count = text.count("\x00")
    lines: list[int] = []
    for match in re.finditer("\x00", text):
        line = text.count("\n", 0, match.start()) + 1
        if line not in lines:
            lines.append(line)
        if len(lines) == 5:
            break
    where = ", ".join(str(n) for n in lines) + (", …" if len(lines) == 5 else "")
    warnings.append(f"removed {count:,} NUL byte(s) (line {where})")
    return text.replace("\x00", "")


# ---- CSV --------------------------------------------------------------------------------------


def _split_line(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line.rstrip("\r")], delimiter=delimiter), [])


def _header_index(rows: list[list[str]]) -> int:
    """The header is the first row about as wide as the rows below it: a title above it
    (one or two cells) is skipped. Rows here are the first few of the file, parsed."""
    widths = [sum(1 for c in r if c.strip()) for r in rows]
    filled = [w for w in widths if w]
    if not filled:
        return 0
    typical = max(set(filled), key=lambda w: (filled.count(w), w))
    if typical < 2:
        return widths.index(filled[0])
    for index, width in enumerate(widths):
        if width >= 2 and 2 * width >= typical:
            return index
    return next(i for i, w in enumerate(widths) if w)


def csv_header(path: Path, data: bytes, *, encoding: str = "utf-8",
               delimiter: str = ",") -> list[str]:
    """The header only, from the start of the file: telling a layout apart must not parse
    the whole file."""
    used, start = text_encoding(path, data, encoding)
    prefix = data[start:start + SNIFF_BYTES]
    if used.startswith("utf-16"):
        lines = _lf_lines(prefix[: len(prefix) // 2 * 2].decode(used, errors="replace")
                          ).split("\n")
    else:
        if b"\n" not in prefix:
            prefix = prefix.replace(b"\r", b"\n")
        if used == "cp1252" and not prefix.isascii():
            try:
                prefix[: prefix.rfind(b"\n") + 1 or len(prefix)].decode("utf-8")
                used = "utf-8"
            except UnicodeDecodeError:
                pass
        raw_lines = prefix.split(b"\n")
        lines = []
        for number, raw in enumerate(raw_lines[:HEADER_SEARCH_ROWS * 2], start=1):
            try:
                lines.append(raw.replace(b"\x00", b"").decode(used))
            except UnicodeDecodeError as exc:
                if number == len(raw_lines) and len(data) > start + SNIFF_BYTES:
                    break  # the prefix cut a character in two
                if not lines or not any(x.strip() for x in lines):
                    raise UnreadableFileError(
                        path, f"not valid {used} text (line {number}: "
                        f"{_bad_byte(raw, exc.start, used)})") from exc
                lines.append(raw.decode(used, errors="replace"))
    rows = [_split_line(x, delimiter) for x in lines[: HEADER_SEARCH_ROWS * 2]]
    if not any(any(c.strip() for c in r) for r in rows):
        if not data[start:].strip(b" \t\r\n\x00"):
            raise UnreadableFileError(path, "the file is empty (nothing but blank lines)")
        return []
    header = rows[_header_index(rows)]
    return header[:-1] if len(header) > 1 and header[-1] == "" else header


def read_csv_text(path: Path, data: bytes, *, encoding: str = "utf-8", delimiter: str = ",",
                  n_rows: int | None = None) -> pl.DataFrame:
    """CSV → text columns, all or nothing: a data.police.uk street file is read as published,
    and a row that cannot be split fails the file, naming the line and why."""
    decoded = decode_text(path, data, encoding, strict=True)
    raw = data if decoded.same_bytes else decoded.text.encode("utf-8")
    try:
        frame = pl.read_csv(raw, separator=delimiter, infer_schema=False, n_rows=n_rows,
                            truncate_ragged_lines=False)
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        malformed = read_csv_extract(path, data, encoding=encoding, delimiter=delimiter).malformed
        cause = malformed["reason"][0] if malformed.height else str(exc).splitlines()[0]
        raise UnreadableFileError(path, f"not a readable CSV ({cause})") from exc
    return _with_row_numbers(frame, first_row=2)


def read_csv_extract(path: Path, data: bytes, *, encoding: str = "utf-8",
                     delimiter: str = ",") -> Extract:
    """CSV → text columns; malformed rows set aside with their line, the rest read."""
    decoded = decode_text(path, data, encoding)
    return _CsvScan(path, decoded, delimiter, data).extract()


class _CsvScan:
    """Records of a decoded CSV: polars classifies lines, Python's csv takes the hard ones."""

    def __init__(self, path: Path, decoded: Decoded, delimiter: str, data: bytes) -> None:
        self.path, self.decoded, self.delimiter, self.data = path, decoded, delimiter, data
        lines = decoded.text.split("\n")
        if len(lines) > 1 and lines[-1] == "":
            lines.pop()
        self.lines = pl.Series("text", lines, dtype=pl.String)
        self.warnings = list(decoded.warnings)

    def extract(self) -> Extract:
        d = self.delimiter
        head = self.lines.head(HEADER_SEARCH_ROWS * 2).to_list()
        header_at = _header_index([_split_line(x, d) for x in head])
        if header_at in self.decoded.bad_lines:
            raise UnreadableFileError(self.path, f"not valid {self.decoded.encoding} text (line "
                                      f"{header_at + 1}: {self.decoded.bad_lines[header_at]})")
        if header_at and any(x.strip(" \t\r" + d) for x in head[:header_at]):
            self.warnings.append(f"skipped {header_at} line(s) above the header (a title?)")
        header_text = head[header_at].rstrip("\r")
        header = _split_line(header_text, d)
        trailing_header = len(header) > 1 and header[-1] == ""
        width = len(header) - trailing_header
        if trailing_header:
            header_text = header_text[: header_text.rfind(d)]
        lines = self._classified()
        body = lines.filter(pl.col("line") > header_at, ~pl.col("blank"))
        simple = body.filter(pl.col("simple"))
        trailing = simple.filter(pl.col("trailing") & (pl.col("fields") == width + 1)).height
        trailing_mode = trailing_header or (simple.height > 0 and 2 * trailing >= simple.height)
        if trailing_mode:
            self.warnings.append("every row ends with an extra delimiter; it was ignored")
        fits = (pl.col("fields") == width) | (
            pl.lit(trailing_mode) & pl.col("trailing") & (pl.col("fields") == width + 1))
        hard = body.filter(~pl.col("simple"))["line"].to_list()
        if (header_at == 0 and not trailing_mode and not hard and not self.decoded.bad_lines
                and body.height == lines.height - 1 and simple.select(fits.all()).item()):
            raw = self.data if self.decoded.same_bytes else self.decoded.text.encode("utf-8")
            frame = self._polars(raw, body.height)
            return Extract(_with_row_numbers(frame, first_row=2), warnings=tuple(self.warnings))

        good_hard, bad_hard, consumed = self._hard_records(hard, width, trailing_mode)
        rows = lines.with_columns(
            (~pl.col("line").is_in(list(consumed))).cum_sum().cast(pl.Int64).alias(SOURCE_ROW)
        ).join(body.select("line"), on="line", how="semi")
        rows = rows.filter(~pl.col("line").is_in(list(consumed)))
        plain = rows.filter(pl.col("simple"))
        bad_bytes = pl.col("line").is_in(list(self.decoded.bad_lines))
        good = plain.filter(fits & ~bad_bytes).select(
            "line", SOURCE_ROW, self._cleaned(trailing_mode, width).alias("text"))
        bad = plain.filter(~fits | bad_bytes).select(
            SOURCE_ROW,
            (pl.col("line") + 1).cast(pl.Int64).alias("line"),
            self._reason(width).alias("reason"),
            pl.col("text").str.strip_chars_end("\r").alias("raw_text"),
        )
        if hard:
            row_of = dict(rows.filter(~pl.col("simple")).select("line", SOURCE_ROW).iter_rows())
            good = pl.concat([good, pl.DataFrame(
                [(i, row_of[i], text) for i, text in good_hard.items()],
                schema=good.schema, orient="row")]).sort("line")
            bad = pl.concat([bad, pl.DataFrame(
                [(row_of[i], i + 1, reason, self.lines[i].rstrip("\r"))
                 for i, reason in bad_hard.items()], schema=MALFORMED_SCHEMA, orient="row")])
        records = good["text"].str.join("\n").item() + "\n" if good.height else ""
        try:
            frame = self._polars(f"{header_text}\n{records}".encode(), good.height)
        except UnreadableFileError:
            frame = self._polars(self._reserialised(header_text, good["text"].to_list()),
                                 good.height)
        frame = frame.with_columns(good[SOURCE_ROW].alias(SOURCE_ROW))
        return Extract(frame, bad.sort(SOURCE_ROW), tuple(self.warnings))

    def _classified(self) -> pl.DataFrame:
        """Per line: its field count if split at every delimiter outside quotes, and whether
        polars can take it as it is (no quote, or quotes only around whole values)."""
        d = self.delimiter
        cls = rf"\x{{{ord(d):x}}}"
        value = rf'(?:"(?:[^"]|"")*"|[^"{cls}\r\n]*)'
        text = pl.col("text")
        lines = self.lines.to_frame().with_row_index("line").with_columns(
            pl.col("line").cast(pl.Int64),
            text.str.contains('"', literal=True).alias("quoted"),
            text.str.contains(rf"^[\s{cls}]*$").alias("blank"),
            (text.str.count_matches(d, literal=True) + 1).alias("fields"),
            text.str.strip_chars_end("\r").str.ends_with(d).alias("trailing"),
        )
        quoted = lines.filter(pl.col("quoted")).select(
            "line",
            text.str.contains(rf"^{value}(?:{cls}{value})*\r?$").alias("simple"),
            (text.str.replace_all(r'"(?:[^"]|"")*"', "").str.count_matches(d, literal=True)
             + 1).alias("quoted_fields"),
        )
        return lines.join(quoted, on="line", how="left", maintain_order="left").select(
            "line", "text", "blank", "trailing",
            pl.col("simple").fill_null(True),
            pl.coalesce("quoted_fields", "fields").alias("fields"),
        )

    def _cleaned(self, trailing_mode: bool, width: int) -> pl.Expr:
        text = pl.col("text").str.strip_chars_end("\r")
        if not trailing_mode:
            return text
        return pl.when(pl.col("fields") == width + 1).then(
            text.str.strip_suffix(self.delimiter)).otherwise(text)

    def _reason(self, width: int) -> pl.Expr:
        d = DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))
        bad_bytes = pl.col("line").replace_strict(
            self.decoded.bad_lines or {-1: ""}, default=None, return_dtype=pl.String)
        line = (pl.col("line") + 1).cast(pl.String)
        return (
            pl.when(bad_bytes.is_not_null())
            .then(pl.format("line {}: {}", line, bad_bytes))
            .when(pl.col("fields") > width)
            .then(pl.format(f"line {{}}: {{}} fields where the header has {width} (a value "
                            f"holding an unquoted {d}?)", line, pl.col("fields")))
            .otherwise(pl.format(f"line {{}}: {{}} fields where the header has {width} (the "
                                 f"row cut short, or a {d} missing?)", line, pl.col("fields")))
        )

    def _hard_records(self, starts: list[int], width: int, trailing_mode: bool,
                      ) -> tuple[dict[int, str], dict[int, str], set[int]]:
        """Records on lines polars cannot take as they are, parsed by Python's csv module.

        A value may run over several lines (quoted CR/LF); a quote never closed would swallow
        the rest of the file, so a record that does not fit the header sets aside only its
        first line and reading resumes on the next."""
        good: dict[int, str] = {}
        bad: dict[int, str] = {}
        consumed: set[int] = set()
        if not starts:
            return good, bad, consumed
        lines = self.lines.to_list()
        for start in starts:
            if start in consumed:
                continue
            window = (lines[i] + "\n" for i in range(start, min(start + MAX_RECORD_LINES,
                                                                  len(lines))))
            reader = csv.reader(window, delimiter=self.delimiter, strict=True)
            try:
                values: list[str] | None = next(reader)
            except csv.Error:
                values = None
            used = range(start, start + max(reader.line_num, 1))
            if values is not None and trailing_mode and len(values) == width + 1 \
                    and values[-1] == "":
                values = values[:-1]
            byte_fault = next((i for i in used if i in self.decoded.bad_lines), None)
            if byte_fault is not None:
                bad[start] = f"line {byte_fault + 1}: {self.decoded.bad_lines[byte_fault]}"
            elif values is not None and len(values) == width:
                good[start] = _csv_line(values, self.delimiter)
                consumed.update(used[1:])
            else:
                bad[start] = f"line {start + 1}: {self._line_fault(lines[start], width)}"
        return good, bad, consumed

    def _line_fault(self, line: str, width: int) -> str:
        """What is wrong with one line that does not make a record fitting the header."""
        reader = csv.reader([line + "\n"], delimiter=self.delimiter, strict=True)
        try:
            values = next(reader, [])
        except csv.Error as exc:
            if "end of data" in str(exc):
                return "a quote opens a value that is never closed"
            return "text follows the closing quote of a value (a stray quote?)"
        d = DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))
        hint = (f"a value holding an unquoted {d}?" if len(values) > width
                else f"the row cut short, or a {d} missing?")
        return f"{len(values)} fields where the header has {width} ({hint})"

    def _polars(self, raw: bytes, expected: int) -> pl.DataFrame:
        try:
            frame = pl.read_csv(raw, separator=self.delimiter, infer_schema=False,
                                truncate_ragged_lines=False)
        except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
            raise UnreadableFileError(
                self.path, f"not a readable CSV ({str(exc).splitlines()[0]})") from exc
        if frame.height != expected:
            raise UnreadableFileError(
                self.path, f"not a readable CSV ({frame.height} rows parsed, {expected} found)")
        return frame

    def _reserialised(self, header: str, records: list[str]) -> bytes:
        """Every record through Python's csv and back: what polars reads without surprise."""
        out = io.StringIO()
        writer = csv.writer(out, delimiter=self.delimiter, lineterminator="\r\n")
        for record in [header, *records]:
            writer.writerow(next(csv.reader(io.StringIO(record), delimiter=self.delimiter), []))
        return out.getvalue().encode("utf-8")


def _csv_line(values: list[str], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerow(values)
    return out.getvalue().removesuffix("\r\n")  # the terminator makes CR and LF quoted


# ---- XLSX -------------------------------------------------------------------------------------


def open_workbook(path: Path, data: bytes) -> fastexcel.ExcelReader:
    """The workbook, or the reason it cannot be opened: empty, not XLSX, truncated, corrupt."""
    if not data:
        raise UnreadableFileError(path, "the file is empty (0 bytes)")
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise UnreadableFileError(
            path, "an Excel 97-2003 (.xls) or password-protected workbook, not XLSX: save it "
            "as an Excel Workbook (.xlsx) without a password")
    if not data.startswith(b"PK\x03\x04"):
        sample = data[:4096]
        controls = len(sample) - len(sample.translate(None, CONTROL_BYTES))
        what = "text (a CSV file named .xlsx?)" if controls == 0 else "not a zip archive"
        raise UnreadableFileError(path, f"not an XLSX workbook: the file is {what}")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise UnreadableFileError(
            path, f"a truncated or corrupt XLSX workbook: its zip archive cannot be opened "
            f"({exc}; was the file cut short?)") from exc
    if "xl/workbook.xml" not in names:
        raise UnreadableFileError(path, "a zip archive but not an XLSX workbook "
                                  "(no xl/workbook.xml inside)")
    try:
        return fastexcel.read_excel(data)
    except Exception as exc:  # fastexcel raises its own exception types for every failure
        raise UnreadableFileError(
            path, f"a corrupt XLSX workbook ({str(exc).splitlines()[0]})") from exc


def _sheet_rows(path: Path, reader: fastexcel.ExcelReader, sheet: str | None,
                n_rows: int | None) -> tuple[str, pl.DataFrame]:
    """The sheet's rows as text, no header taken yet (so a title above it can be skipped)."""
    names = reader.sheet_names
    if sheet is not None and sheet not in names:
        raise UnreadableFileError(
            path, f"the workbook has no sheet '{sheet}' (its sheets: "
            f"{', '.join(repr(n) for n in names)})")
    name = sheet if sheet is not None else names[0]
    try:
        rows = reader.load_sheet(name, header_row=None, n_rows=n_rows,
                                 dtypes="string").to_polars()
    except Exception as exc:
        raise UnreadableFileError(
            path, f"a corrupt XLSX workbook: sheet '{name}' cannot be read "
            f"({str(exc).splitlines()[0]})") from exc
    if rows.height == 0 or rows.width == 0:
        raise UnreadableFileError(path, f"the sheet '{name}' is empty")
    return name, rows.with_columns(pl.all().cast(pl.String))


def _xlsx_header(rows: pl.DataFrame) -> tuple[int, list[str]]:
    cells = [[c or "" for c in r] for r in rows.head(HEADER_SEARCH_ROWS).rows()]
    at = _header_index(cells)
    names: list[str] = []
    for index, cell in enumerate(cells[at]):
        name = cell if cell else f"__UNNAMED__{index}"
        names.append(name if name not in names else f"{name}_{names.count(name)}")
    return at, names


def read_xlsx_extract(path: Path, data: bytes, *, sheet: str | None = None) -> Extract:
    """XLSX → text columns via fastexcel (calamine); numbers stay as their text.

    The header may sit below a title; wholly empty rows are no records but keep their
    number. Cells that merging left empty are named in the rows' notes and a warning."""
    reader = open_workbook(path, data)
    name, rows = _sheet_rows(path, reader, sheet, None)
    at, names = _xlsx_header(rows)
    frame = rows.slice(at + 1).rename(dict(zip(rows.columns, names, strict=True)))
    frame = _with_row_numbers(frame, first_row=at + 2)
    values = [c for c in frame.columns if c != SOURCE_ROW]
    empty = pl.all_horizontal([pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "")
                               for c in values])
    frame = frame.filter(~empty)
    warnings = [f"skipped {at} row(s) above the header (a title?)"] if at else []
    notes = _merged_notes(data, name, at + 1, warnings)
    return Extract(frame, warnings=tuple(warnings), notes=notes)


def xlsx_header(path: Path, data: bytes, *, sheet: str | None = None) -> list[str]:
    reader = open_workbook(path, data)
    _, rows = _sheet_rows(path, reader, sheet, HEADER_SEARCH_ROWS)
    return _xlsx_header(rows)[1]


def _merged_notes(data: bytes, sheet: str, header_row: int,
                  warnings: list[str]) -> dict[int, str]:
    """Merged ranges below the header: calamine gives their value to the first cell only.

    Sheet rows are taken to start at row 1, as every extract's do."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            xml = archive.read(_sheet_member(archive, sheet))
    except (KeyError, zipfile.BadZipFile, OSError):
        return {}
    notes: dict[int, str] = {}
    ranges: list[str] = []
    for ref in re.findall(rb'<mergeCell ref="([A-Z]+\d+:[A-Z]+\d+)"', xml):
        text = ref.decode()
        first, last = text.split(":")
        top, bottom = int(re.sub("[A-Z]", "", first)), int(re.sub("[A-Z]", "", last))
        wide = re.sub(r"\d", "", first) != re.sub(r"\d", "", last)
        if bottom <= header_row:
            continue
        ranges.append(text)
        for row in range(max(top, header_row + 1), bottom + 1):
            if row > top or wide:
                notes[row] = (f"cells {text} are merged, so only {first} holds the value: "
                              "unmerge them and fill every cell")
    if ranges:
        shown = ", ".join(ranges[:5]) + (", …" if len(ranges) > 5 else "")
        warnings.append(f"merged cells below the header ({shown}): only the first cell of each "
                        "holds its value")
    return notes


def _sheet_member(archive: zipfile.ZipFile, sheet: str) -> str:
    """The zip member holding a sheet, by the workbook's relationships (KeyError if none)."""
    book = archive.read("xl/workbook.xml").decode("utf-8", errors="replace")
    rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", errors="replace")
    name = f'name="{_xml_escape(sheet)}"'
    for tag in re.findall(r"<sheet\b[^>]*>", book):
        rel = re.search(r'r:id="([^"]+)"', tag)
        if name not in tag or rel is None:
            continue
        for link in re.findall(r"<Relationship\b[^>]*>", rels):
            target = re.search(r'Target="([^"]+)"', link)
            if f'Id="{rel.group(1)}"' in link and target:
                member = target.group(1).lstrip("/")
                return member if member.startswith("xl/") else f"xl/{member}"
    raise KeyError(sheet)


def _xml_escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


# ---- JSON lines -------------------------------------------------------------------------------


def _json_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _json_object(line: str) -> tuple[dict[str, object] | None, str | None]:
    """The line's JSON object, or why it is not one, in words that never quote its content."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(obj, dict):
        kind = {list: "an array", str: "a string", bool: "true or false", int: "a number",
                float: "a number"}.get(type(obj), "null")
        return None, f"a JSON value that is {kind}, not an object"
    return obj, None


def jsonl_header(path: Path, data: bytes) -> list[str]:
    """The keys of the first JSON object among the first lines."""
    used, start = text_encoding(path, data, "utf-8")
    prefix = data[start:start + SNIFF_BYTES]
    if used.startswith("utf-16"):
        prefix = prefix[: len(prefix) // 2 * 2]
    lines = _lf_lines(prefix.decode(used, errors="replace").replace("\x00", "")).split("\n")
    if len(data) > start + SNIFF_BYTES:
        lines = lines[:-1]
    faults: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        obj, fault = _json_object(line)
        if obj is not None:
            return list(obj)
        faults.append(f"line {number}: {fault}")
    if not faults:
        raise UnreadableFileError(path, "the file is empty (nothing but blank lines)")
    raise UnreadableFileError(path, _no_json_objects(prefix.decode(used, errors="replace"),
                                                     faults))


def _no_json_objects(text: str, faults: list[str]) -> str:
    first = text.lstrip()[:1]
    if first == "[":
        return "the file is one JSON array, not JSON lines (one object per line)"
    why = "no line is a JSON object"
    if first == "{":
        why += " (an object spread over several lines: pretty-printed JSON, not JSON lines?)"
    return f"{why}; {faults[0]}"


def read_jsonl_extract(path: Path, data: bytes) -> Extract:
    """JSON lines → text columns; a line that is not a JSON object is set aside, naming it."""
    decoded = decode_text(path, data, "utf-8")
    records: list[dict[str, str | None]] = []
    bad: list[tuple[int, int, str, str]] = []
    faults: list[str] = []
    for number, line in enumerate(decoded.text.split("\n"), start=1):
        if not line.strip():
            continue
        obj, fault = (None, decoded.bad_lines[number - 1]) if number - 1 in decoded.bad_lines \
            else _json_object(line)
        if obj is None:
            bad.append((number, number, f"line {number}: {fault}", line.rstrip("\r")))
            faults.append(f"line {number}: {fault}")
            continue
        record = {k: _json_text(v) for k, v in obj.items()}
        record[SOURCE_ROW] = str(number)
        records.append(record)
    if not records:
        raise UnreadableFileError(path, _no_json_objects(decoded.text, faults))
    frame = pl.from_dicts(records, infer_schema_length=None)
    frame = frame.with_columns(pl.all().cast(pl.String))
    frame = frame.with_columns(pl.col(SOURCE_ROW).cast(pl.Int64)).select(
        pl.exclude(SOURCE_ROW), SOURCE_ROW)
    malformed = pl.DataFrame(bad, schema=MALFORMED_SCHEMA, orient="row")
    return Extract(frame, malformed, decoded.warnings)


# ---- any format -------------------------------------------------------------------------------


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
        return xlsx_header(path, data, sheet=sheet)
    if fmt == "jsonl":
        return jsonl_header(path, data)
    raise ValueError(f"unknown format {fmt!r}")


def check_readable(path: Path, fmt: str, data: bytes) -> None:
    """Fail now, naming the cause, when no layout could ever read the file."""
    if fmt == "xlsx":
        open_workbook(path, data)
        return
    encoding, start = text_encoding(path, data, "utf-8")
    body = data[start:]
    if encoding.startswith("utf-16"):
        blank = not body[: len(body) // 2 * 2].decode(encoding, errors="replace").strip()
    else:
        blank = not body.strip(b" \t\r\n\x00")
    if blank:
        raise UnreadableFileError(path, "the file is empty (nothing but blank lines)")


def _with_row_numbers(frame: pl.DataFrame, *, first_row: int) -> pl.DataFrame:
    return (
        frame.with_row_index(SOURCE_ROW, offset=first_row)
        .with_columns(pl.col(SOURCE_ROW).cast(pl.Int64))
        .select(pl.exclude(SOURCE_ROW), SOURCE_ROW)
    )
