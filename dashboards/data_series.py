"""The Series page's data: cross-border series of a stored run, their members, and "find more
like these", each cut to what the viewer's role may receive.

Series are named as the quarterly release names them (`analytics.release.active_series`:
Series A, B, ... for the cross-border series with incidents in the report quarter; a stored
series id holds a force's crime reference, so no one but a national analyst sees it). Series
the release does not letter are "Other series 1, 2, ...", in the same order, so that every role
speaks of the same series by the same name within a run. Reasons are the release's
(`public_reason`); the stored reason, which may quote a phrase, is for national analysts only.

Roles (DESIGN.md, issue 10): national analysts see every series and every member at incident
level; a force user sees only their own force's members of series touching their force (other
forces only through the release, or as disclosure-controlled counts); NPCC leads get nothing
here but the release. Members never carry victim_id or suspect keys.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from dataclasses import dataclass

import polars as pl
from sqlalchemy import Engine, select

from analytics.analyse import read_link_inputs
from analytics.disclosure import disclose_count
from analytics.linkage import THRESHOLD, search
from analytics.release import StoredRun, active_series, public_reason
from dashboards.access import AccessDenied, Viewer
from dashboards.data import RunInfo
from etl import schema

MEMBER_COLUMNS = ("incident_id", "force", "reported_date", "offence_group", "channel",
                  "platform", "outcome", "summary", "score")
"""What a member row shows: never victim_id, suspect keys, constituency or coordinates."""

OTHER_PREFIX = "Other series"


def _activity(engine: Engine, run_id: int) -> pl.DataFrame:
    """Every member of the run's series, with only what the catalogue needs (no free text)."""
    member, incident, force = schema.out_series_member, schema.core_incident, schema.ref_force
    query = (select(member.c.series_id, incident.c.force_id,
                    force.c.force_name.label("force"), incident.c.reported_date,
                    incident.c.channel)
             .join(incident, incident.c.incident_id == member.c.incident_id)
             .join(force, force.c.force_id == incident.c.force_id)
             .where(member.c.run_id == run_id))
    with engine.connect() as conn:
        return pl.read_database(query, conn, schema_overrides={"reported_date": pl.Date},
                                infer_schema_length=None)


def _series_members(engine: Engine, run_id: int, series_id: str,
                    force_id: str | None = None) -> pl.DataFrame:
    """One series' members with the incident fields a member row may show; a force's only
    when `force_id` is given (the other forces' rows never leave the database)."""
    member, incident, force = schema.out_series_member, schema.core_incident, schema.ref_force
    query = (select(member.c.incident_id, member.c.score, incident.c.force_id,
                    force.c.force_name.label("force"), incident.c.reported_date,
                    incident.c.offence_group, incident.c.channel, incident.c.platform,
                    incident.c.outcome, incident.c.summary)
             .join(incident, incident.c.incident_id == member.c.incident_id)
             .join(force, force.c.force_id == incident.c.force_id)
             .where(member.c.run_id == run_id, member.c.series_id == series_id))
    if force_id is not None:
        query = query.where(incident.c.force_id == force_id)
    with engine.connect() as conn:
        return pl.read_database(query, conn, schema_overrides={
            "reported_date": pl.Date, "incident_id": pl.String, "score": pl.Float64,
            "force_id": pl.String, "force": pl.String, "offence_group": pl.String,
            "channel": pl.String, "platform": pl.String, "outcome": pl.String,
            "summary": pl.String}, infer_schema_length=None)


@dataclass(frozen=True)
class _RunSeries:
    """A stored run's series catalogue and each series' part per force: computed once per
    run and server process (a stored run never changes), because at a million incidents
    reading and lettering every member took 10-20 s, on every rerun of the Series page."""

    catalogue: pl.DataFrame
    by_force: pl.DataFrame


_CACHE: weakref.WeakKeyDictionary[Engine, dict[tuple[int, dt.datetime], _RunSeries]] = (
    weakref.WeakKeyDictionary())
_CACHE_LOCK = threading.Lock()
_RUNS_KEPT = 4


def _run_series(engine: Engine, run: RunInfo) -> _RunSeries:
    """The run's catalogue, from the cache when this engine has read it before. Keyed by the
    run's id and creation time, so a warehouse rebuilt under the same URL is read afresh."""
    key = (run.run_id, run.created_at)
    with _CACHE_LOCK:
        found = _CACHE.get(engine, {}).get(key)
    if found is not None:
        return found
    activity = _activity(engine, run.run_id)
    made = _RunSeries(_catalogue(engine, run, activity), _by_force(activity))
    with _CACHE_LOCK:
        runs_ = _CACHE.setdefault(engine, {})
        runs_[key] = made
        while len(runs_) > _RUNS_KEPT:
            runs_.pop(next(iter(runs_)))
    return made


