"""The quarterly release: every section, table and sentence of a PLaIT report, as data.

A release is built from one stored run (`plait analyse`) for its report quarter, the last
complete quarter on or before the run's as-of month, and one audience: `national`, or
`force:<force_id>` (that force against its region and the nation, then the national
picture). The PDF and the dashboard render this object; neither queries on its own. Every
count passes through `analytics.disclosure` once for the whole quarter (see
`release_cells`), every rate and change is recomputed from the published counts, and no
free text, key, victim id, constituency, coordinate or case reference is ever copied in:
tables are built from named columns of the `out_` tables only, series are named by letter.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl
from sqlalchemy import Engine, select

from analytics import narrative as say
from analytics.disclosure import (
    ROUNDING_MULTIPLE,
    SUPPRESSION_THRESHOLD,
    Published,
    disclose_rate,
)
from analytics.investigation import charge_rate
from analytics.narrative import Interval
from analytics.overview import funnel_outliers, rising_series
from analytics.proportions import share_change
from analytics.release_cells import (
    FILE_MEASURES,
    TREND_QUARTERS,
    CellBook,
    Key,
    alarm_cells,
    campaign_cells,
    cross_family_relations,
    hate_cells,
    km_cells,
    outcome_cells,
    platform_cells,
    quarter_cells,
    repeat_victim_cells,
    series_cells,
    social_media_cells,
    source_file_cells,
    term_cells,
)
from analytics.trends import exact_rate_ratio
from etl import returns
from etl.periods import (
    add_months,
    add_quarters,
    last_complete_quarter,
    month_end,
    quarter_end,
    quarter_label,
    quarter_name,
)
from etl.versions import incidents_known_through

NATIONAL = "national"
NATION_LABEL = "All forces"
PREVIOUS = "the previous 4 quarters"


class ReleaseError(ValueError):
    """A release that cannot be built (no run for the quarter, an unknown force)."""


@dataclass
class ReleaseTable:
    id: str
    title: str
    columns: list[str]
    count_columns: list[str]
    rows: list[list[Any]]


@dataclass
class Section:
    id: str
    title: str
    narrative: list[str] = field(default_factory=list)
    tables: list[ReleaseTable] = field(default_factory=list)


@dataclass
class Release:
    quarter: str
    audience: str
    run_id: int
    sections: list[Section]

    def as_dict(self) -> dict[str, Any]:
        """The JSON object of DESIGN.md's release contract."""
        return {
            "quarter": self.quarter,
            "audience": self.audience,
            "run_id": self.run_id,
            "disclosure": {"suppress_up_to": SUPPRESSION_THRESHOLD,
                           "round_to": ROUNDING_MULTIPLE},
            "sections": [asdict(s) for s in self.sections],
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False, default=_json_value) + "\n"


def _json_value(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"release: cannot write {type(value).__name__} to JSON")


@dataclass
class StoredRun:
    """One run's stored tables, as `plait analyse` wrote them, and the reference forces."""

    run_id: int
    as_of: dt.date
    parameters: dict[str, Any]
    tables: dict[str, pl.DataFrame]
    forces: pl.DataFrame
    # frames derived from the tables once per run (the 47 releases of a quarter each asked
    # for the lettered series: 48 recomputations were 70 s of a release at a million incidents)
    derived: dict[str, pl.DataFrame] = field(default_factory=dict, repr=False, compare=False)

    @property
    def quarter(self) -> dt.date:
        return last_complete_quarter(self.as_of)


# --- edges: reading a stored run -------------------------------------------------------------

RELEASE_TABLES = ("quarter_count", "exceedance", "trend", "funnel", "series", "repeat_victim",
                  "campaign_rate_ratio",
                  "channel_shift", "emerging_term", "hate_share", "social_media", "outcome",
                  "charge_rate", "time_to_outcome")


def load_run(engine: Engine, quarter: dt.date, run_id: int | None = None) -> StoredRun:
    """The latest stored run whose report quarter is `quarter` (or run `run_id`)."""
    from etl import schema

    with engine.connect() as conn:
        runs = pl.read_database(
            select(schema.out_analysis_run.c.run_id, schema.out_analysis_run.c.as_of_period,
                   schema.out_analysis_run.c.parameters, schema.out_analysis_run.c.created_at)
            .order_by(schema.out_analysis_run.c.run_id.desc()), conn,
            schema_overrides={"as_of_period": pl.Date})
        chosen = None
        for rid, as_of, params, created in runs.iter_rows():
            if (run_id is None or rid == run_id) and last_complete_quarter(as_of) == quarter:
                chosen = (int(rid), as_of, json.loads(params))
                created_at = created
                break
        if chosen is None:
            end = add_months(quarter, 2)
            what = f"run {run_id}" if run_id is not None else "no stored run"
            raise ReleaseError(
                f"{what} reports on {quarter_label(quarter)}: run `plait analyse --as-of "
                f"{end:%Y-%m}` first")
        tables = {}
        for name in RELEASE_TABLES:
            table = schema.metadata.tables[f"out_{name}"]
            tables[name] = pl.read_database(
                select(table).where(table.c.run_id == chosen[0]), conn,
                infer_schema_length=None)
        known = _known_through(conn, chosen[2], created_at)
        tables["series_activity"] = _series_activity(conn, chosen[0], quarter, known)
        tables["source_file"] = _source_files(conn, known)
        forces = pl.read_database(select(schema.ref_force), conn)
        tables["return_status"] = returns.return_status(
            returns.loaded_returns(conn, known), forces["force_id"].sort().to_list(),
            returns.quarter_months(quarter), _as_date(created_at))
    return StoredRun(chosen[0], chosen[1], chosen[2], tables, forces)


