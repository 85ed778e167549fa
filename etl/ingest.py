"""`plait ingest`: every file in, each in one transaction, reconciled row for row.

For each file: identify it (content hash, kind, force), skip it when those bytes were
loaded before, map and validate it, recognise duplicates and restatements, then write the
file record, its canonical rows, the versions they replace and its quarantined rows in one
transaction. read = loaded + updated + duplicate + rejected holds per file, and the
database checks it too (raw_source_file CHECK).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import polars as pl
from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import SQLAlchemyError

from etl import crash_points, dedupe, police_uk, returns
from etl.force_return import Mapped, to_canonical
from etl.key_rotation import warehouse_key
from etl.mapping import ForceMapping, all_mappings
from etl.pseudonymise import Key
from etl.readers import (
    SOURCE_ROW,
    Extract,
    UnreadableFileError,
    check_readable,
    content_sha256,
    read_csv_extract,
    read_csv_text,
    read_header,
    read_jsonl_extract,
    read_xlsx_extract,
)
from etl.schema import (
    core_incident,
    core_incident_version,
    core_reject,
    core_street_crime,
    raw_source_file,
)
from etl.warehouse import exclusive, insert_frame

EXTRACT_SUFFIXES = {".csv": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl"}
SKIPPED_DIRS = {"truth"}
OTHER_DELIMITERS = (";", "\t", "|", ",")
SHOWN_COLUMNS = 8
VICTIMS_PER_QUERY = 500


@dataclass
class FileReport:
    """One line of the reconciliation (DESIGN.md: the `--report` JSON fields)."""

    file: str
    kind: str | None
    force_id: str | None
    status: str
    read: int = 0
    loaded: int = 0
    updated: int = 0
    duplicate: int = 0
    rejected: int = 0
    error: str | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Detected:
    kind: str
    force_id: str | None
    mapping: ForceMapping | None


def discover(paths: Iterable[Path]) -> list[Path]:
    """Files named, and extracts found in folders (not the generator's `truth/` folder)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.suffix.lower() in EXTRACT_SUFFIXES
                and not SKIPPED_DIRS & set(p.relative_to(path).parts[:-1])
                and not p.name.startswith(".")
            )
        else:
            found.append(path)
    return found


def detect(path: Path, data: bytes) -> Detected:
    """A data.police.uk street file by its header and name; a force return by its mapping.

    A file no layout could read fails first with its own cause (empty, not text, an
    unsupported encoding, a broken workbook); a header that fits no mapping names the
    closest mapping and the columns it lacks."""
    if not path.exists():
        raise UnreadableFileError(path, "no such file")
    fmt = EXTRACT_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise UnreadableFileError(path, f"unknown file type '{path.suffix}' (csv, xlsx, jsonl)")
    check_readable(path, fmt, data)
    if fmt == "csv" and police_uk.looks_like_street_name(path):
        header = read_header(path, "csv", data)
        if not police_uk.is_street_file(path, header):
            raise UnreadableFileError(
                path,
                "named like a data.police.uk street file but the header is "
                f"{header[:12]}, not {list(police_uk.STREET_HEADER)}",
            )
        return Detected("police_uk_street", police_uk.force_from_name(path), None)
    candidates = [m for m in all_mappings() if m.format == fmt]
    by_name = [m for m in candidates if m.matches_name(path)]
    for pool in (by_name, candidates):
        fitting = [m for m in pool if _header_fits(path, m, data)]
        if len(fitting) == 1:
            return Detected("force_return", fitting[0].force_id, fitting[0])
        if len(fitting) > 1:
            forces = ", ".join(m.force_id for m in fitting)
            raise UnreadableFileError(
                path,
                f"the header fits the layouts of several forces ({forces}); put the "
                "force id in the file name",
            )
    raise UnreadableFileError(path, _no_layout(path, data, candidates, by_name))