def _by_force(activity: pl.DataFrame) -> pl.DataFrame:
    return activity.group_by("series_id", "force_id").agg(
        pl.col("force").first(), pl.len().alias("incidents"),
        pl.col("reported_date").min().alias("first_date"),
        pl.col("reported_date").max().alias("last_date"))


def _catalogue(engine: Engine, run: RunInfo, members: pl.DataFrame) -> pl.DataFrame:
    """Every multi-incident series of the run, labelled as the release labels it.

    `active_series` is the release's own lettering, fed the same member activity it reads
    (`series_id, force_id, reported_date, channel`), so Series C here is Series C there."""
    activity = members.select("series_id", "force_id", "reported_date", "channel")
    stored = StoredRun(run.run_id, run.as_of, {}, {"series_activity": activity}, pl.DataFrame())
    lettered = active_series(stored).select("series_id", pl.format("Series {}", "label")
                                            .alias("label"))
    table = schema.out_series
    with engine.connect() as conn:
        reasons = pl.read_database(select(table.c.series_id, table.c.reason)
                                   .where(table.c.run_id == run.run_id), conn)
    summary = (
        members.group_by("series_id").agg(
            pl.len().alias("incident_count"),
            pl.col("force_id").n_unique().alias("force_count"),
            pl.col("reported_date").min().alias("first_date"),
            pl.col("reported_date").max().alias("last_date"),
            pl.col("force_id").unique().sort().alias("force_ids"),
            pl.col("force").unique().sort().alias("forces"))
        .filter(pl.col("incident_count") >= 2)
        .join(lettered, on="series_id", how="left")
        .join(reasons, on="series_id", how="left")
        .sort(pl.col("label").is_null(), pl.col("label").str.len_chars(), "label",
              pl.col("incident_count"), "first_date", "series_id",
              descending=[False, False, False, True, False, False], nulls_last=True)
    )
    others = summary["label"].is_null().cum_sum()
    return summary.with_columns(
        pl.coalesce("label", pl.format(f"{OTHER_PREFIX} {{}}", others)).alias("label"),
        pl.col("label").is_not_null().alias("in_release"),
        pl.col("reason").fill_null("").map_elements(public_reason, return_dtype=pl.String)
        .alias("linked_by")).with_row_index("order")


def _no_npcc(viewer: Viewer, what: str) -> None:
    if not (viewer.is_national or viewer.force_id):
        raise AccessDenied(f"{what}: national analysts and forces only; NPCC leads read the "
                           "release")


def all_series(engine: Engine, viewer: Viewer, run: RunInfo, *,
               cross_border_only: bool = True) -> pl.DataFrame:
    """National analysts: every series of the run, as recorded, with the stored evidence."""
    if not viewer.is_national:
        raise AccessDenied("every series as recorded: national analysts only")
    found = _run_series(engine, run).catalogue
    if cross_border_only:
        found = found.filter(pl.col("force_count") >= 2)
    return found.select(
        pl.col("label").alias("series"), "series_id", pl.col("incident_count").alias("incidents"),
        pl.col("force_count").alias("forces"), pl.col("forces").list.join(", ")
        .alias("force_names"), "first_date", "last_date", "in_release", "linked_by",
        pl.col("reason").alias("evidence"))


def force_series(engine: Engine, viewer: Viewer, run: RunInfo) -> pl.DataFrame:
    """A force user: the cross-border series touching their force, with only their own
    force's part of each (their incidents, first and last date); the rest is the release's."""
    if viewer.force_id is None:
        raise AccessDenied("series by force: force users only")
    cached = _run_series(engine, run)
    found = cached.catalogue.filter(
        (pl.col("force_count") >= 2) & pl.col("force_ids").list.contains(viewer.force_id))
    own = cached.by_force.filter(pl.col("force_id") == viewer.force_id).select(
        "series_id", "force", pl.col("incidents").alias("your_incidents"),
        pl.col("first_date").alias("your_first_date"),
        pl.col("last_date").alias("your_last_date"))
    return found.join(own, on="series_id").sort("order").select(
        pl.col("label").alias("series"), "force", "your_incidents", "your_first_date",
        "your_last_date", "in_release", "linked_by")