def _as_date(value: Any) -> dt.date:
    """A run's creation time as a day (SQLite returns the stored text)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.date() if isinstance(value, dt.datetime) else value


def _known_through(conn: Any, parameters: dict[str, Any], created: Any) -> int | None:
    """The last file the run read: recorded by the run, else (a run from before restatements
    were kept) the last file loaded before the run was made."""
    from sqlalchemy import func

    from etl import schema

    if parameters.get("known_through_file_id") is not None:
        return int(parameters["known_through_file_id"])
    f = schema.raw_source_file
    if isinstance(created, str):
        created = dt.datetime.fromisoformat(created)
    found = conn.execute(select(func.max(f.c.source_file_id)).where(f.c.loaded_at <= created)
                         ).scalar()
    return None if found is None else int(found)


def _series_activity(conn: Any, run_id: int, quarter: dt.date, known: int | None = None
                     ) -> pl.DataFrame:
    """Members of the run's series with their force, date and channel (no text, no ids out),
    each incident as the run read it."""
    from etl import schema

    member, incident = schema.out_series_member, incidents_known_through(known)
    query = (select(member.c.series_id, incident.c.force_id, incident.c.reported_date,
                    incident.c.channel)
             .join(incident, incident.c.incident_id == member.c.incident_id)
             .where(member.c.run_id == run_id))
    return pl.read_database(query, conn, schema_overrides={"reported_date": pl.Date})


def _source_files(conn: Any, known: int | None = None) -> pl.DataFrame:
    """What each force had sent by the run's last file: files, rows and their fate, and its
    latest reported date."""
    from sqlalchemy import func

    from etl import schema

    f, i = schema.raw_source_file, incidents_known_through(known)
    sent = f.c.kind == "force_return"
    if known is not None:
        sent = sent & (f.c.source_file_id <= known)
    files = pl.read_database(
        select(f.c.force_id, func.count().label("file_count"),
               func.sum(f.c.read_count).label("read_count"),
               func.sum(f.c.loaded_count).label("loaded_count"),
               func.sum(f.c.updated_count).label("updated_count"),
               func.sum(f.c.duplicate_count).label("duplicate_count"),
               func.sum(f.c.rejected_count).label("rejected_count"))
        .where(sent).group_by(f.c.force_id), conn)
    latest = pl.read_database(
        select(i.c.force_id, func.max(i.c.reported_date).label("latest_date"))
        .group_by(i.c.force_id), conn, schema_overrides={"latest_date": pl.Date})
    return files.with_columns(pl.col(c).cast(pl.Int64) for c in files.columns[1:]).join(
        latest, on="force_id", how="full", coalesce=True)


# --- the cells of a quarter, protected once -------------------------------------------------

def cell_book(run: StoredRun) -> CellBook:
    """Every count any release of the run's quarter can show, with their relations."""
    quarter, t, forces = run.quarter, run.tables, run.forces
    book = CellBook()
    counts = t["quarter_count"].filter(pl.col("frequency") == "quarter")
    quarter_cells(book, counts, forces, quarter)
    platform_cells(book, t["channel_shift"], forces)
    repeat_victim_cells(book, t["repeat_victim"], quarter, forces)
    hate_cells(book, t["hate_share"], quarter, forces)
    social_media_cells(book, t["social_media"], forces)
    term_cells(book, t["emerging_term"])
    outcome_cells(book, t["outcome"], forces)
    km_cells(book, t["time_to_outcome"], forces)
    series_cells(book, active_series(run))
    alarm_cells(book, alarm_months(run), quarter)
    campaign_cells(book, t["campaign_rate_ratio"], forces)
    source_file_cells(book, t["source_file"])
    cross_family_relations(book, quarter)
    return book


def alarm_months(run: StoredRun) -> pl.DataFrame:
    """Monthly series with an alarm in the quarter, all three of the quarter's months."""
    months = [add_months(run.quarter, k) for k in range(3)]
    exc = run.tables["exceedance"].filter(
        (pl.col("frequency") == "month") & pl.col("period").is_in(months)
        & pl.col("level").is_in(["national", "region"]))
    alarmed = exc.filter(pl.col("is_alarm"))["series_id"].unique()
    return exc.filter(pl.col("series_id").is_in(alarmed.implode()))


def active_series(run: StoredRun) -> pl.DataFrame:
    """Cross-border series (2+ forces) with an incident in the quarter, largest first,
    lettered A, B, ... (stored ids hold a force reference, which a release never shows)."""
    if "active_series" in run.derived:
        return run.derived["active_series"]
    members = run.tables["series_activity"]
    start, end = run.quarter, quarter_end(run.quarter)
    summary = (
        members.filter(pl.col("reported_date") <= end)
        .group_by("series_id").agg(
            pl.len().alias("incident_count"),
            pl.col("force_id").n_unique().alias("force_count"),
            pl.col("reported_date").min().alias("first_date"),
            pl.col("reported_date").max().alias("last_date"),
            pl.col("channel").mode().sort().first().alias("channel"),
            (pl.col("reported_date") >= start).sum().alias("quarter_count"),
            pl.col("force_id").unique().sort().alias("forces"))
        .filter((pl.col("force_count") >= 2) & (pl.col("quarter_count") > 0))
        .sort(["incident_count", "first_date", "series_id"], descending=[True, False, False])
    )
    letters = [_letter(i) for i in range(summary.height)]
    lettered = summary.with_columns(pl.Series("label", letters, dtype=pl.String))
    run.derived["active_series"] = lettered
    return lettered


def _letter(i: int) -> str:
    return chr(ord("A") + i) if i < 26 else f"{chr(ord('A') + i // 26 - 1)}{chr(ord('A') + i % 26)}"


# --- building ---------------------------------------------------------------------------------