def _no_layout(path: Path, data: bytes, candidates: list[ForceMapping],
               by_name: list[ForceMapping]) -> str:
    """Why no mapping fits: the mapping the file is named for, or the closest by columns."""
    headers: dict[str, list[str]] = {}
    errors: list[UnreadableFileError] = []
    for m in by_name or candidates:
        try:
            headers[m.force_id] = _header(path, m, data)
        except UnreadableFileError as exc:
            errors.append(exc)
    if by_name and errors:
        raise errors[0]
    if not headers and errors:
        raise errors[0]
    pool = [m for m in by_name or candidates if m.force_id in headers]

    def overlap(m: ForceMapping) -> int:
        return len(set(m.source_columns) & set(headers[m.force_id]))

    best = max(overlap(m) for m in pool)
    closest = [m for m in pool if overlap(m) == best]
    header = headers[closest[0].force_id]
    missing = [c for c in closest[0].source_columns if c not in header]
    shown = ", ".join(repr(c) for c in missing[:SHOWN_COLUMNS]) + (
        f" and {len(missing) - SHOWN_COLUMNS} more" if len(missing) > SHOWN_COLUMNS else "")
    hint = _delimiter_hint(closest[0], header)
    if by_name:
        return (f"named like a {closest[0].force_id} extract but columns are missing: "
                f"[{shown}]{hint}")
    text = "neither a data.police.uk street file nor the layout of any force mapping in " \
        "etl/mappings/"
    if best == 0:
        return f"{text} (no column of its header is in any mapping){hint}"
    size = f"{best} of {len(closest[0].source_columns)} columns"
    if len(closest) == 1:
        return (f"{text}; the closest layout ({size}) is {closest[0].force_id}'s, which also "
                f"needs [{shown}]{hint}")
    forces = ", ".join(m.force_id for m in closest[:-1]) + f" and {closest[-1].force_id}"
    return f"{text}; the closest layouts ({size}) are {forces}, which also need [{shown}]{hint}"


def _delimiter_hint(m: ForceMapping, header: list[str]) -> str:
    if m.format != "csv" or len(header) != 1:
        return ""
    for other in OTHER_DELIMITERS:
        if other != m.delimiter and other in header[0]:
            name = {"\t": "tab"}.get(other, repr(other))
            return (f"; the header is one field: the file seems {name}-delimited, and "
                    f"{m.force_id}'s extract uses {m.delimiter!r}")
    return ""


def _header(path: Path, m: ForceMapping, data: bytes) -> list[str]:
    return read_header(
        path, m.format, data, encoding=m.encoding, delimiter=m.delimiter, sheet=m.sheet
    )


def _safe_header(path: Path, m: ForceMapping, data: bytes) -> list[str]:
    try:
        return _header(path, m, data)
    except (UnreadableFileError, UnicodeDecodeError, OSError):
        return []


def _header_fits(path: Path, m: ForceMapping, data: bytes) -> bool:
    return set(m.source_columns) <= set(_safe_header(path, m, data))


def read_force_extract(path: Path, m: ForceMapping, data: bytes) -> Extract:
    """A force return's records, its malformed rows and what was noticed on the way."""
    if m.format == "csv":
        return read_csv_extract(path, data, encoding=m.encoding, delimiter=m.delimiter)
    if m.format == "xlsx":
        return read_xlsx_extract(path, data, sheet=m.sheet)
    return read_jsonl_extract(path, data)


def read_force_return(path: Path, m: ForceMapping, data: bytes) -> pl.DataFrame:
    """The records a force return's rows could be split into (malformed rows left out)."""
    return read_force_extract(path, m, data).frame


