"""A force's return uploaded on the Returns page: recognised, checked, loaded, receipted.

The upload goes through the same library call as `plait ingest` (`etl.ingest.ingest_paths` on
the file saved under its own name, because a return is recognised by its name and layout), so
a row is loaded, found a duplicate or rejected exactly as on the command line. Two checks come
first, before anything is written: the file must be the uploader's own force's return (a
national analyst may load any force's), and, on a server without its own pseudonymisation key,
every name and identifier in it must be one `plait synth` invents (DESIGN.md, "Sensitive
fields": the development key is public, so hashes made with it could be reversed by anyone
with a list of candidate values). Every upload and every refusal goes to the audit log here,
so that no page can forget it.

The receipt holds the reconciliation counts and, for each quarantined row, its row number in
the file, the field and the reason: never the row's values (`core_reject.raw_row` stays in the
warehouse).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import polars as pl
from sqlalchemy import Engine, select

from dashboards import audit
from dashboards.access import AccessDenied, Viewer
from etl.ingest import Detected, FileReport, detect, ingest_paths, read_force_return
from etl.key_rotation import WrongKeyError
from etl.mapping import ForceMapping
from etl.pseudonymise import identifier_tokens
from etl.readers import UnreadableFileError, content_sha256
from etl.schema import core_reject, raw_source_file
from etl.synth import names
from etl.vocabulary import NULL_TOKENS

PAGE = "returns"
UPLOAD_TYPES = ("csv", "xlsx", "jsonl")
COUNTS = ("read", "loaded", "updated", "duplicate", "rejected")
REJECT_COLUMNS = {"source_row": pl.Int64, "disposition": pl.String, "field": pl.String,
                  "reason": pl.String}
MAX_PROBLEMS = 5


class UploadRefused(Exception):
    """The file may not be loaded on this server (the reason is for the uploader)."""


@dataclass(frozen=True)
class Receipt:
    """What happened to one uploaded file, as the uploader sees it and downloads it."""

    file: str
    kind: str | None
    force_id: str | None
    status: str  # loaded, skipped (these bytes were loaded before), failed
    read: int = 0
    loaded: int = 0
    updated: int = 0
    duplicate: int = 0
    rejected: int = 0
    error: str | None = None
    loaded_at: dt.datetime | None = None
    rejects: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REJECT_COLUMNS))

    def counts(self) -> dict[str, int]:
        return {name: int(getattr(self, name)) for name in COUNTS}

    def to_csv(self) -> bytes:
        """One row per quarantined row, the file's counts on each (one row when none), so the
        receipt opens as a single table in a spreadsheet."""
        head = ["file", "force_id", "status", *COUNTS]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*head, *REJECT_COLUMNS])
        base = [self.file, self.force_id or "", self.status, *self.counts().values()]
        rows = self.rejects.rows() or [("", "", "", "")]
        for row in rows:
            writer.writerow([_cell(v) for v in (*base, *row)])
        return out.getvalue().encode("utf-8")


def _cell(value: object) -> object:
    """A text cell a spreadsheet would run as a formula is written as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def ingest_upload(engine: Engine, viewer: Viewer, name: str, data: bytes, key: bytes, *,
                  synthetic_only: bool, today: dt.date | None = None) -> Receipt:
    """Check an uploaded return and load it as `plait ingest` would; the receipt of the load.

    Raises AccessDenied when the file is another force's return (or the viewer may not upload
    at all) and UploadRefused when the server has no key of its own and the file is not one
    the generator wrote; both are audited as refused. A file that cannot be recognised or read
    gives a `failed` receipt, as `plait ingest` reports it."""
    if viewer.force_id is None and not viewer.is_national:
        _refuse(engine, viewer, name, "this role cannot upload returns")
    file_name = _safe_name(name)
    with tempfile.TemporaryDirectory(prefix="plait-upload-") as folder:
        path = Path(folder) / file_name
        path.write_bytes(data)
        try:
            found = detect(path, data)
        except UnreadableFileError as exc:
            return _audited(engine, viewer, Receipt(file_name, None, None, "failed",
                                                    error=exc.reason))
        _check_force(engine, viewer, file_name, found)
        if found.kind != "force_return" or found.mapping is None:
            _refuse(engine, viewer, file_name,
                    "this page takes force returns; load data.police.uk street files with "
                    "`plait ingest`", refused=UploadRefused)
        if synthetic_only:
            _check_invented(engine, viewer, path, found.mapping, data)
        try:
            [report] = ingest_paths([path], engine, key, today=today)
        except WrongKeyError as exc:  # the server's key is not the warehouse's
            _refuse(engine, viewer, file_name, str(exc), refused=UploadRefused)
    return _audited(engine, viewer, _receipt(engine, file_name, report, content_sha256(data)))