class _View:
    """Published values and the lookups every section needs."""

    def __init__(self, run: StoredRun, published: Mapping[Key, Published]) -> None:
        self.run = run
        self.published = published
        self.quarter = run.quarter
        self.previous = add_quarters(run.quarter, -1)
        self.year_ago = add_quarters(run.quarter, -4)
        self.force_names = dict(run.forces.select("force_id", "force_name").iter_rows())
        self.region_of = dict(run.forces.select("force_id", "police_region").iter_rows())
        self.regions = sorted(set(self.region_of.values()))
        self.as_of_end = month_end(run.as_of)
        self.window_first = add_quarters(run.quarter, -3)

    def get(self, key: Key) -> Published | None:
        return self.published.get(key)

    def q(self, level: str, unit: str, period: dt.date, dimension: str = "all",
          category: str = "all") -> Published | None:
        return self.get(("q", level, unit, dimension, category, period))

    def label(self, level: str, unit: str) -> str:
        if level == NATIONAL:
            return NATION_LABEL
        if level == "force":
            return self.force_names.get(unit, unit)
        return unit


def _pct(num: Published | None, den: Published | None) -> float | str | None:
    if num is None or den is None:
        return None
    return disclose_rate(num, den)


def _ratio(current: Published | None, previous: Published | None) -> Interval:
    if not isinstance(current, int) or not isinstance(previous, int) or previous == 0:
        return Interval(None, None, None)
    r = exact_rate_ratio(current, 1.0, previous, 1.0)
    return Interval(r["rate_ratio"], r["ci_low"], r["ci_high"])


def _change_pct(ratio: Interval) -> float | str | None:
    return None if ratio.estimate is None else round((ratio.estimate - 1) * 100, 0)


def _share_diff(num: Published | None, den: Published | None, pnum: Published | None,
                pden: Published | None) -> Interval:
    values = (num, den, pnum, pden)
    if not all(isinstance(v, int) for v in values) or not den or not pden:
        return Interval(None, None, None)
    n, d, pn, pd = (int(v) for v in values)  # type: ignore[arg-type]
    if n > d or pn > pd:  # rounding can put a part above its total
        n, pn = min(n, d), min(pn, pd)
    c = share_change(n, d, pn, pd)
    return Interval(c["change_pp"], c["change_ci_low"], c["change_ci_high"])


def _area_rows(v: _View, audience: str) -> list[tuple[str, str]]:
    """The areas a table lists: the nation and its regions, or the force, its region, the
    nation."""
    if audience == NATIONAL:
        return [(NATIONAL, "all"), *[("region", r) for r in v.regions]]
    force = audience.split(":", 1)[1]
    return [("force", force), ("region", v.region_of[force]), (NATIONAL, "all")]


def summary_section(v: _View, audience: str) -> Section:
    level, unit = (NATIONAL, "all") if audience == NATIONAL else ("force",
                                                                  audience.split(":", 1)[1])
    name = v.label(level, unit)
    cur, prev, ago = (v.q(level, unit, p) for p in (v.quarter, v.previous, v.year_ago))
    rows: list[list[Any]] = [
        ["incidents", cur],
        ["incidents_previous_quarter", prev],
        ["incidents_same_quarter_last_year", ago],
        ["incidents_12_months", v.get(("out", level, unit, "total"))],
    ]
    text = []
    subject = "Incidents" if level == NATIONAL else f"Incidents recorded by {name}"
    parts = {r: (v.q("region", r, v.quarter), v.q("region", r, v.previous)) for r in v.regions}
    qoq = _ratio(cur, prev)
    where = say.where_sentence_part(parts, say.ratio_direction(qoq)) if level == NATIONAL \
        else None
    text.append(say.ratio_sentence(subject, cur, prev, qoq, "the previous quarter", where))
    text.append(say.ratio_sentence(subject, cur, ago, _ratio(cur, ago),
                                   "the same quarter a year before"))
    text += _of_note(v, audience)
    return Section("summary", f"Summary: {quarter_name(v.quarter)}", text, [
        ReleaseTable("headline", "Headline figures", ["measure", "value"], ["value"], rows)])


def _of_note(v: _View, audience: str) -> list[str]:
    """The shared "of note" rules, told in words (areas the audience may see in detail)."""
    out = []
    alarms = alarm_months(v.run).filter(pl.col("is_alarm")).sort("period", "series_id")
    if audience != NATIONAL:
        alarms = alarms.filter(pl.col("level") == NATIONAL)
    for row in alarms.sort(pl.col("level") != NATIONAL).head(5).iter_rows(named=True):
        what = {"offence_group": f"incidents of {say.OFFENCE_LABELS.get(row['category'])}",
                "channel": f"incidents by {say.CHANNEL_LABELS.get(row['category'])}"}.get(
                    row["dimension"], "incidents")
        where = "across all forces" if row["level"] == NATIONAL else f"in {row['unit']}"
        observed = v.get(("alarm", row["series_id"], row["period"]))
        shown = (f": {say.number(observed)} against {row['expected_count']:.1f} expected"
                 if isinstance(observed, int) and row["expected_count"] is not None else "")
        out.append(f"More {what} than expected were reported {where} in "
                   f"{row['period']:%B %Y}{shown}.")
    rising = rising_series(v.run.tables["trend"].filter(
        pl.col("level").is_in(["national", "region"])
        & (pl.col("dimension") != "channel")))
    for row in rising.head(3).iter_rows(named=True):
        what = say.OFFENCE_LABELS.get(row["category"], "incidents")
        where = "across all forces" if row["level"] == NATIONAL else f"in {row['unit']}"
        out.append(f"Reports of {what} {where} have risen by "
                   f"{(row['change_per_year'] - 1) * 100:.0f}% a year over the long term "
                   f"(95% CI {(row['ci_low'] - 1) * 100:.0f}% to "
                   f"{(row['ci_high'] - 1) * 100:.0f}%).")
    outliers = funnel_outliers(v.run.tables["funnel"])
    if audience != NATIONAL:
        outliers = outliers.filter(pl.col("force_id") == audience.split(":", 1)[1])
    for row in outliers.head(3).iter_rows(named=True):
        side = "more" if row["z_score"] > 0 else "fewer"
        per = "per constituency" if row["denominator_kind"] == "constituency" \
            else "per million residents"
        out.append(f"{v.label('force', row['force_id'])} recorded {side} incidents {per} in "
                   "the 12 months than chance would explain against the national rate.")
    return out