def ingest_paths(
    paths: Iterable[Path],
    engine: Engine,
    key: bytes,
    *,
    on_file: Callable[[FileReport], None] | None = None,
    today: dt.date | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> list[FileReport]:
    """Load every file; a file that fails leaves the warehouse as it was and the rest go on.

    The next file is read and validated in a second thread while the current one loads:
    polars and the database driver both release the GIL, so the two overlap. Loads of
    several processes take turns, file by file (`etl.warehouse.exclusive`); `on_wait` hears
    what this one waited for.
    """
    files = discover(paths)
    key = warehouse_key(engine, key)  # the warehouse's chain; a wrong key is refused
    reports: list[FileReport] = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        ahead = pool.submit(_prepare, files[0], engine, key, today) if files else None
        for index in range(len(files)):
            assert ahead is not None
            prepared = ahead.result()
            if index + 1 < len(files):
                ahead = pool.submit(_prepare, files[index + 1], engine, key, today)
            report = (prepared if isinstance(prepared, FileReport)
                      else _load(prepared, engine, on_wait))
            reports.append(report)
            if on_file:
                on_file(report)
    return reports


def ingest_file(path: Path, engine: Engine, key: bytes, today: dt.date | None = None) -> FileReport:
    prepared = _prepare(path, engine, warehouse_key(engine, key), today)
    return prepared if isinstance(prepared, FileReport) else _load(prepared, engine)


@dataclass
class _Prepared:
    """A file read, identified and validated: everything but what needs the warehouse."""

    path: Path
    digest: str
    found: Detected
    read: int
    rows: pl.DataFrame
    quarantine: list[pl.DataFrame] = field(default_factory=list)
    warnings: tuple[str, ...] = ()
    period: tuple[dt.date, dt.date] | None = None


def _failed(path: Path, found: Detected | None, error: str) -> FileReport:
    kind, force = (found.kind, found.force_id) if found else (None, None)
    return FileReport(str(path), kind, force, "failed", error=error)


def _already_loaded(
    conn: Connection, path: Path, found: Detected, digest: str
) -> FileReport | None:
    row = conn.execute(
        select(
            raw_source_file.c.read_count,
            raw_source_file.c.loaded_count,
            raw_source_file.c.updated_count,
            raw_source_file.c.duplicate_count,
            raw_source_file.c.rejected_count,
        ).where(raw_source_file.c.content_sha256 == digest)
    ).first()
    if row is None:
        return None
    return FileReport(
        str(path),
        found.kind,
        found.force_id,
        "skipped",
        error=f"already loaded (read {row[0]}, loaded {row[1]}, updated {row[2]}, "
        f"duplicate {row[3]}, rejected {row[4]})",
    )


def _prepare(
    path: Path, engine: Engine, key: Key, today: dt.date | None
) -> _Prepared | FileReport:
    found: Detected | None = None
    try:
        if not path.is_file():
            raise UnreadableFileError(path, "no such file")
        data = path.read_bytes()
        found = detect(path, data)
        digest = content_sha256(data)
        try:  # an early look saves parsing a file loaded before; _load asks again anyway
            with engine.connect() as conn:
                skipped = _already_loaded(conn, path, found, digest)
        except SQLAlchemyError:
            skipped = None
        if skipped:
            return skipped
        if found.kind == "police_uk_street":
            raw = read_csv_text(path, data)
            good, bad = police_uk.to_street_rows(raw)
            return _Prepared(
                path,
                digest,
                found,
                raw.height,
                good,
                [bad.with_columns(pl.lit("rejected").alias("disposition"))],
                period=returns.file_period(path, good["month_date"]),
            )
        assert found.mapping is not None
        extract = read_force_extract(path, found.mapping, data)
        mapped = to_canonical(extract.frame, found.mapping, key, today=today,
                              malformed=extract.malformed, notes=extract.notes)
        accepted, quarantine = _within_file(mapped)
        return _Prepared(path, digest, found, extract.read, accepted, quarantine,
                         extract.warnings, returns.file_period(path, accepted["reported_date"]))
    except UnreadableFileError as exc:
        return _failed(path, found, exc.reason)
    except Exception as exc:  # a file we cannot make sense of must not stop the others
        return _failed(path, found, f"could not be read: {type(exc).__name__}: {exc}")


def _load(
    prepared: _Prepared, engine: Engine, on_wait: Callable[[str], None] | None = None
) -> FileReport:
    """One transaction per file: all its rows are in, or none are.

    The writer lock is taken before the file is looked up, so a file another process is
    loading is found loaded once it commits, never loaded twice; on SQLite the transaction
    also starts as a writer (BEGIN IMMEDIATE), so no other writer can slip in between the
    look-up and the first write."""
    found = prepared.found
    report = FileReport(
        str(prepared.path), found.kind, found.force_id, "loaded", read=prepared.read,
        error="; ".join(f"warning: {w}" for w in prepared.warnings) or None,
    )
    try:
        with (
            exclusive(engine, f"plait ingest loading {prepared.path.name}", on_wait),
            engine.begin() as conn,
        ):
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            skipped = _already_loaded(conn, prepared.path, found, prepared.digest)
            if skipped:
                return skipped
            if found.kind == "police_uk_street":
                _load_street(conn, prepared, report)
            else:
                assert found.mapping is not None
                _load_force_return(conn, prepared, found.mapping, report)
            crash_points.reached("before-commit")
        crash_points.reached("committed")
    except Exception as exc:  # the transaction rolled back; report and go on to the next file
        return _failed(
            prepared.path, found, f"load failed and was rolled back: {type(exc).__name__}: {exc}"
        )
    return report


def _register(
    conn: Connection, prepared: _Prepared, report: FileReport, records_system: str | None
) -> int:
    start, end = prepared.period or (None, None)
    result = conn.execute(
        raw_source_file.insert().values(
            file_name=prepared.path.name,
            file_path=str(prepared.path),
            content_sha256=prepared.digest,
            kind=report.kind,
            force_id=report.force_id,
            records_system=records_system,
            read_count=report.read,
            loaded_count=report.loaded,
            updated_count=report.updated,
            duplicate_count=report.duplicate,
            rejected_count=report.rejected,
            loaded_at=dt.datetime.now(dt.UTC),
            period_start_date=start,
            period_end_date=end,
        )
    )
    crash_points.reached("registered")
    return int(result.inserted_primary_key[0])


def _load_street(conn: Connection, prepared: _Prepared, report: FileReport) -> None:
    [bad] = prepared.quarantine
    report.loaded, report.rejected = prepared.rows.height, bad.height
    file_id = _register(conn, prepared, report, None)
    insert_frame(
        conn, core_street_crime, prepared.rows.with_columns(pl.lit(file_id).alias("source_file_id"))
    )
    insert_frame(conn, core_reject, bad.with_columns(pl.lit(file_id).alias("source_file_id")))


def _within_file(mapped: Mapped) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """Repeated rows and reused references inside one file, before the warehouse is asked."""
    accepted = mapped.accepted
    rejected = mapped.rejected.with_columns(pl.lit("rejected").alias("disposition"))
    both = pl.concat(
        [
            accepted.select(SOURCE_ROW, "row_hash", "incident_id"),
            rejected.select(SOURCE_ROW, "row_hash", "incident_id"),
        ]
    )
    repeats = dedupe.within_file_repeats(both.select(SOURCE_ROW, "row_hash"))
    repeat_rows = set(repeats[SOURCE_ROW].to_list())
    first_of = dict(repeats.iter_rows())
    quarantine = [rejected.filter(~pl.col(SOURCE_ROW).is_in(repeat_rows))]
    if repeat_rows:
        quarantine.append(
            _duplicates(
                both.filter(pl.col(SOURCE_ROW).is_in(repeat_rows)).select(
                    SOURCE_ROW, "incident_id"
                ),
                "force_ref",
                lambda r: f"force_ref: exact duplicate of row {first_of[r]}",
                "duplicate",
            )
        )
    accepted = accepted.filter(~pl.col(SOURCE_ROW).is_in(repeat_rows))
    reused = dedupe.reused_references(accepted)
    if reused.height:
        first = dict(zip(reused[SOURCE_ROW], reused["first_row"], strict=True))
        quarantine.append(
            _duplicates(
                reused.select(SOURCE_ROW, "incident_id"),
                "force_ref",
                lambda r: (
                    f"force_ref: crime reference used again (first at row {first[r]}) "
                    "with different values"
                ),
                "rejected",
            )
        )
        accepted = accepted.filter(~pl.col(SOURCE_ROW).is_in(reused[SOURCE_ROW].implode()))
    return accepted, quarantine


def _load_force_return(
    conn: Connection, prepared: _Prepared, m: ForceMapping, report: FileReport
) -> None:
    """New incidents, restatements (a new version each) and exact resends (duplicates)."""
    accepted, quarantine = prepared.rows, list(prepared.quarantine)
    held = _held(conn, accepted["incident_id"])
    restated = dedupe.restatements(accepted, held)
    resent = restated.filter(pl.col("changed_fields") == "").join(
        held.select("incident_id", "file_name", pl.col(SOURCE_ROW).alias("old_row")),
        on="incident_id",
    )
    if resent.height:
        where = {
            r: f"{f} row {o}"
            for r, f, o in resent.select(SOURCE_ROW, "file_name", "old_row").iter_rows()
        }
        quarantine.append(
            _duplicates(
                resent.select(SOURCE_ROW, "incident_id"),
                "force_ref",
                lambda r: f"force_ref: incident already loaded from {where[r]}",
                "duplicate",
            )
        )
    changes = restated.filter(pl.col("changed_fields") != "").select(
        "incident_id", (pl.col("version") + 1).alias("version"), "changed_fields"
    )
    accepted = accepted.join(resent.select("incident_id"), on="incident_id", how="anti").join(
        changes, on="incident_id", how="left"
    )
    accepted, relinks = _mark_transfers(conn, accepted)
    relinks = relinks.join(changes.select("incident_id"), on="incident_id", how="anti")
    is_update = pl.col("version").is_not_null()
    quarantined = pl.concat(quarantine, how="diagonal_relaxed")
    transferred = accepted.filter(~is_update & pl.col("is_duplicate")).height
    report.updated = changes.height
    report.duplicate = transferred + quarantined.filter(pl.col("disposition") == "duplicate").height
    report.rejected = quarantined.filter(pl.col("disposition") == "rejected").height
    report.loaded = accepted.height - report.updated - transferred
    if report.read != report.loaded + report.updated + report.duplicate + report.rejected:
        raise RuntimeError(f"{prepared.path}: rows do not reconcile ({report})")
    file_id = _register(conn, prepared, report, m.records_system)
    if changes.height:
        _replace_versions(conn, held.join(changes.select("incident_id"), on="incident_id"),
                          file_id)
    insert_frame(
        conn,
        core_incident,
        accepted.with_columns(
            pl.lit(file_id).alias("source_file_id"), pl.col("version").fill_null(1)
        ),
    )
    insert_frame(
        conn, core_reject, quarantined.with_columns(pl.lit(file_id).alias("source_file_id"))
    )
    crash_points.reached("rows-written")
    for transferred_id, receiver_id in relinks.iter_rows():
        conn.execute(
            update(core_incident)
            .where(core_incident.c.incident_id == transferred_id)
            .values(duplicate_of=receiver_id)
        )


HELD_CHUNK = 5_000
"""Incident ids per lookup of the versions held (well under SQLite's 32,766 parameters)."""


def _held(conn: Connection, incident_ids: pl.Series) -> pl.DataFrame:
    """The current version of each of these incidents already in the warehouse, whole, with
    the name of the file it came from: found by primary key, so a file costs its own size."""
    ids = incident_ids.unique().sort().to_list()
    columns = [*core_incident.columns, raw_source_file.c.file_name]
    schema = {c.name: _polars_type(c) for c in columns}
    frames = [
        pl.DataFrame(
            conn.execute(
                select(*columns)
                .join(raw_source_file)
                .where(core_incident.c.incident_id.in_(ids[k : k + HELD_CHUNK]))
            ).all(),
            schema=schema,
            orient="row",
        )
        for k in range(0, len(ids), HELD_CHUNK)
    ]
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)


