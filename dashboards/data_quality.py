"""The Data quality page's data: what each force sent, what became of each row, and which
returns are late or missing, cut to what the viewer's role may receive.

Files and their counts are read from `raw_source_file` (one row per file loaded, whose counts
reconcile by a check constraint: read = loaded + updated + duplicate + rejected; `updated`
counts restatements of incidents sent before, kept as their new version), rejected rows from
`core_reject`. A reject belongs to its force: national analysts see every force's, a force user
only their own, NPCC leads none (they read the release's data-quality section). A reject is
shown as its file, row number, field and the kind of its reason, with values taken out: the
stored row (`raw_row`, hashed and redacted at ingest) is never shown, and neither is a value
the reason quotes (a coordinate or a date can identify). Late or missing returns are the
release's own decision (`analytics.release.data_quality_section`), read from its table.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl
from sqlalchemy import Engine, func, select

from dashboards.access import AccessDenied, Viewer
from dashboards.data import RunInfo, section
from etl import schema

_RANGE_IN_BRACKETS = re.compile(r"\s*\(-?[\d.]+\.\.-?[\d.]+\)")
_RANGE = re.compile(r"[\d-]+(?:\.\d+)?\.\.[\d-]+(?:\.\d+)?")
_VALUE = re.compile(r"'[^']*'|\"[^\"]*\"|\d{4}-\d{2}-\d{2}|-?\d+(?:\.\d+)?")


def reason_kind(reason: str) -> str:
    """A reject's reason with its values taken out, so rows rejected for the same rule read
    the same: "latitude: -33.87 is outside the UK (49.8..60.95)" → "latitude: … is outside
    the UK"; "victim_role: unknown value 'Mayor'" → "victim_role: unknown value '…'"."""
    text = _RANGE_IN_BRACKETS.sub("", reason)
    text = _RANGE.sub("the allowed range", text)
    return _VALUE.sub(lambda m: "'…'" if m[0][0] in "'\"" else "…", text)


def _forces_for(viewer: Viewer) -> str | None:
    """The force whose files the viewer may see, or None for all (national)."""
    if viewer.is_national:
        return None
    if viewer.force_id:
        return viewer.force_id
    raise AccessDenied("force returns as received: national analysts and forces only; NPCC "
                       "leads read the release's data-quality section")


def source_files(engine: Engine, viewer: Viewer) -> pl.DataFrame:
    """Every file received (a force user: their own force's), newest first, with its
    reconciliation."""
    force_id = _forces_for(viewer)
    f, force = schema.raw_source_file, schema.ref_force
    query = (select(force.c.force_name.label("force"), f.c.file_name, f.c.kind,
                    f.c.loaded_at.label("received_at"), f.c.read_count.label("read"),
                    f.c.loaded_count.label("loaded"), f.c.updated_count.label("updated"),
                    f.c.duplicate_count.label("duplicates"),
                    f.c.rejected_count.label("rejected"))
             .outerjoin(force, force.c.force_id == f.c.force_id)
             .order_by(f.c.loaded_at.desc(), f.c.file_name))
    if force_id is not None:
        query = query.where(f.c.force_id == force_id)
    with engine.connect() as conn:
        files = pl.read_database(query, conn, infer_schema_length=None, schema_overrides={
            "force": pl.String, "file_name": pl.String, "kind": pl.String,
            "read": pl.Int64, "loaded": pl.Int64, "updated": pl.Int64, "duplicates": pl.Int64,
            "rejected": pl.Int64})
    return files.with_columns(
        (pl.col("read") == pl.col("loaded") + pl.col("updated") + pl.col("duplicates")
         + pl.col("rejected")).alias("reconciles"))