def trends_section(v: _View, audience: str) -> Section:
    periods = [add_quarters(v.quarter, -k) for k in reversed(range(TREND_QUARTERS))]
    areas = _area_rows(v, audience)
    trend = ReleaseTable(
        "incidents_by_quarter", "Incidents reported by quarter",
        ["quarter", *[v.label(lv, u) for lv, u in areas[:1 if audience == NATIONAL else 3]]],
        [v.label(lv, u) for lv, u in areas[:1 if audience == NATIONAL else 3]],
        [[quarter_label(p), *[v.q(lv, u, p) for lv, u in
                             areas[:1 if audience == NATIONAL else 3]]] for p in periods])
    by_area = ReleaseTable(
        "incidents_by_area", "Incidents by area",
        ["area", "quarter", "previous_quarter", "same_quarter_last_year",
         "change_on_previous_quarter_pct"],
        ["quarter", "previous_quarter", "same_quarter_last_year"],
        [[v.label(lv, u), v.q(lv, u, v.quarter), v.q(lv, u, v.previous),
          v.q(lv, u, v.year_ago),
          _change_pct(_ratio(v.q(lv, u, v.quarter), v.q(lv, u, v.previous)))]
         for lv, u in areas])
    text = []
    tables = [trend, by_area]
    for dimension, labels, title in (
            ("offence_group", say.OFFENCE_LABELS, "Incidents by offence group, all forces"),
            ("channel", say.CHANNEL_LABELS, "Incidents by how they were made, all forces")):
        rows = []
        for category, label in labels.items():
            if category == "all":
                continue
            cur = v.q(NATIONAL, "all", v.quarter, dimension, category)
            prev = v.q(NATIONAL, "all", v.previous, dimension, category)
            if cur is None:
                continue
            ratio = _ratio(cur, prev)
            rows.append([label, cur, prev, v.q(NATIONAL, "all", v.year_ago, dimension,
                                                 category), _change_pct(ratio)])
            if say.ratio_direction(ratio) in ("up", "down"):
                text.append(say.ratio_sentence(
                    f"Incidents of {label}" if dimension == "offence_group"
                    else f"Incidents by {label}", cur, prev, ratio, "the previous quarter"))
        tables.append(ReleaseTable(
            f"incidents_by_{dimension}", title,
            [dimension, "quarter", "previous_quarter", "same_quarter_last_year",
             "change_on_previous_quarter_pct"],
            ["quarter", "previous_quarter", "same_quarter_last_year"], rows))
    if not text:
        text.append("No offence group or channel changed on the previous quarter by more "
                    "than chance would explain.")
    alarms = alarm_months(v.run).filter(pl.col("is_alarm")).sort("level", "series_id",
                                                                 "period")
    if audience != NATIONAL:
        alarms = alarms.filter(pl.col("level") == NATIONAL)
    tables.append(ReleaseTable(
        "exceedances", "Months with more incidents than expected (Farrington flexible)",
        ["area", "what", "month", "observed", "expected", "upper_bound"], ["observed"],
        [[v.label(r["level"], r["unit"]), _what(r["dimension"], r["category"]),
          f"{r['period']:%Y-%m}", v.get(("alarm", r["series_id"], r["period"])),
          round(r["expected_count"], 1) if r["expected_count"] is not None else None,
          round(r["upperbound_count"], 1) if r["upperbound_count"] is not None else None]
         for r in alarms.iter_rows(named=True)]))
    tables.append(_incidence_funnel(v, audience))
    return Section("trends", "National and regional trends", text, tables)


def _incidence_funnel(v: _View, audience: str) -> ReleaseTable:
    """Incidents per constituency by force over the 12 months, against the national rate
    (Spiegelhalter 2005 funnel; positions from the run's funnel, shown only where the force's
    count is published and the funnel's window is the release's)."""
    funnel = v.run.tables["funnel"].filter(pl.col("denominator_kind") == "constituency")
    if audience != NATIONAL:
        funnel = funnel.filter(pl.col("force_id") == audience[6:])
    same_window = funnel.height > 0 and funnel["last_period"][0] == add_months(v.quarter, 2)
    rows = []
    for r in funnel.sort("force_id").iter_rows(named=True):
        count = v.get(("out", "force", r["force_id"], "total")) if same_window else None
        rate = None if not isinstance(count, int) else round(count / r["denominator"], 2)
        position = None
        if isinstance(count, int) and r["is_outside95"] is not None:
            side = "above" if (r["z_score"] or 0) > 0 else "below"
            position = (f"{side} the 99.8% limit" if r["is_outside998"] else
                        f"{side} the 95% limit" if r["is_outside95"] else "within the limits")
        rows.append([v.label("force", r["force_id"]), count, int(r["denominator"]), rate,
                     position])
    national = funnel["national_rate"][0] if funnel.height else None
    return ReleaseTable(
        "incidents_funnel", "Incidents per constituency by force, 12 months to "
        f"{quarter_end(v.quarter):%B %Y} (national rate "
        f"{'not available' if national is None else f'{national:.2f}'})",
        ["force", "incidents", "constituencies", "incidents_per_constituency", "position"],
        ["incidents"], rows)


def _what(dimension: str, category: str) -> str:
    if dimension == "offence_group":
        return say.OFFENCE_LABELS.get(category, category)
    if dimension == "channel":
        return f"by {say.CHANNEL_LABELS.get(category, category)}"
    return "all incidents"