def _polars_type(column) -> pl.DataType:  # type: ignore[no-untyped-def]
    python = column.type.python_type
    return {bool: pl.Boolean(), int: pl.Int64(), float: pl.Float64(), dt.date: pl.Date()}.get(
        python, pl.String()
    )


def _replace_versions(conn: Connection, replaced: pl.DataFrame, file_id: int) -> None:
    """Move the versions a restatement replaces into the history, whole, naming the file
    that replaced them; the new versions then take their place in `core_incident`."""
    insert_frame(
        conn,
        core_incident_version,
        replaced.with_columns(pl.lit(file_id).alias("replaced_by_file_id")),
    )
    ids = replaced["incident_id"].to_list()
    for k in range(0, len(ids), HELD_CHUNK):
        conn.execute(
            core_incident.delete().where(core_incident.c.incident_id.in_(ids[k : k + HELD_CHUNK]))
        )


def _duplicates(
    rows: pl.DataFrame, field: str, reason: Callable[[int], str], disposition: str
) -> pl.DataFrame:
    """Quarantine entries for repeats; the raw row is the one already stored or quarantined."""
    return rows.select(
        SOURCE_ROW,
        pl.lit(field).alias("field"),
        pl.col(SOURCE_ROW).map_elements(reason, return_dtype=pl.String).alias("reason"),
        pl.concat_str(pl.lit('{"incident_id": "'), pl.col("incident_id"), pl.lit('"}')).alias(
            "raw_row"
        ),
        pl.lit(disposition).alias("disposition"),
    )