def _safe_name(name: str) -> str:
    """The upload's own file name (recognition uses it), without any folder part."""
    base = Path(name.replace("\\", "/")).name.strip()
    if not base or base.startswith("."):
        raise UploadRefused(f"{name!r} is not a usable file name")
    return base[:200]


def _refuse(engine: Engine, viewer: Viewer, file_name: str, reason: str,
            refused: type[Exception] = AccessDenied) -> NoReturn:
    audit.record(engine, viewer, "refused", PAGE, f"upload {file_name}: {reason}")
    raise refused(reason)


def _check_force(engine: Engine, viewer: Viewer, file_name: str, found: Detected) -> None:
    if not viewer.may_see_incidents_of(found.force_id):
        _refuse(engine, viewer, file_name,
                f"{file_name} is {found.force_id or 'an unknown force'}'s return and you may "
                f"upload only {viewer.force_id}'s")


def _check_invented(engine: Engine, viewer: Viewer, path: Path, mapping: ForceMapping,
                    data: bytes) -> None:
    try:
        raw = read_force_return(path, mapping, data)
    except UnreadableFileError:
        return  # ingest reports the file as failed, and loads nothing
    problems = not_invented(raw, mapping)
    if problems:
        shown = "; ".join(problems[:MAX_PROBLEMS])
        more = len(problems) - MAX_PROBLEMS
        _refuse(engine, viewer, path.name,
                "this server has no pseudonymisation key of its own (PLAIT_PSEUDONYM_KEY), so "
                "it loads only returns written by `plait synth`, and this one holds names or "
                f"identifiers the generator does not invent ({shown}"
                f"{f'; and {more} more' if more > 0 else ''})", refused=UploadRefused)


def _audited(engine: Engine, viewer: Viewer, receipt: Receipt) -> Receipt:
    counts = ", ".join(f"{k} {v}" for k, v in receipt.counts().items())
    audit.record(engine, viewer, "upload", PAGE,
                 f"{receipt.file} ({receipt.force_id or 'not recognised'}): {receipt.status}; "
                 f"{counts}" + (f"; {receipt.error}" if receipt.status == "failed" else ""))
    return receipt


def _receipt(engine: Engine, file_name: str, report: FileReport, digest: str) -> Receipt:
    """The report's counts and the quarantined rows of the file with these bytes.

    A file whose bytes were loaded before (`skipped`) gets the counts and rejects of that
    earlier load, so the uploader still learns what became of each row."""
    counts = {"read": report.read, "loaded": report.loaded, "updated": report.updated,
              "duplicate": report.duplicate, "rejected": report.rejected}
    if report.status == "failed":
        return Receipt(file_name, report.kind, report.force_id, "failed", **counts,
                       error=_first_line(report.error))
    table = raw_source_file
    with engine.connect() as conn:
        stored = conn.execute(select(table).where(table.c.content_sha256 == digest)
                              ).mappings().first()
        if stored is None:
            return Receipt(file_name, report.kind, report.force_id, report.status, **counts,
                           error=report.error)
        rejects = conn.execute(
            select(core_reject.c.source_row, core_reject.c.disposition, core_reject.c.field,
                   core_reject.c.reason)
            .where(core_reject.c.source_file_id == stored["source_file_id"])
            .order_by(core_reject.c.source_row)).all()
    if report.status == "skipped":
        counts = {"read": stored["read_count"], "loaded": stored["loaded_count"],
                  "updated": stored["updated_count"],
                  "duplicate": stored["duplicate_count"], "rejected": stored["rejected_count"]}
    return Receipt(file_name, report.kind, report.force_id, report.status, **counts,
                   error=report.error, loaded_at=stored["loaded_at"],
                   rejects=pl.DataFrame(rejects, schema=REJECT_COLUMNS, orient="row"))


def _first_line(error: str | None) -> str | None:
    """A database error's first line: the lines after it quote the SQL and the row's values."""
    return None if error is None else error.strip().split("\n", 1)[0][:300]