def intelligence_section(v: _View, audience: str) -> Section:
    areas = _area_rows(v, audience)
    text: list[str] = []
    rv_rows = []
    for lv, u in areas:
        den, top = (v.get(("rv", lv, u, "current", m))
                    for m in ("incident_count", "top_decile_incident_count"))
        pden, ptop = (v.get(("rv", lv, u, "previous", m))
                      for m in ("incident_count", "top_decile_incident_count"))
        rv_rows.append([v.label(lv, u), v.get(("rv", lv, u, "current", "victim_count")),
                        v.get(("rv", lv, u, "current", "repeat_victim_count")), den, top,
                        _pct(top, den), _pct(ptop, pden)])
        if lv == areas[0][0] and u == areas[0][1]:
            where = "" if lv == NATIONAL else f" in {v.label(lv, u)}"
            text.append(say.share_sentence(
                f"incidents{where} in the quarter were against the most-targeted 10% of "
                "victims", _pct(top, den), _pct(ptop, pden),
                _share_diff(top, den, ptop, pden), PREVIOUS,
                "The share of incidents against the most-targeted 10% of victims"))
            repeat = v.get(("rv", lv, u, "current", "repeat_victim_count"))
            victims = v.get(("rv", lv, u, "current", "victim_count"))
            text.append(f"{say.capital(say.number(repeat))} of {say.number(victims)} victims "
                        "were targeted 2 or more times in the quarter.")
    rv_rows = [r for r in rv_rows if any(x is not None for x in r[1:])]
    tables = [ReleaseTable(
        "repeat_victimisation", "Repeat victimisation",
        ["area", "victims", "repeat_victims", "incidents", "incidents_on_top_10pct_victims",
         "share_on_top_10pct_pct", "share_previous_4_quarters_pct"],
        ["victims", "repeat_victims", "incidents", "incidents_on_top_10pct_victims"], rv_rows)]
    shift = v.run.tables["channel_shift"]
    for dimension, labels, title in (("channel", say.CHANNEL_LABELS, "How incidents were made"),
                                     ("platform", None, "Online platforms")):
        nat = shift.filter((pl.col("level") == NATIONAL) & (pl.col("dimension") == dimension))
        rows = []
        for r in nat.sort("category").iter_rows(named=True):
            cat = r["category"]
            if dimension == "channel":
                cur = v.q(NATIONAL, "all", v.quarter, "channel", cat)
                prev = v.get(("p4", NATIONAL, "all", "channel", cat))
                tot, ptot = v.q(NATIONAL, "all", v.quarter), v.get(("p4", NATIONAL, "all",
                                                                     "all", "all"))
            else:
                cur, prev = (v.get(("plat", NATIONAL, "all", cat, s))
                             for s in ("current", "previous"))
                tot, ptot = (v.get(("plat", NATIONAL, "all", "all", s))
                             for s in ("current", "previous"))
            label = labels.get(cat, cat) if labels else cat
            rows.append([label, cur, _pct(cur, tot), prev, _pct(prev, ptot),
                         None if r["adjusted_residual"] is None or not isinstance(cur, int)
                         else round(r["adjusted_residual"], 1)])
        test = nat.head(1)
        tables.append(ReleaseTable(
            f"{dimension}_mix", f"{title}: this quarter against the previous 4",
            [dimension, "quarter", "quarter_pct", "previous_4_quarters",
             "previous_4_quarters_pct", "adjusted_residual"],
            ["quarter", "previous_4_quarters"], rows))
        text.append(_shift_sentence(test, rows, dimension))
    terms = v.run.tables["emerging_term"].filter(pl.col("level") == NATIONAL).sort("rank")
    term_rows = [[r["term"], v.get(("term", NATIONAL, "all", r["term"], "current")),
                  v.get(("term", NATIONAL, "all", r["term"], "previous")),
                  round(r["z_score"], 1)] for r in terms.iter_rows(named=True)]
    term_rows = [r for r in term_rows if isinstance(r[1], int)]
    tables.append(ReleaseTable(
        "emerging_terms", "Words used more in incident summaries than in the previous 4 "
        "quarters", ["term", "incidents_quarter", "incidents_previous_4_quarters", "z_score"],
        ["incidents_quarter", "incidents_previous_4_quarters"], term_rows))
    if term_rows:
        listed = ", ".join(f"\u201c{r[0]}\u201d ({say.number(r[1])} incidents)"
                           for r in term_rows[:3])
        text.append(f"Words used in more incident summaries than before include {listed}.")
    hate_rows = []
    for strand, label in say.STRAND_LABELS.items():
        cur = v.get(("hate", areas[0][0], areas[0][1], strand, "current"))
        prev = v.get(("hate", areas[0][0], areas[0][1], strand, "previous"))
        if cur is None:
            continue
        den = v.q(areas[0][0], areas[0][1], v.quarter)
        pden = v.get(("p4", areas[0][0], areas[0][1], "all", "all"))
        hate_rows.append([label, cur, _pct(cur, den), prev, _pct(prev, pden)])
        if strand == "any":
            text.append(say.share_sentence(
                "incidents in the quarter were hate-related", _pct(cur, den), _pct(prev, pden),
                _share_diff(cur, den, prev, pden), PREVIOUS,
                "The share of hate-related incidents"))
    tables.append(ReleaseTable(
        "hate_share", f"Hate-related incidents by strand, {v.label(*areas[0])}",
        ["strand", "quarter", "quarter_pct", "previous_4_quarters", "previous_4_quarters_pct"],
        ["quarter", "previous_4_quarters"], hate_rows))
    sm = v.run.tables["social_media"].filter((pl.col("level") == areas[0][0])
                                             & (pl.col("unit") == areas[0][1]))
    sm_rows = []
    for r in sm.sort(pl.col("platform") == "all", "platform").iter_rows(named=True):
        key = ("sm", areas[0][0], areas[0][1], r["platform"])
        reports, known = v.get((*key, "report_count")), v.get((*key, "suspect_identified_count"))
        closed = v.get((*key, "closed_count"))
        sm_rows.append([r["platform"], reports, known, _pct(known, reports), closed,
                        r["median_days_to_outcome"] if isinstance(closed, int) and closed
                        else None])
    tables.append(ReleaseTable(
        "social_media", f"Online platforms: reports, suspects identified and outcomes, "
        f"{v.label(*areas[0])}",
        ["platform", "reports", "suspect_identified", "suspect_identified_pct",
         "closed", "median_days_to_outcome_closed"],
        ["reports", "suspect_identified", "closed"], sm_rows))
    return Section("intelligence", "Intelligence", text, tables)