def _mark_transfers(conn: Connection, accepted: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Flag transferred records and link pairs among this file and the warehouse.

    A pair shares a victim, so only the stored incidents of this file's victims are read
    (through the victim index), never the whole warehouse: the cost follows the file.
    """
    is_transfer = pl.col("outcome") == "transferred"
    batch = accepted.select(
        "incident_id", "force_id", "victim_id", "offence_group", "reported_date", "outcome"
    )
    stored = _stored_of_victims(conn, batch)
    receivers = pl.concat(
        [stored.filter(~is_transfer).drop("duplicate_of"), batch.filter(~is_transfer)]
    )
    new_links = dedupe.match_transfers(batch.filter(is_transfer), receivers)
    old_open = stored.filter(is_transfer & pl.col("duplicate_of").is_null())
    relinks = dedupe.match_transfers(old_open, batch.filter(~is_transfer))
    accepted = accepted.join(new_links, on="incident_id", how="left").with_columns(
        is_transfer.alias("is_duplicate"),
        pl.when(is_transfer).then(pl.lit("transferred to another force")).alias("duplicate_reason"),
    )
    return accepted, relinks


def _stored_of_victims(conn: Connection, batch: pl.DataFrame) -> pl.DataFrame:
    """Stored incidents of the batch's victims and offence groups: the transfer candidates."""
    cols = [
        core_incident.c.incident_id,
        core_incident.c.force_id,
        core_incident.c.victim_id,
        core_incident.c.offence_group,
        core_incident.c.reported_date,
        core_incident.c.outcome,
        core_incident.c.duplicate_of,
    ]
    schema = {
        "incident_id": pl.String,
        "force_id": pl.String,
        "victim_id": pl.String,
        "offence_group": pl.String,
        "reported_date": pl.Date,
        "outcome": pl.String,
        "duplicate_of": pl.String,
    }
    keys = batch.select("victim_id", "offence_group").drop_nulls().unique()
    victims = keys["victim_id"].unique().sort().to_list()
    rows = []
    for start in range(0, len(victims), VICTIMS_PER_QUERY):
        chunk = victims[start : start + VICTIMS_PER_QUERY]
        rows.extend(conn.execute(select(*cols).where(core_incident.c.victim_id.in_(chunk))).all())
    stored = pl.DataFrame(rows, schema=schema, orient="row")
    return stored.join(keys, on=["victim_id", "offence_group"], how="semi")