def series_members(engine: Engine, viewer: Viewer, run: RunInfo, label: str) -> pl.DataFrame:
    """The members of one series (by its label) the viewer may see at incident level: all of
    them for national analysts, their own force's for a force user (AccessDenied when the
    series does not touch their force), nothing for NPCC."""
    _no_npcc(viewer, "series members")
    found = _run_series(engine, run).catalogue.filter(pl.col("label") == label)
    if found.is_empty():
        raise KeyError(f"no series {label!r} in run {run.run_id}")
    row = found.row(0, named=True)
    if not viewer.is_national and viewer.force_id not in row["force_ids"]:
        raise AccessDenied(f"{label} does not involve your force")
    chosen = _series_members(engine, run.run_id, row["series_id"],
                             None if viewer.is_national else viewer.force_id)
    return chosen.sort("reported_date", "incident_id").select(*MEMBER_COLUMNS)


def timeline(members: pl.DataFrame) -> pl.DataFrame:
    """Members per month and force (`month` as the month's first day), for the timeline."""
    return (members.group_by(pl.col("reported_date").dt.truncate("1mo").alias("month"), "force")
            .agg(pl.len().alias("incidents")).sort("month", "force"))


# --- "find more like these" ---------------------------------------------------------------------

@dataclass(frozen=True)
class Similar:
    """What a search returns to one viewer: the matches they may see at incident level, and
    for a force user, the other forces' matches as disclosure-controlled counts only."""

    matches: pl.DataFrame
    other_forces: pl.DataFrame
    other_force_count: int


def _may_seed(viewer: Viewer, incident_id: str) -> bool:
    force = incident_id.split(":", 1)[0] if ":" in incident_id else None
    return viewer.may_see_incidents_of(force)


def similar_incidents(engine: Engine, viewer: Viewer, seeds: list[str], *,
                      min_score: float = THRESHOLD, top: int = 50) -> Similar:
    """Incidents like the seeds (`analytics.linkage.search`, as `plait similar`), scored at
    least `min_score`.

    A force user may seed only from their own force (checked on the id's force before the
    warehouse is asked, so a refusal tells nothing about another force's incidents). They get
    their own force's matches at incident level, and other forces' as a count per force
    through `disclose_count`; `top` does not apply to them, since a fixed-length list would
    let the other forces' total be worked out from their own rows."""
    _no_npcc(viewer, "find more like these")
    wanted = list(dict.fromkeys(s.strip() for s in seeds if s.strip()))
    if not wanted:
        raise ValueError("choose at least one incident to start from")
    refused = [s for s in wanted if not _may_seed(viewer, s)]
    if refused:
        raise AccessDenied(f"the {viewer.role} role can start only from its own force's "
                           "incidents")
    incidents = read_link_inputs(engine)
    ranked = search(incidents, wanted, top=incidents.height)
    ranked = ranked.filter(pl.col("score") >= min_score)
    detail = _members_detail(engine, ranked["incident_id"].to_list())
    matched = ranked.join(detail, on="incident_id", how="left")
    if viewer.is_national:
        return Similar(matched.head(top).select(
            *[c for c in MEMBER_COLUMNS if c != "score"], "score", "seeds_matched", "why"),
            _empty_other(), 0)
    own = matched.filter(pl.col("force_id") == viewer.force_id)
    other = (matched.filter(pl.col("force_id") != viewer.force_id)
             .group_by("force").agg(pl.len().alias("n")).sort("force"))
    published = other.with_columns(
        pl.col("n").map_elements(lambda n: str(disclose_count(int(n))), return_dtype=pl.String)
        .alias("matches")).select("force", "matches")
    return Similar(own.select(*[c for c in MEMBER_COLUMNS if c != "score"], "score",
                              "seeds_matched", "why"), published, other.height)


def _empty_other() -> pl.DataFrame:
    return pl.DataFrame(schema={"force": pl.String, "matches": pl.String})


def _members_detail(engine: Engine, incident_ids: list[str]) -> pl.DataFrame:
    incident, force = schema.core_incident, schema.ref_force
    columns = (incident.c.incident_id, incident.c.force_id, force.c.force_name.label("force"),
               incident.c.reported_date, incident.c.offence_group, incident.c.channel,
               incident.c.platform, incident.c.outcome, incident.c.summary)
    frames = []
    with engine.connect() as conn:
        for start in range(0, len(incident_ids), 500):
            chunk = incident_ids[start:start + 500]
            frames.append(pl.read_database(
                select(*columns).join(force, force.c.force_id == incident.c.force_id)
                .where(incident.c.incident_id.in_(chunk)), conn,
                schema_overrides={"reported_date": pl.Date}, infer_schema_length=None))
    if not frames:
        return pl.DataFrame(schema={"incident_id": pl.String, "force_id": pl.String,
                                    "force": pl.String, "reported_date": pl.Date,
                                    "offence_group": pl.String, "channel": pl.String,
                                    "platform": pl.String, "outcome": pl.String,
                                    "summary": pl.String})
    return pl.concat(frames, how="vertical_relaxed")