def _shift_sentence(test: pl.DataFrame, rows: list[list[Any]], dimension: str) -> str:
    noun = "channels" if dimension == "channel" else "online platforms"
    if test.is_empty() or test["p_value"][0] is None:
        return f"There were too few incidents to compare the mix of {noun}."
    reliable = bool(test["is_test_reliable"][0])
    p = test["p_value"][0] if reliable else test["p_value_monte_carlo"][0]
    if p is None:
        return (f"There were too few incidents to test whether the mix of {noun} changed "
                "on the previous 4 quarters.")
    if p >= 0.05:
        return (f"The mix of {noun} was similar to the previous 4 quarters (the difference "
                f"could be down to chance: p = {p:.2f}).")
    moved = [r for r in rows if isinstance(r[5], float) and abs(r[5]) > 1.96
             and isinstance(r[2], float) and isinstance(r[4], float)]
    detail = "; ".join(
        f"{r[0]} {'rose' if r[5] > 0 else 'fell'} to {say.percent(r[2])} of incidents from "
        f"{say.percent(r[4])}" for r in sorted(moved, key=lambda r: -abs(r[5]))[:2]
        if (r[2] > r[4]) == (r[5] > 0))
    p_text = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    return (f"The mix of {noun} changed on the previous 4 quarters by more than chance would "
            f"explain ({p_text})"
            + (f": {detail}." if detail else "."))


def investigation_section(v: _View, audience: str) -> Section:
    areas = _area_rows(v, audience)
    window = f"the 12 months to {quarter_end(v.quarter):%B %Y}"
    follow = f"the end of {v.run.as_of:%B %Y}"
    outcomes = v.run.tables["outcome"]["outcome"].unique().to_list()
    order = [o for o in say.OUTCOME_LABELS if o in outcomes]
    shown = areas[:1] if audience == NATIONAL else areas[:3]
    labelled = [v.label(lv, u) for lv, u in shown]
    rows = []
    for o in order:
        row: list[Any] = [say.OUTCOME_LABELS[o]]
        for lv, u in shown:
            n, tot = v.get(("out", lv, u, o)), v.get(("out", lv, u, "total"))
            row += [n, _pct(n, tot)]
        rows.append(row)
    rows.append(["total", *[x for lv, u in shown
                            for x in (v.get(("out", lv, u, "total")), None)]])
    columns = ["outcome"] + [c for name in labelled for c in (name, f"{name} %")]
    tables = [ReleaseTable("outcomes", f"Outcomes of incidents reported in {window}, as at "
                           f"{follow}", columns, labelled, rows)]
    text = []
    rate_rows = []
    for lv, u in areas:
        charged, total = v.get(("out", lv, u, "charged")), v.get(("out", lv, u, "total"))
        rate = _pct(charged, total)
        low = high = None
        if isinstance(charged, int) and isinstance(total, int) and total:
            _, low, high = charge_rate(min(charged, total), total)
        rate_rows.append([v.label(lv, u), charged, total, rate,
                          None if low is None else round(100 * low, 1),
                          None if high is None else round(100 * high, 1)])
        if (lv, u) == areas[0]:
            text.append(say.rate_sentence(
                f"incidents reported in {window}" + ("" if lv == NATIONAL
                                                     else f" to {v.label(lv, u)}"),
                rate, None if low is None else 100 * low, None if high is None else 100 * high,
                "led to a charge or summons"))
    rate_rows = [r for r in rate_rows if r[2] is not None]
    tables.append(ReleaseTable(
        "charge_rate", f"Charge or summons rate, incidents reported in {window}",
        ["area", "charged", "incidents", "rate_pct", "ci_low_pct", "ci_high_pct"],
        ["charged", "incidents"], rate_rows))
    funnel = v.run.tables["charge_rate"].filter(pl.col("level") == "force")
    if audience != NATIONAL:
        funnel = funnel.filter(pl.col("unit") == audience.split(":", 1)[1])
    f_rows = []
    for r in funnel.sort("unit").iter_rows(named=True):
        charged, total = v.get(("out", "force", r["unit"], "charged")), \
            v.get(("out", "force", r["unit"], "total"))
        position = None
        if isinstance(charged, int) and isinstance(total, int) and r["is_outside95"] is not None:
            position = ("above the 99.8% limit" if r["is_outside998"] and r["z_score"] > 0 else
                        "below the 99.8% limit" if r["is_outside998"] else
                        "above the 95% limit" if r["is_outside95"] and r["z_score"] > 0 else
                        "below the 95% limit" if r["is_outside95"] else "within the limits")
        f_rows.append([v.label("force", r["unit"]), charged, total, _pct(charged, total),
                       position])
    tables.append(ReleaseTable(
        "charge_rate_funnel", "Charge rate by force against the national rate (funnel plot)",
        ["force", "charged", "incidents", "rate_pct", "position"], ["charged", "incidents"],
        f_rows))
    km = v.run.tables["time_to_outcome"].filter((pl.col("level") == areas[0][0])
                                                & (pl.col("unit") == areas[0][1]))
    km_rows = []
    for r in km.sort(pl.col("offence_group") != "all", "offence_group").iter_rows(named=True):
        g = r["offence_group"]
        n = v.get(("out", areas[0][0], areas[0][1], "total")) if g == "all" else \
            v.get(("km", areas[0][0], areas[0][1], g, "incidents"))
        still = v.get(("out", areas[0][0], areas[0][1], "under_investigation")) if g == "all" \
            else v.get(("km", areas[0][0], areas[0][1], g, "open"))
        shown = isinstance(n, int) and n > 0
        km_rows.append([say.OFFENCE_LABELS.get(g, g), n, still,
                        *[(r[c] if shown else None) for c in (
                            "median_days", "median_ci_low", "median_ci_high", "p90_days",
                            "p90_ci_low", "p90_ci_high")]])
        if g == "all" and shown:
            text.append(say.quantile_sentence(
                f"incidents reported in {window}",
                Interval(r["median_days"], r["median_ci_low"], r["median_ci_high"]),
                Interval(r["p90_days"], r["p90_ci_low"], r["p90_ci_high"]), follow))
    slow = [r for r in km_rows[1:] if isinstance(r[1], int) and ((r[3] is None and r[1] >= 10)
                                                                 or (r[3] or 0) >= 120)]
    for r in slow[:2]:
        text.append(say.quantile_sentence(
            f"{r[0]} cases", Interval(r[3], r[4], r[5]), Interval(r[6], r[7], r[8]), follow))
    tables.append(ReleaseTable(
        "time_to_outcome", f"Days from report to outcome (Kaplan–Meier, open cases censored "
        f"at {follow}), {v.label(*areas[0])}",
        ["offence_group", "incidents", "still_open", "median_days", "median_ci_low",
         "median_ci_high", "p90_days", "p90_ci_low", "p90_ci_high"],
        ["incidents", "still_open"], km_rows))
    return Section("investigation", "Investigation and outcomes", text, tables)


