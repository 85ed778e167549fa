"""The incidents as the warehouse knew them after a given file was loaded.

Forces resend incidents with new outcomes, reclassified offences and corrected dates;
`plait ingest` keeps the version current now in `core_incident` and every version a
restatement replaced in `core_incident_version` (whole, with its file and row and the file
that replaced it). Knowledge is counted in files: a version is known from the load of its
own file to the load of the file that replaced it, and files are loaded one at a time in
`source_file_id` order. So "the warehouse after file N" is exact and needs no clock: an
analysis run records the last file it read (`known_through_file_id`), and that run, or the
release of its quarter, can be rebuilt from the same versions however many restatements
arrive later. A date or an as-of month would not do: the return for a month arrives after
the month has ended, and two files can carry the same time stamp.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import Connection, FromClause, func, literal, select, union_all

from etl.schema import core_incident, core_incident_version, raw_source_file


def incidents_known_through(file_id: int | None) -> FromClause:
    """`core_incident` as it stood once file `file_id` was loaded (None: as it stands).

    The same columns as `core_incident`, one row per incident known by then: the current
    version when it came from file `file_id` or earlier, else the version it replaced that
    was current then. Incidents first sent in a later file are left out."""
    if file_id is None:
        return core_incident
    names = [c.name for c in core_incident.columns]
    current = select(core_incident).where(core_incident.c.source_file_id <= file_id)
    replaced = select(*(core_incident_version.c[n] for n in names)).where(
        core_incident_version.c.source_file_id <= file_id,
        core_incident_version.c.replaced_by_file_id > file_id,
    )
    return union_all(current, replaced).subquery("core_incident")


def last_file_id(conn: Connection) -> int | None:
    """The last file loaded: the point an analysis run's knowledge reaches."""
    found = conn.execute(select(func.max(raw_source_file.c.source_file_id))).scalar()
    return None if found is None else int(found)


def incident_history(conn: Connection, incident_id: str) -> pl.DataFrame:
    """Every version of one incident, oldest first: `version`, the file and row it came
    from, when that file was loaded, what it changed, whether it is current, and its
    values (which file, which row, what changed, when)."""
    names = [c.name for c in core_incident.columns]
    versions = union_all(
        select(core_incident, literal(True).label("is_current"))
        .where(core_incident.c.incident_id == incident_id),
        select(*(core_incident_version.c[n] for n in names), literal(False).label("is_current"))
        .where(core_incident_version.c.incident_id == incident_id),
    ).subquery("versions")
    f = raw_source_file
    query = (select(versions.c.version, f.c.file_name, versions.c.source_row,
                    f.c.loaded_at, versions.c.changed_fields, versions.c.is_current,
                    *(versions.c[n] for n in names if n not in (
                        "version", "source_row", "changed_fields", "source_file_id")))
             .join(f, f.c.source_file_id == versions.c.source_file_id)
             .order_by(versions.c.version))
    return pl.read_database(query, conn, infer_schema_length=None).with_columns(
        pl.col("is_current").cast(pl.Boolean))