def returns_loaded(engine: Engine, viewer: Viewer, limit: int = 200) -> pl.DataFrame:
    """The force returns loaded so far, newest first: the viewer's force's, or all for a
    national analyst (file names and counts only)."""
    if viewer.force_id is None and not viewer.is_national:
        raise AccessDenied("returns: national analysts and force leads only")
    table = raw_source_file
    query = (select(table.c.file_name, table.c.force_id, table.c.loaded_at,
                    table.c.read_count.label("read"), table.c.loaded_count.label("loaded"),
                    table.c.updated_count.label("updated"),
                    table.c.duplicate_count.label("duplicate"),
                    table.c.rejected_count.label("rejected"))
             .where(table.c.kind == "force_return")
             .order_by(table.c.source_file_id.desc()).limit(limit))
    if not viewer.is_national:
        query = query.where(table.c.force_id == viewer.force_id)
    schema = {"file_name": pl.String, "force_id": pl.String,
              "loaded_at": pl.Datetime("us", "UTC"), "read": pl.Int64, "loaded": pl.Int64,
              "updated": pl.Int64, "duplicate": pl.Int64, "rejected": pl.Int64}
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return pl.DataFrame(rows, schema=schema, orient="row")


# --- What `plait synth` writes ----------------------------------------------------------------

def _words(values: tuple[str, ...]) -> str:
    return "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))


_SURNAME = f"(?:{_words(names.SURNAME_HEADS)})(?:{_words(names.SURNAME_TAILS)})"
INVENTED_NAME = re.compile(
    rf"^(?:{_words(names.FEMALE + names.MALE)}) {_SURNAME}(?:-{_SURNAME})?$", re.IGNORECASE)
_ADJ, _NOUN = _words(names.HANDLE_ADJECTIVES), _words(names.HANDLE_NOUNS)
INVENTED_HANDLE = re.compile(
    rf"^(?:(?:{_ADJ})_?(?:{_NOUN})\d+|(?:{_NOUN})_(?:{_ADJ})\d+|(?:{_NOUN})\d+_(?:{_ADJ}))"
    r"(?:_uk|_x|_real|_official|_gb|_|2|3)?$", re.IGNORECASE)
INVENTED_PHONE_PREFIXES = tuple(prefix for prefix, _ in names.PHONE_RANGES)


def not_invented(raw: pl.DataFrame, mapping: ForceMapping) -> list[str]:
    """Where a return holds a person's name or an identifier that `plait synth` would not
    write: as "row N, field" only, never the value.

    The generator's people are given names from its lists with surnames compounded from
    place-name parts, e-mail addresses at its invented domains, phone numbers in Ofcom's
    ranges reserved for drama, and handles made of its word lists (`etl.synth.names`), so a
    file of its making passes and a file with one real person's details does not."""
    problems: list[str] = []
    rows = raw["source_row"].to_list() if "source_row" in raw.columns else \
        list(range(2, raw.height + 2))
    for canonical in ("victim_name", "suspect_name"):
        column = mapping.columns.get(canonical)
        if column is None or column not in raw.columns:
            continue
        for row, value in zip(rows, raw[column].cast(pl.String).to_list(), strict=True):
            text = _present(value)
            if text and not INVENTED_NAME.match(text):
                problems.append(f"row {row}, {column}: not an invented name")
    for column in mapping.suspect_identifier_columns:
        if column not in raw.columns:
            continue
        for row, value in zip(rows, raw[column].cast(pl.String).to_list(), strict=True):
            text = _present(value)
            if text and not all(_invented_identifier(kind, token)
                                for kind, token in identifier_tokens(text, column)):
                problems.append(f"row {row}, {column}: not an invented identifier")
    return problems


def _present(value: str | None) -> str | None:
    text = (value or "").strip()
    return None if text.lower() in NULL_TOKENS else text


def _invented_identifier(kind: str, token: str) -> bool:
    if kind == "email":
        return token.rsplit("@", 1)[-1] in names.EMAIL_DOMAINS
    if kind == "phone":
        national = "0" + token.removeprefix("+44")
        return token.startswith("+44") and len(national) == 11 and national.startswith(
            INVENTED_PHONE_PREFIXES)
    if kind == "handle":
        return INVENTED_HANDLE.match(token) is not None
    return kind == "handle_stem"  # the stem of a handle checked above