_KEYS = re.compile(r"^(\d+) shared suspect keys?")
_PHRASE = re.compile(r"; phrase '.*' in (\d+) of (\d+) \(")


def public_reason(reason: str) -> str:
    """Why a series is linked, in words a release may carry: the kinds of evidence only,
    read from the stored reason by fixed patterns, never a quoted phrase, key or name."""
    parts = []
    keys = _KEYS.match(reason)
    if keys and int(keys[1]) > 0:
        parts.append("shared suspect identifiers")
    phrase = _PHRASE.search(reason)
    if phrase:
        share = int(phrase[1]) / max(int(phrase[2]), 1)
        parts.append("the same wording in most of its messages" if share >= 0.5
                     else "the same wording in some of its messages")
    return "; ".join(parts) or "similar incidents close in time"


def series_section(v: _View, audience: str) -> Section:
    active = active_series(v.run).join(v.run.tables["series"].select("series_id", "reason"),
                                       on="series_id", how="left")
    if audience != NATIONAL:
        force = audience.split(":", 1)[1]
        active = active.filter(pl.col("forces").list.contains(force))
    rows = [[f"Series {r['label']}", v.get(("series", r["series_id"])), r["force_count"],
             say.CHANNEL_LABELS.get(r["channel"], r["channel"]), f"{r['first_date']:%Y-%m}",
             f"{r['last_date']:%Y-%m}", public_reason(r["reason"] or "")]
            for r in active.iter_rows(named=True)]
    n = active.height
    where = "" if audience == NATIONAL else f" involving {v.label('force', audience[6:])}"
    text = [f"{n:,} linked series{where} that crossed force boundaries had incidents in the "
            "quarter." if n != 1 else
            f"1 linked series{where} that crossed force boundaries had incidents in the "
            "quarter."]
    if n:
        text.append("A series is a set of incidents that plait links to one offender or "
                    "campaign by shared suspect identifiers and wording; PLaIT reviews each "
                    "before any action.")
    return Section("series", "Cross-border series", text, [ReleaseTable(
        "series", "Cross-border series with incidents in the quarter",
        ["series", "incidents", "forces", "main_channel", "first_month", "last_month",
         "linked_by"],
        ["incidents"], rows)])


LATEST_NEXT_ELECTION = "August 2029"
"""Parliament first met on 9 July 2024 and dissolves 5 years later at the latest
(Dissolution and Calling of Parliament Act 2022), polling 25 working days after."""


def campaign_section(v: _View, audience: str) -> Section:
    """Campaign-period risk: the rate of incidents per day inside general-election campaigns
    against outside them, since 2016, and whether a campaign falls in or near the quarter."""
    from analytics.campaigns import campaign_windows

    start, end = v.quarter, quarter_end(v.quarter)
    horizon = quarter_end(add_quarters(v.quarter, 2))
    windows = campaign_windows()
    text = []
    touching = windows.filter((pl.col("end_date") >= start) & (pl.col("start_date") <= horizon))
    for w in touching.iter_rows(named=True):
        when = "during the quarter" if w["start_date"] <= end else "in the next 2 quarters"
        text.append(f"The {w['election_year']} general election campaign ran {when}, from "
                    f"{w['start_date']:%d %B %Y} to polling day on {w['end_date']:%d %B %Y}.")
    if touching.is_empty():
        text.append("No general election campaign fell in the quarter or the 2 quarters after "
                    f"it; the next general election must be held by {LATEST_NEXT_ELECTION}.")
    camp = v.run.tables["campaign_rate_ratio"]
    rows = []
    for r in camp.sort(pl.col("level") != "national", "unit").iter_rows(named=True):
        if audience != NATIONAL and r["level"] == "region" and r["unit"] != v.region_of.get(
                audience[6:]):
            continue
        inside = v.get(("camp", r["level"], r["unit"], "in"))
        other = v.get(("camp", r["level"], r["unit"], "other"))
        ratio = Interval(None, None, None)
        if isinstance(inside, int) and isinstance(other, int) and other and r["in_campaign_days"]:
            rr = exact_rate_ratio(inside, r["in_campaign_days"], other, r["other_days"])
            ratio = Interval(rr["rate_ratio"], rr["ci_low"], rr["ci_high"])
        label = NATION_LABEL if r["level"] == "national" else r["unit"]
        rows.append([label, inside, r["in_campaign_days"], other, r["other_days"],
                     None if ratio.estimate is None else round(ratio.estimate, 2),
                     None if ratio.low is None else round(ratio.low, 2),
                     None if ratio.high is None else round(ratio.high, 2)])
        if r["level"] == "national" and ratio.estimate is not None:
            direction = say.ratio_direction(ratio)
            if direction == "up":
                text.append(f"Across all forces, incidents were reported {ratio.estimate:.1f} "
                            f"times as often per day during campaigns as outside them (95% CI "
                            f"{ratio.low:.1f} to {ratio.high:.1f}): plan for more reports, and "
                            "more first-time victims among candidates, when one is called.")
            else:
                text.append("Across all forces, the rate of incidents per day during campaigns "
                            "was not clearly different from the rate outside them (95% CI "
                            f"{ratio.low:.1f} to {ratio.high:.1f}).")
    return Section("campaigns", "General election campaigns", text, [ReleaseTable(
        "campaign_rates", "Incidents per day during general election campaigns since 2016, "
        "against other days", ["area", "incidents_in_campaigns", "campaign_days",
                               "incidents_other_days", "other_days", "rate_ratio",
                               "ci_low", "ci_high"],
        ["incidents_in_campaigns", "incidents_other_days"], rows)])


