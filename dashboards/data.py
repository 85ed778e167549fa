"""The dashboard's one data layer: every page reads the warehouse through these functions.

Role-aware by construction: each function takes the `Viewer` and returns only what that role
may receive. What is not the viewer's own force reaches a force user (and everything reaches an
NPCC lead) only as the disclosure-controlled quarterly release (`analytics.release`), or as
counts that went through `analytics.disclosure` here. Incident-level rows leave this module
only for `Viewer.may_see_incidents_of(force)`. No page computes a statistic of its own: these
functions read what `plait analyse` stored and what the release built.

Plain functions on an Engine, no Streamlit: `dashboards/app/state.py` caches them, keyed by
role and force, and the tests call them directly.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Engine, func, select

from analytics import overview
from analytics.release import NATIONAL, ReleaseError, build_releases, load_run
from dashboards.access import AccessDenied, Viewer
from etl import schema
from etl.periods import add_quarters, last_complete_quarter, quarter_label


@dataclass(frozen=True)
class RunInfo:
    """A stored analysis run: its id, the month it ran as of, and the quarter it reports."""

    run_id: int
    as_of: dt.date
    quarter: dt.date
    created_at: dt.datetime
    incident_count: int

    @property
    def quarter_label(self) -> str:
        return quarter_label(self.quarter)


def runs(engine: Engine) -> list[RunInfo]:
    """Every stored run, newest first."""
    table = schema.out_analysis_run
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.run_id, table.c.as_of_period, table.c.created_at,
                                   table.c.incident_count)
                            .order_by(table.c.run_id.desc())).all()
    return [RunInfo(int(r[0]), r[1], last_complete_quarter(r[1]), r[2], int(r[3])) for r in rows]


def latest_run(engine: Engine) -> RunInfo | None:
    found = runs(engine)
    return found[0] if found else None


def forces(engine: Engine) -> pl.DataFrame:
    """The reference forces: id, name, region (public reference data, any role)."""
    with engine.connect() as conn:
        return pl.read_database(select(schema.ref_force), conn).sort("force_name")


def all_releases(engine: Engine, run: RunInfo) -> dict[str, dict[str, Any]]:
    """Every audience's release of a run, as the JSON objects the PDF renders.

    Built together from one protected cell book (so they agree, as `plait report --all`);
    the caller caches this per run, then hands each viewer only their own audience's."""
    stored = load_run(engine, run.quarter, run.run_id)
    audiences = [NATIONAL, *(f"force:{f}" for f in stored.forces["force_id"].sort())]
    return {a: r.as_dict() for a, r in build_releases(stored, audiences).items()}


def release_for(releases: dict[str, dict[str, Any]], viewer: Viewer,
                audience: str | None = None) -> dict[str, Any]:
    """The release a viewer may read: their own audience's, or another only when national.

    A force user asking for another force's or the national release gets their own force's
    (which holds the national figures, disclosure-controlled, as the PDF does)."""
    wanted = audience or viewer.audience
    if wanted != viewer.audience and not viewer.is_national:
        wanted = viewer.audience
    if wanted not in releases:
        raise ReleaseError(f"no release for {wanted!r} in this run")
    return releases[wanted]


def section(release: dict[str, Any], section_id: str) -> dict[str, Any] | None:
    for found in release["sections"]:
        if found["id"] == section_id:
            return found
    return None


def table_frame(table: dict[str, Any]) -> pl.DataFrame:
    """A release table as a frame of text and numbers; "[c]" and None print as published.

    Columns are kept as objects of one type each (strings where any cell is "[c]"), so that a
    page shows exactly the release's cells."""
    columns = table["columns"]
    data = {c: [row[i] for row in table["rows"]] for i, c in enumerate(columns)}
    out = {}
    for name, values in data.items():
        kinds = {type(v) for v in values if v is not None}
        if kinds <= {int} or kinds <= {int, float} or kinds <= {float}:
            out[name] = pl.Series(name, values, dtype=pl.Float64 if float in kinds else pl.Int64)
        else:
            out[name] = pl.Series(name, [None if v is None else str(v) for v in values],
                                  dtype=pl.String)
    return pl.DataFrame(out) if out else pl.DataFrame()


