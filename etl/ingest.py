"""`plait ingest`: every file in, each in one transaction, reconciled row for row.

For each file: identify it (content hash, kind, force), skip it when those bytes were
loaded before, map and validate it, recognise duplicates, then write the file record, its
canonical rows and its quarantined rows in one transaction. read = loaded + duplicate +
rejected holds per file, and the database checks it too (raw_source_file CHECK).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl
from sqlalchemy import Connection, Engine, select, update

from etl import dedupe, police_uk
from etl.force_return import to_canonical
from etl.mapping import ForceMapping, all_mappings
from etl.readers import (
    SOURCE_ROW,
    UnreadableFileError,
    content_sha256,
    read_csv_text,
    read_header,
    read_jsonl_text,
    read_xlsx_text,
)
from etl.schema import core_incident, core_reject, core_street_crime, raw_source_file
from etl.warehouse import insert_frame

EXTRACT_SUFFIXES = {".csv": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl"}
SKIPPED_DIRS = {"truth"}


@dataclass
class FileReport:
    """One line of the reconciliation (DESIGN.md: the `--report` JSON fields)."""

    file: str
    kind: str | None
    force_id: str | None
    status: str
    read: int = 0
    loaded: int = 0
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
    """A data.police.uk street file by its header and name; a force return by its mapping."""
    if not path.exists():
        raise UnreadableFileError(path, "no such file")
    fmt = EXTRACT_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise UnreadableFileError(path, f"unknown file type '{path.suffix}' (csv, xlsx, jsonl)")
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
    if by_name:
        m = by_name[0]
        missing = sorted(set(m.source_columns) - set(_safe_header(path, m, data)))
        raise UnreadableFileError(
            path, f"named like a {m.force_id} extract but columns are missing: {missing}"
        )
    raise UnreadableFileError(
        path,
        "neither a data.police.uk street file nor the layout of any force mapping in etl/mappings/",
    )


def _safe_header(path: Path, m: ForceMapping, data: bytes) -> list[str]:
    try:
        return read_header(
            path, m.format, data, encoding=m.encoding, delimiter=m.delimiter, sheet=m.sheet
        )
    except (UnreadableFileError, UnicodeDecodeError, OSError):
        return []


def _header_fits(path: Path, m: ForceMapping, data: bytes) -> bool:
    return set(m.source_columns) <= set(_safe_header(path, m, data))


def read_force_return(path: Path, m: ForceMapping, data: bytes) -> pl.DataFrame:
    if m.format == "csv":
        return read_csv_text(path, data, encoding=m.encoding, delimiter=m.delimiter)
    if m.format == "xlsx":
        return read_xlsx_text(path, data, sheet=m.sheet)
    return read_jsonl_text(path, data)


def ingest_paths(
    paths: Iterable[Path],
    engine: Engine,
    key: bytes,
    *,
    on_file: Callable[[FileReport], None] | None = None,
    today: dt.date | None = None,
) -> list[FileReport]:
    """Load every file; a file that fails leaves the warehouse as it was and the rest go on."""
    reports = []
    for path in discover(paths):
        report = ingest_file(path, engine, key, today=today)
        reports.append(report)
        if on_file:
            on_file(report)
    return reports


def ingest_file(path: Path, engine: Engine, key: bytes, today: dt.date | None = None) -> FileReport:
    try:
        if not path.is_file():
            raise UnreadableFileError(path, "no such file")
        data = path.read_bytes()
        found = detect(path, data)
        digest = content_sha256(data)
    except UnreadableFileError as exc:
        return FileReport(str(path), None, None, "failed", error=exc.reason)
    report = FileReport(str(path), found.kind, found.force_id, "loaded")
    with engine.connect() as conn:
        already = conn.execute(
            select(
                raw_source_file.c.read_count,
                raw_source_file.c.loaded_count,
                raw_source_file.c.duplicate_count,
                raw_source_file.c.rejected_count,
            ).where(raw_source_file.c.content_sha256 == digest)
        ).first()
    if already is not None:
        report.status = "skipped"
        report.read, report.loaded, report.duplicate, report.rejected = (0, 0, 0, 0)
        report.error = (
            f"already loaded (read {already[0]}, loaded {already[1]}, duplicate "
            f"{already[2]}, rejected {already[3]})"
        )
        return report
    try:
        if found.kind == "police_uk_street":
            _load_street(path, data, digest, engine, report)
        else:
            assert found.mapping is not None
            _load_force_return(path, data, digest, found.mapping, engine, key, report, today)
    except UnreadableFileError as exc:
        return FileReport(str(path), found.kind, found.force_id, "failed", error=exc.reason)
    except Exception as exc:  # the transaction rolled back; report and go on to the next file
        return FileReport(
            str(path),
            found.kind,
            found.force_id,
            "failed",
            error=f"load failed and was rolled back: {type(exc).__name__}: {exc}",
        )
    return report


def _register(
    conn: Connection, path: Path, digest: str, report: FileReport, records_system: str | None
) -> int:
    result = conn.execute(
        raw_source_file.insert().values(
            file_name=path.name,
            file_path=str(path),
            content_sha256=digest,
            kind=report.kind,
            force_id=report.force_id,
            records_system=records_system,
            read_count=report.read,
            loaded_count=report.loaded,
            duplicate_count=report.duplicate,
            rejected_count=report.rejected,
            loaded_at=dt.datetime.now(dt.UTC),
        )
    )
    return int(result.inserted_primary_key[0])


def _load_street(
    path: Path, data: bytes, digest: str, engine: Engine, report: FileReport
) -> None:
    raw = read_csv_text(path, data)
    good, bad = police_uk.to_street_rows(raw)
    report.read, report.loaded, report.rejected = raw.height, good.height, bad.height
    with engine.begin() as conn:
        file_id = _register(conn, path, digest, report, None)
        insert_frame(
            conn, core_street_crime, good.with_columns(pl.lit(file_id).alias("source_file_id"))
        )
        insert_frame(
            conn,
            core_reject,
            bad.with_columns(
                pl.lit(file_id).alias("source_file_id"), pl.lit("rejected").alias("disposition")
            ),
        )


def _load_force_return(
    path: Path,
    data: bytes,
    digest: str,
    m: ForceMapping,
    engine: Engine,
    key: bytes,
    report: FileReport,
    today: dt.date | None,
) -> None:
    raw = read_force_return(path, m, data)
    mapped = to_canonical(raw, m, key, today=today)
    accepted, rejected = (
        mapped.accepted,
        mapped.rejected.with_columns(pl.lit("rejected").alias("disposition")),
    )

    repeats = dedupe.within_file_repeats(
        pl.concat(
            [accepted.select(SOURCE_ROW, "row_hash"), rejected.select(SOURCE_ROW, "row_hash")]
        )
    )
    repeat_rows = set(repeats[SOURCE_ROW].to_list())
    first_of = dict(repeats.iter_rows())
    quarantine = [rejected.filter(~pl.col(SOURCE_ROW).is_in(repeat_rows))]
    moved = pl.concat([accepted.select(SOURCE_ROW), rejected.select(SOURCE_ROW)]).filter(
        pl.col(SOURCE_ROW).is_in(repeat_rows)
    )
    if moved.height:
        quarantine.append(
            _duplicates(
                pl.concat(
                    [
                        accepted.select(SOURCE_ROW, "incident_id"),
                        rejected.select(SOURCE_ROW, "incident_id"),
                    ]
                ).filter(pl.col(SOURCE_ROW).is_in(repeat_rows)),
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

    with engine.begin() as conn:
        existing = pl.DataFrame(
            conn.execute(
                select(
                    core_incident.c.incident_id,
                    raw_source_file.c.file_name,
                    core_incident.c.source_row,
                )
                .join(raw_source_file)
                .where(core_incident.c.force_id == m.force_id)
            ).all(),
            schema={"incident_id": pl.String, "file_name": pl.String, "old_row": pl.Int64},
            orient="row",
        )
        resent = accepted.join(existing, on="incident_id", how="inner")
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
            accepted = accepted.join(existing, on="incident_id", how="anti")

        accepted, relinks = _mark_transfers(conn, accepted)
        quarantined = pl.concat(quarantine, how="diagonal_relaxed")
        report.read = raw.height
        report.duplicate = (
            int(accepted["is_duplicate"].sum())
            + quarantined.filter(pl.col("disposition") == "duplicate").height
        )
        report.rejected = quarantined.filter(pl.col("disposition") == "rejected").height
        report.loaded = accepted.height - int(accepted["is_duplicate"].sum())
        if report.read != report.loaded + report.duplicate + report.rejected:
            raise RuntimeError(f"{path}: rows do not reconcile ({report})")
        file_id = _register(conn, path, digest, report, m.records_system)
        insert_frame(
            conn, core_incident, accepted.with_columns(pl.lit(file_id).alias("source_file_id"))
        )
        insert_frame(
            conn, core_reject, quarantined.with_columns(pl.lit(file_id).alias("source_file_id"))
        )
        for transferred_id, receiver_id in relinks.iter_rows():
            conn.execute(
                update(core_incident)
                .where(core_incident.c.incident_id == transferred_id)
                .values(duplicate_of=receiver_id)
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
    """Flag transferred records and link pairs among this file and the warehouse."""
    cols = [
        core_incident.c.incident_id,
        core_incident.c.force_id,
        core_incident.c.victim_id,
        core_incident.c.offence_group,
        core_incident.c.reported_date,
        core_incident.c.outcome,
        core_incident.c.duplicate_of,
    ]
    stored = pl.DataFrame(
        conn.execute(select(*cols).where(core_incident.c.victim_id.is_not(None))).all(),
        schema={
            "incident_id": pl.String,
            "force_id": pl.String,
            "victim_id": pl.String,
            "offence_group": pl.String,
            "reported_date": pl.Date,
            "outcome": pl.String,
            "duplicate_of": pl.String,
        },
        orient="row",
    )
    is_transfer = pl.col("outcome") == "transferred"
    batch = accepted.select(
        "incident_id", "force_id", "victim_id", "offence_group", "reported_date", "outcome"
    )
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