def data_quality_section(v: _View, audience: str, suppressed: tuple[int, int]) -> Section:
    """What each force sent and what became of it, late or missing returns, and how much of
    this report disclosure control hides."""
    files = v.run.tables["source_file"]
    overdue = returns.overdue(v.run.tables["return_status"]) \
        if "return_status" in v.run.tables else pl.DataFrame(
            schema={"force_id": pl.String, "late": pl.String, "missing": pl.String})
    forces = sorted(v.force_names) if audience == NATIONAL else [audience[6:]]
    rows, late, behind = [], [], []
    for force in forces:
        row = files.filter(pl.col("force_id") == force)
        got = row.height > 0 and row["read_count"][0] is not None
        latest = row["latest_date"][0] if row.height else None
        months = overdue.filter(pl.col("force_id") == force)
        note = None
        if not got:
            note = "no return received"
        elif months.height:
            parts = [f"return {kind} for {months[kind][0]}" for kind in ("missing", "late")
                     if months[kind][0] is not None]
            note = "; ".join(parts)
            behind.append(v.label("force", force))
        elif latest is None or latest < v.quarter:
            note = "nothing reported in the quarter"
            late.append(v.label("force", force))
        rows.append([v.label("force", force), row["file_count"][0] if got else 0,
                     *[v.get(("file", force, m)) for m in FILE_MEASURES],
                     None if latest is None else f"{latest:%Y-%m}", note])
    if audience == NATIONAL:
        rows.append(["All forces", int(files["file_count"].fill_null(0).sum()),
                     *[v.get(("file", "all", m)) for m in FILE_MEASURES],
                     None, None])
    hidden, total = suppressed
    text = [
        "Each row a force sends is loaded, taken as an update of a crime it sent before (a "
        "new outcome, offence or date: the earlier version is kept), recognised as a "
        "duplicate (the same crime sent twice, or recorded by two forces) or rejected with "
        "its reason; nothing is dropped.",
        f"{hidden:,} of the {total:,} counts in this report are shown as [c]: counts of 1 to "
        "7, and counts that would let one be worked out.",
    ]
    if behind:
        text.append(f"{len(behind):,} forces' monthly returns for the quarter are late or "
                    f"missing: {', '.join(behind[:8])}{' and others' if len(behind) > 8 else ''}"
                    f". A return is due by day {returns.DUE_DAY} of the month after.")
    if late:
        text.append(f"{len(late):,} forces reported nothing for the quarter: "
                    f"{', '.join(late[:8])}{' and others' if len(late) > 8 else ''}. A force "
                    "with no crimes against MPs in a quarter is possible; a late return is "
                    "more likely when the force usually reports some.")
    return Section("data_quality", "Data quality", text, [ReleaseTable(
        "returns", "Force returns received (all periods)",
        ["force", "files", "rows_read", "loaded", "updated", "duplicates", "rejected",
         "latest_month", "note"], ["rows_read", "loaded", "updated", "duplicates", "rejected"],
        rows)])


def _suppression_count(sections: list[Section]) -> tuple[int, int]:
    values = [row[t.columns.index(c)] for s in sections for t in s.tables
              for c in t.count_columns for row in t.rows]
    return sum(1 for x in values if x == "[c]"), sum(1 for x in values if x is not None)


def build_releases(run: StoredRun, audiences: list[str]) -> dict[str, Release]:
    """Every release asked for, all from one protected cell book (so they agree)."""
    known = set(run.forces["force_id"])
    for audience in audiences:
        if audience != NATIONAL and (not audience.startswith("force:")
                                     or audience[6:] not in known):
            raise ReleaseError(f"audience {audience!r}: expected 'national' or "
                               "'force:<force_id>' of a known force")
    book = cell_book(run)
    view = _View(run, book.protect())
    national = [trends_section(view, NATIONAL), intelligence_section(view, NATIONAL),
                investigation_section(view, NATIONAL), series_section(view, NATIONAL)]
    out = {}
    for audience in audiences:
        sections = [summary_section(view, audience)]
        if audience != NATIONAL:
            sections += [_force_section(view, audience)]
        sections += national  # the same national figures in every release, built once
        if audience != NATIONAL:
            sections.append(series_section(view, audience))
            sections[-1].id, sections[-1].title = "force_series", \
                f"Cross-border series involving {view.label('force', audience[6:])}"
        sections.append(campaign_section(view, audience))
        sections.append(data_quality_section(view, audience, _suppression_count(sections)))
        out[audience] = Release(quarter_label(run.quarter), audience, run.run_id, sections)
    return out


def _force_section(v: _View, audience: str) -> Section:
    """The force against its region and the nation: trends, intelligence, investigation."""
    force = audience[6:]
    parts = [trends_section(v, audience), intelligence_section(v, audience),
             investigation_section(v, audience)]
    keep = {"incidents_by_quarter", "incidents_by_area", "repeat_victimisation", "hate_share",
            "social_media", "outcomes", "charge_rate", "charge_rate_funnel", "time_to_outcome"}
    tables = [t for s in parts for t in s.tables if t.id in keep]
    for t in tables:
        t.id = f"force_{t.id}"
    text = [s for s in parts[2].narrative[:2]]
    return Section("force", f"{v.label('force', force)} against its region and the nation",
                   text, tables)


def build_release(run: StoredRun, audience: str = NATIONAL) -> Release:
    return build_releases(run, [audience])[audience]