def incident_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(schema.core_incident)).scalar()
                   or 0)


def run_parameters(engine: Engine, run_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        text = conn.execute(select(schema.out_analysis_run.c.parameters)
                            .where(schema.out_analysis_run.c.run_id == run_id)).scalar()
    return json.loads(text or "{}")


# --- National analysts only: the stored run as recorded ----------------------------------------

def _national_only(viewer: Viewer, what: str) -> None:
    if not viewer.is_national:
        raise AccessDenied(f"{what}: national analysts only")


def latest_alarms(engine: Engine, viewer: Viewer, run: RunInfo) -> pl.DataFrame:
    """Series above their upper bound in the run's as-of month, most exceeded first."""
    _national_only(viewer, "exceedance alarms as recorded")
    table = schema.out_exceedance
    with engine.connect() as conn:
        frame = pl.read_database(
            select(table).where((table.c.run_id == run.run_id) & table.c.is_alarm
                                & (table.c.frequency == "month")
                                & (table.c.period == run.as_of.replace(day=1))),
            conn, schema_overrides={"period": pl.Date}, infer_schema_length=None)
    if frame.is_empty():
        return pl.DataFrame(schema={"level": pl.String, "unit": pl.String, "what": pl.String,
                                    "observed": pl.Int64, "expected": pl.Float64,
                                    "upper_bound": pl.Float64})
    alarms = overview.latest_alarms(frame, run.as_of.replace(day=1))
    return alarms.select(
        "level", "unit",
        pl.concat_str(pl.col("dimension"), pl.lit(": "), pl.col("category")).alias("what"),
        pl.col("observed_count").alias("observed"),
        pl.col("expected_count").round(1).alias("expected"),
        pl.col("upperbound_count").round(1).alias("upper_bound"))


def own_force_quarters(engine: Engine, viewer: Viewer, run: RunInfo, force_id: str | None = None
                       ) -> pl.DataFrame:
    """A force's incidents per quarter by offence group and channel, as recorded (no
    disclosure control): for its own force lead and for national analysts only.

    Rows: dimension (all, offence_group, channel), category, quarter (start date), incidents,
    for the run's quarter, the one before and the same quarter a year before."""
    force = force_id or viewer.force_id
    if force is None or not viewer.may_see_incidents_of(force):
        raise AccessDenied("a force's figures as recorded: its own force lead and national "
                           "analysts only")
    quarters = [run.quarter, add_quarters(run.quarter, -1), add_quarters(run.quarter, -4)]
    table = schema.out_quarter_count
    with engine.connect() as conn:
        frame = pl.read_database(
            select(table.c.dimension, table.c.category, table.c.period, table.c.incident_count)
            .where((table.c.run_id == run.run_id) & (table.c.level == "force")
                   & (table.c.unit == force) & table.c.period.in_(quarters)),
            conn, schema_overrides={"period": pl.Date, "incident_count": pl.Int64})
    grid = (pl.DataFrame({"period": quarters}, schema={"period": pl.Date})
            .join(frame.select("dimension", "category").unique(), how="cross")
            if not frame.is_empty() else
            pl.DataFrame({"period": quarters, "dimension": ["all"] * 3, "category": ["all"] * 3},
                         schema={"period": pl.Date, "dimension": pl.String,
                                 "category": pl.String}))
    return (grid.join(frame, on=["dimension", "category", "period"], how="left")
            .with_columns(pl.col("incident_count").fill_null(0).alias("incidents"))
            .select("dimension", "category", pl.col("period").alias("quarter"), "incidents")
            .sort("dimension", "category", "quarter", descending=[False, False, True]))