def returns_by_force(engine: Engine, viewer: Viewer) -> pl.DataFrame:
    """Per force (a force user: their own): files, when the last arrived, rows read and their
    fate, and the latest month with an incident. National analysts also get the forces that
    have sent nothing, with 0 files."""
    force_id = _forces_for(viewer)
    f, i, force = schema.raw_source_file, schema.core_incident, schema.ref_force
    files = (select(f.c.force_id, func.count().label("files"),
                    func.max(f.c.loaded_at).label("last_received"),
                    func.sum(f.c.read_count).label("read"),
                    func.sum(f.c.loaded_count).label("loaded"),
                    func.sum(f.c.updated_count).label("updated"),
                    func.sum(f.c.duplicate_count).label("duplicates"),
                    func.sum(f.c.rejected_count).label("rejected"))
             .where(f.c.force_id.is_not(None)).group_by(f.c.force_id))
    latest = (select(i.c.force_id, func.max(i.c.reported_date).label("latest_date"))
              .group_by(i.c.force_id))
    forces = select(force.c.force_id, force.c.force_name.label("force"))
    if force_id is not None:
        files, latest = files.where(f.c.force_id == force_id), latest.where(
            i.c.force_id == force_id)
        forces = forces.where(force.c.force_id == force_id)
    with engine.connect() as conn:
        sent = pl.read_database(files, conn, infer_schema_length=None)
        last = pl.read_database(latest, conn, schema_overrides={"latest_date": pl.Date})
        names = pl.read_database(forces, conn)
    counts = ("files", "read", "loaded", "updated", "duplicates", "rejected")
    return (
        names.join(sent, on="force_id", how="left").join(last, on="force_id", how="left")
        .with_columns(pl.col(c).cast(pl.Int64).fill_null(0) for c in counts)
        .with_columns(pl.col("latest_date").dt.strftime("%Y-%m").alias("latest_month"))
        .sort("force")
        .select("force", *counts[:1], "last_received", *counts[1:], "latest_month")
    )


def _rejects(engine: Engine, force_id: str | None) -> pl.DataFrame:
    r, f, force = schema.core_reject, schema.raw_source_file, schema.ref_force
    query = (select(f.c.force_id, force.c.force_name.label("force"), f.c.file_name,
                    r.c.source_row, r.c.field, r.c.reason)
             .join(f, f.c.source_file_id == r.c.source_file_id)
             .outerjoin(force, force.c.force_id == f.c.force_id)
             .where(r.c.disposition == "rejected"))
    if force_id is not None:
        query = query.where(f.c.force_id == force_id)
    with engine.connect() as conn:
        found = pl.read_database(query, conn, infer_schema_length=None, schema_overrides={
            "force_id": pl.String, "force": pl.String, "file_name": pl.String,
            "source_row": pl.Int64, "field": pl.String, "reason": pl.String})
    return found.with_columns(
        pl.col("reason").map_elements(reason_kind, return_dtype=pl.String))


def rejects_by_reason(engine: Engine, viewer: Viewer) -> pl.DataFrame:
    """Rejected rows counted by force, field and kind of reason, most first (a force user:
    their own force's)."""
    found = _rejects(engine, _forces_for(viewer))
    return (found.group_by("force", "field", "reason").agg(pl.len().cast(pl.Int64)
                                                           .alias("rows"))
            .sort(["rows", "force", "field", "reason"], descending=[True, False, False, False]))


def rejected_rows(engine: Engine, viewer: Viewer, force_id: str) -> pl.DataFrame:
    """One force's rejected rows, each by file, row number, field and kind of reason:
    incident-level data of that force, so only for a viewer who may see its incidents."""
    if not viewer.may_see_incidents_of(force_id):
        raise AccessDenied(f"the {viewer.role} role cannot see {force_id}'s rejected rows")
    found = _rejects(engine, force_id)
    return found.sort("file_name", "source_row").select(
        "force", "file_name", pl.col("source_row").alias("row"), "field", "reason")


def late_returns(viewer: Viewer, release: dict[str, Any], run: RunInfo) -> pl.DataFrame:
    """Forces whose return is missing, or whose latest month is before the run's as-of month,
    read from the national release's `returns` table: its note (no return received; nothing
    reported in the quarter) is the release's own decision, and a force behind the as-of
    month without a note is marked as such."""
    if not viewer.is_national or release.get("audience") != "national":
        raise AccessDenied("late or missing returns for every force: national analysts only")
    found = section(release, "data_quality")
    table = next((t for t in (found or {"tables": []})["tables"] if t["id"] == "returns"), None)
    empty = pl.DataFrame(schema={"force": pl.String, "latest_month": pl.String,
                                 "months_behind": pl.Int64, "status": pl.String})
    if table is None:
        return empty
    column = {name: k for k, name in enumerate(table["columns"])}
    as_of = run.as_of.year * 12 + run.as_of.month
    rows = []
    for row in table["rows"]:
        force, latest, note = row[column["force"]], row[column["latest_month"]], \
            row[column["note"]]
        if force == "All forces":
            continue
        behind = None
        if latest is not None:
            year, month = (int(x) for x in str(latest).split("-"))
            behind = as_of - (year * 12 + month)
        if note is None and (behind is None or behind <= 0):
            continue
        status = note or f"latest month before {run.as_of:%B %Y}"
        rows.append({"force": force, "latest_month": latest, "months_behind": behind,
                     "status": status})
    if not rows:
        return empty
    return pl.DataFrame(rows, schema=empty.schema).sort(
        pl.col("months_behind").is_not_null(), pl.col("months_behind"), "force",
        descending=[False, True, False])
