"""Data for the Trends and Map pages: count series, their exceedances, trends and changes,
the incidence funnel and the map's colours, each cut to what the viewer's role may receive.

Who sees what (issue 10):
- `national`: every series (national, regional, force) as `plait analyse` recorded it.
- a force user: their own force's series in full; national and regional series with counts
  disclosure-controlled; never another force's force-level series (`AccessDenied`).
- `npcc`: national and regional series, disclosure-controlled.

Disclosure control of the national and regional series (`published_counts`). What a
non-national viewer can read of them is limited, as the release limits it, to what can be
published safely (stack.md 6.4: combine sparse categories before suppressing): the nation by
every breakdown per quarter and in all per month, the regions in all per quarter
(`CONTROLLED_SCOPE`). Breakdowns of a region, and months of anything but the nation's total,
are nearly all single figures, and an audit of them (below) found small counts that even
full secondary suppression could not protect next to the release's published quarters; they
are for national analysts only. These counts, and the quarters that period changes compare,
are gathered with their additive relations:
- the nation is the sum of its regions (same dimension, category, period);
- "all incidents" is the sum of the channel categories, and of the offence groups;
- a quarter is the sum of its three months;
and protected once per run by `analytics.disclosure.protect` (primary suppression of 1..7,
rounding to 5, then audit-driven secondary suppression: by linear programming, no [c] can be
narrowed to within ±2 by any combination of the published cells and relations). The quarterly
release is published beside the dashboard, so its quarterly, pooled and alarm-month cells
(`RELEASE_FAMILIES`) and their relations (the nation and regions as sums of forces, a year as
its quarters) enter the same audit: its published counts are kept as published, its primary
cells are audited again with ours, its secondary [c] is taken as any count of 1 or more; a
dashboard cell that is the release's own cell shows exactly what the release shows.
Protection is deterministic (keys in a fixed order), so every viewer and every restart sees the
same values. Should the audit want a release cell suppressed (`PublishedCounts.release_kept`,
0 on the sample data), the scope falls back to quarters only.

Limits, said plainly:
- the audit covers the release's count tables that share cells with these series, not every
  family of the release (outcomes, hate strands, ...), whose relations to quarterly totals
  are left out;
- a force user knows their own force's counts exactly, while the audit assumes an attacker who
  knows only published values. For a force user's own region and the nation, a cell is also
  suppressed when the rest of the area (area minus their force) is 1..7
  (`_own_force_guard`), but that extra [c] is not audited again against the other cells;
- expected counts and upper bounds are model outputs, shown rounded to 1 decimal. Beside a
  [c] an alarm flag would bound the count by the upper bound, so it is withheld ("[c]")
  unless the viewer's release publishes that alarm; beside a published count it is shown;
- trends (change per year, its CI and p-value) are model coefficients and are shown as
  recorded; period-change ratios of a controlled series are recomputed from the published
  counts (as the release does), never taken from the exact ones.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import polars as pl
from sqlalchemy import Engine, and_, func, select

from analytics import narrative as say
from analytics.disclosure import (
    SUPPRESSED,
    SUPPRESSION_THRESHOLD,
    Published,
    protect,
)
from analytics.release import cell_book, load_run
from analytics.release_cells import CellBook
from analytics.trends import exact_rate_ratio
from dashboards import geo
from dashboards.access import AccessDenied, Viewer
from dashboards.data import RunInfo, forces
from etl import schema
from etl.periods import add_months, month_end, quarter_label, quarter_start

Key = tuple[Hashable, ...]
LEVELS = ("national", "region", "force")
FREQUENCIES = {"month": "Monthly", "quarter": "Quarterly"}
DIMENSIONS = ("all", "offence_group", "channel")
NATION_LABEL = "All forces"
COMPARISONS = {"quarter_on_quarter": "On the previous quarter",
               "year_on_year": "On the same quarter last year"}


# --- who may see which series -----------------------------------------------------------------

def check_series(viewer: Viewer, level: str, unit: str) -> None:
    """Raise AccessDenied unless the viewer may see this series at all.

    Force-level series are incident-level-derived counts of one force: its own users and
    national analysts only (the release's force figures reach others as published cells)."""
    if level not in LEVELS:
        raise ValueError(f"series level {level!r}: expected one of {LEVELS}")
    if level == "force" and not viewer.may_see_incidents_of(unit):
        raise AccessDenied(f"the {viewer.role} role cannot see {unit}'s force-level series")


def is_controlled(viewer: Viewer, level: str, unit: str) -> bool:
    """Whether the viewer gets this series' counts disclosure-controlled."""
    return not viewer.is_national and not (level == "force" and unit == viewer.force_id)


def parse_series_id(series_id: str) -> tuple[str, str, str, str]:
    """`"region:London|channel:email"` → (level, unit, dimension, category)."""
    found = re.fullmatch(r"([a-z]+):(.+)\|([a-z_]+):([a-z_]+)", series_id)
    if found is None:
        raise ValueError(f"series id {series_id!r}: expected 'level:unit|dimension:category'")
    level, unit, dimension, category = found.groups()
    return level, unit, dimension, category


CHANNEL_WHAT = {"in_person": "In person", "online_other": "By other online means",
                "unknown": "How made not recorded"}


def what_label(dimension: str, category: str) -> str:
    """Plain words for a series' breakdown, as the release names them."""
    if dimension == "offence_group":
        label = say.OFFENCE_LABELS.get(category, category)
        return label[:1].upper() + label[1:]
    if dimension == "channel":
        return CHANNEL_WHAT.get(category, f"By {say.CHANNEL_LABELS.get(category, category)}")
    return "All incidents"


def what_phrase(dimension: str, category: str) -> str:
    """The breakdown in running text: "all incidents", "harassment", "made by email"."""
    if dimension == "offence_group":
        return say.OFFENCE_LABELS.get(category, category)
    return what_label(dimension, category).lower()


def force_names(engine: Engine) -> dict[str, str]:
    return dict(forces(engine).select("force_id", "force_name").iter_rows())


def area_label(level: str, unit: str, names: dict[str, str]) -> str:
    if level == "national":
        return NATION_LABEL
    if level == "force":
        return names.get(unit, unit)
    return unit


def catalogue(engine: Engine, viewer: Viewer, run: RunInfo) -> pl.DataFrame:
    """The series the viewer may choose: series_id, level, unit, dimension, category, area,
    what; the nation first, then regions, then forces, each by area and breakdown. Regional
    breakdowns are not published to non-national viewers (`CONTROLLED_SCOPE`)."""
    table = schema.out_exceedance
    query = (select(table.c.series_id, table.c.level, table.c.unit, table.c.dimension,
                    table.c.category)
             .where(table.c.run_id == run.run_id).distinct())
    if not viewer.is_national:
        allowed = (table.c.level == "national") | and_(table.c.level == "region",
                                                        table.c.dimension == "all")
        if viewer.force_id:
            allowed = allowed | and_(table.c.level == "force", table.c.unit == viewer.force_id)
        query = query.where(allowed)
    with engine.connect() as conn:
        frame = pl.read_database(query, conn, infer_schema_length=None)
    names = force_names(engine)
    order = {d: i for i, d in enumerate(DIMENSIONS)}
    return (
        frame.with_columns(
            pl.struct("level", "unit").map_elements(
                lambda s: area_label(s["level"], s["unit"], names), pl.String).alias("area"),
            pl.struct("dimension", "category").map_elements(
                lambda s: what_label(s["dimension"], s["category"]), pl.String).alias("what"),
            pl.col("level").replace_strict({lv: i for i, lv in enumerate(LEVELS)},
                                           return_dtype=pl.Int64).alias("_l"),
            pl.col("dimension").replace_strict(order, default=9,
                                               return_dtype=pl.Int64).alias("_d"))
        .sort("_l", "area", "_d", "what").drop("_l", "_d")
    )


# --- disclosure control of the national and regional series ---------------------------------

CONTROLLED_SCOPE: dict[tuple[str, str], tuple[str, ...]] = {
    ("quarter", "national"): DIMENSIONS,
    ("month", "national"): ("all",),
    ("quarter", "region"): ("all",),
}
"""(frequency, level) → the dimensions whose counts a non-national viewer may read."""

FALLBACK_SCOPE = {k: v for k, v in CONTROLLED_SCOPE.items() if k[0] == "quarter"}

RELEASE_FAMILIES = ("q", "p4", "alarm")
"""The release's cell families that share cells or sums with these series: incidents per
quarter, pooled over the previous four, and alarm months (`analytics.release_cells`)."""


@dataclass(frozen=True)
class PublishedCounts:
    """Published counts of the run's national and regional series in scope, by key
    `(frequency, level, unit, dimension, category, period)`; see the module docstring."""

    values: dict[Key, Published]
    scope: dict[tuple[str, str], tuple[str, ...]]
    release_kept: int

    def get(self, frequency: str, level: str, unit: str, dimension: str, category: str,
            period: dt.date) -> Published | None:
        return self.values.get((frequency, level, unit, dimension, category, period))

    def covers(self, frequency: str, level: str, dimension: str) -> bool:
        return dimension in self.scope.get((frequency, level), ())


def published_counts(engine: Engine, run: RunInfo) -> PublishedCounts:
    """The run's national and regional counts in scope, protected once (the same for every
    viewer, so one copy per run is kept in memory)."""
    return _published_counts(engine, run.run_id, run.quarter)


@lru_cache(maxsize=4)
def _published_counts(engine: Engine, run_id: int, quarter: dt.date) -> PublishedCounts:
    stored = load_run(engine, quarter, run_id)
    book = cell_book(stored)
    release = book.protect()
    rows = _series_counts(engine, run_id)
    for scope in (CONTROLLED_SCOPE, FALLBACK_SCOPE):
        found = _protect_scope(book, release, rows, scope)
        if found.release_kept == 0:
            return found
    return found


def _protect_scope(book: CellBook, release: dict[Key, Published], rows: pl.DataFrame,
                   scope: dict[tuple[str, str], tuple[str, ...]]) -> PublishedCounts:
    """Protect the series' cells in `scope` together with the release's cells they touch."""
    in_scope = rows.filter(pl.struct("frequency", "level", "dimension").map_elements(
        lambda r: r["dimension"] in scope.get((r["frequency"], r["level"]), ()),
        pl.Boolean))
    mine, where = _series_cells(in_scope, book)
    shared = [k for k in book.values if k[0] in RELEASE_FAMILIES]  # in the book's order
    values: dict[Key, int | str] = {}
    for key in shared:
        true, shown = book.values[key], release[key]
        secondary = shown == SUPPRESSED and true > SUPPRESSION_THRESHOLD
        values[key] = SUPPRESSED if secondary else true
    for key, value in mine.values.items():
        values.setdefault(key, value)
    within = set(shared)
    relations = [r for r in book.audited_relations()
                 if r.total in within and all(p in within for p in r.parts)]
    keep = {k for k in shared if release[k] != SUPPRESSED}
    out = protect(values, relations + mine.relations, keep=keep)
    kept = sum(1 for key in shared if out[key] != release[key])
    for key in shared:
        out[key] = release[key]
    return PublishedCounts({ours: out[cell] for ours, cell in where.items()}, scope, kept)


def _series_counts(engine: Engine, run_id: int) -> pl.DataFrame:
    """True counts of the national and regional series: observed per month and quarter, and
    the quarters that period changes compare (checked to agree where both hold one)."""
    exc, changes = schema.out_exceedance, schema.out_period_change
    with engine.connect() as conn:
        counts = pl.read_database(
            select(exc.c.series_id, exc.c.frequency, exc.c.level, exc.c.unit, exc.c.dimension,
                   exc.c.category, exc.c.period, exc.c.observed_count)
            .where((exc.c.run_id == run_id) & exc.c.level.in_(("national", "region"))),
            conn, schema_overrides={"period": pl.Date}, infer_schema_length=None)
        compared = pl.read_database(
            select(changes.c.series_id, changes.c.level, changes.c.unit, changes.c.dimension,
                   changes.c.category, changes.c.current_period, changes.c.previous_period,
                   changes.c.current_count, changes.c.previous_count)
            .where((changes.c.run_id == run_id)
                   & changes.c.level.in_(("national", "region"))),
            conn, schema_overrides={"current_period": pl.Date, "previous_period": pl.Date},
            infer_schema_length=None)
    rows = counts.rename({"observed_count": "count"}).select(
        "series_id", "frequency", "level", "unit", "dimension", "category", "period", "count")
    for side in ("current", "previous"):
        rows = pl.concat([rows, compared.select(
            "series_id", pl.lit("quarter").alias("frequency"), "level", "unit", "dimension",
            "category", pl.col(f"{side}_period").alias("period"),
            pl.col(f"{side}_count").alias("count")).drop_nulls()], how="vertical_relaxed")
    clash = rows.group_by("series_id", "frequency", "period").agg(
        pl.col("count").n_unique().alias("n")).filter(pl.col("n") > 1)
    if clash.height:
        raise ValueError(f"series counts disagree between out_exceedance and "
                         f"out_period_change: {clash.head(3).to_dicts()}")
    return rows.unique(["series_id", "frequency", "period"], keep="first").sort(
        "series_id", "frequency", "period")


def _series_cells(rows: pl.DataFrame, release: CellBook) -> tuple[CellBook, dict[Key, Key]]:
    """The series' true counts with their relations, in a CellBook whose keys are the
    release's where the release holds the same quantity; and our key → that cell."""

    def release_key(r: dict[str, Any]) -> Key | None:
        if r["frequency"] == "quarter":
            key: Key = ("q", r["level"], r["unit"], r["dimension"], r["category"], r["period"])
        else:
            key = ("alarm", r["series_id"], r["period"])
        key = release.aliases.get(key, key)
        return key if key in release.values else None

    book = CellBook()
    where: dict[Key, Key] = {}
    for r in rows.iter_rows(named=True):
        ours = (r["frequency"], r["level"], r["unit"], r["dimension"], r["category"],
                r["period"])
        cell = release_key(r) or ours
        if cell in release.values and release.values[cell] != r["count"]:
            raise ValueError(f"series count {ours!r} is {r['count']}, the release's cell "
                             f"{cell!r} is {release.values[cell]}: not one run")
        book.add(cell, r["count"])
        where[ours] = cell
    _relate_series(book, where, rows)
    return book, where


def _relate_series(book: CellBook, where: dict[Key, Key], rows: pl.DataFrame) -> None:
    """Nation = sum of regions; all = sum of each breakdown; quarter = sum of its months."""
    regions = sorted(set(rows.filter(pl.col("level") == "region")["unit"]))
    cats: dict[str, list[str]] = {
        d: sorted(set(rows.filter(pl.col("dimension") == d)["category"]))
        for d in ("offence_group", "channel")}
    present = set(where)

    def relate(total: Key, parts: Iterable[Key]) -> None:
        parts = list(parts)
        if total in present and parts and all(p in present for p in parts):
            book.relate(where[total], [where[p] for p in parts])

    def combos(frame: pl.DataFrame, *columns: str) -> list[tuple[Any, ...]]:
        return list(frame.select(*columns).unique(maintain_order=True).iter_rows())

    for freq, dimension, category, period in combos(rows, "frequency", "dimension",
                                                    "category", "period"):
        relate((freq, "national", "all", dimension, category, period),
               [(freq, "region", r, dimension, category, period) for r in regions])
    for freq, level, unit, period in combos(rows, "frequency", "level", "unit", "period"):
        for dimension, categories in cats.items():
            relate((freq, level, unit, "all", "all", period),
                   [(freq, level, unit, dimension, c, period) for c in categories])
    quarters = rows.filter(pl.col("frequency") == "quarter")
    for level, unit, dimension, category, period in combos(quarters, "level", "unit",
                                                           "dimension", "category", "period"):
        relate(("quarter", level, unit, dimension, category, period),
               [("month", level, unit, dimension, category, add_months(period, k))
                for k in range(3)])


def _own_force_guard(published: Published, total: int | None, own: int | None) -> Published:
    """A force user's own region or nation: [c] where the rest of the area is 1..7."""
    if total is None or own is None or published == SUPPRESSED:
        return published
    rest = total - own
    return SUPPRESSED if 1 <= rest <= SUPPRESSION_THRESHOLD else published


# --- a series: exceedances, trend, period changes ---------------------------------------------

@dataclass(frozen=True)
class SeriesView:
    """One series as the viewer may see it: a frame to show and a release-shaped table for
    the chart (`dashboards.charts.exceedance_chart`), whose observed cells are ints or "[c]"."""

    series_id: str
    frequency: str
    area: str
    what: str
    controlled: bool
    frame: pl.DataFrame
    table: dict[str, Any]


def _period_label(period: dt.date, frequency: str) -> str:
    return quarter_label(period) if frequency == "quarter" else f"{period:%Y-%m}"


def _series_rows(engine: Engine, run_id: int, series_id: str, frequency: str) -> pl.DataFrame:
    table = schema.out_exceedance
    with engine.connect() as conn:
        return pl.read_database(
            select(table.c.period, table.c.observed_count, table.c.expected_count,
                   table.c.upperbound_count, table.c.is_alarm, table.c.method)
            .where((table.c.run_id == run_id) & (table.c.series_id == series_id)
                   & (table.c.frequency == frequency)).order_by(table.c.period),
            conn, schema_overrides={"period": pl.Date, "observed_count": pl.Int64,
                                    "expected_count": pl.Float64,
                                    "upperbound_count": pl.Float64, "is_alarm": pl.Boolean},
            infer_schema_length=None)


def _guard_series(engine: Engine, viewer: Viewer, level: str, unit: str) -> str | None:
    """The viewer's own force when the series is their region's or the nation's."""
    if viewer.force_id is None or level == "force":
        return None
    if level == "national":
        return viewer.force_id
    regions = dict(forces(engine).select("force_id", "police_region").iter_rows())
    return viewer.force_id if regions.get(viewer.force_id) == unit else None


def frequencies(engine: Engine, viewer: Viewer, run: RunInfo, series_id: str) -> list[str]:
    """The frequencies of the series the viewer may read ("month", "quarter")."""
    level, unit, dimension, _ = parse_series_id(series_id)
    check_series(viewer, level, unit)
    if not is_controlled(viewer, level, unit):
        return list(FREQUENCIES)
    book = published_counts(engine, run)
    return [f for f in FREQUENCIES if book.covers(f, level, dimension)]


def exceedance(engine: Engine, viewer: Viewer, run: RunInfo, series_id: str,
               frequency: str = "month") -> SeriesView:
    """Observed against expected with the Farrington upper bound, per evaluated period."""
    level, unit, dimension, category = parse_series_id(series_id)
    check_series(viewer, level, unit)
    if frequency not in FREQUENCIES:
        raise ValueError(f"frequency {frequency!r}: expected one of {tuple(FREQUENCIES)}")
    controlled = is_controlled(viewer, level, unit)
    book = published_counts(engine, run) if controlled else None
    if book is not None and not book.covers(frequency, level, dimension):
        raise AccessDenied(f"{FREQUENCIES[frequency].lower()} counts of {series_id} are not "
                           f"published to the {viewer.role} role")
    rows = _series_rows(engine, run.run_id, series_id, frequency)
    observed: list[Published] = rows["observed_count"].to_list()
    alarm: list[bool | str] = rows["is_alarm"].to_list()
    if book is not None:
        observed = [_shown(book.get(frequency, level, unit, dimension, category, p))
                    for p in rows["period"]]
        own = _guard_series(engine, viewer, level, unit)
        if own is not None:
            mine = _series_rows(engine, run.run_id, f"force:{own}|{dimension}:{category}",
                                frequency)
            own_counts = dict(zip(mine["period"], mine["observed_count"], strict=True))
            observed = [_own_force_guard(shown, total, own_counts.get(p)) for shown, total, p
                        in zip(observed, rows["observed_count"], rows["period"], strict=True)]
        published_alarms = _release_alarm_months(viewer, run, level, frequency)
        alarm = [a if shown != SUPPRESSED or (a and p in published_alarms) else SUPPRESSED
                 for shown, a, p in zip(observed, alarm, rows["period"], strict=True)]
    labels = [_period_label(p, frequency) for p in rows["period"]]
    expected = rows["expected_count"].round(1).to_list()
    upper = rows["upperbound_count"].round(1).to_list()
    frame = pl.DataFrame({
        "period": labels,
        "observed": ([str(v) for v in observed] if controlled else observed),
        "expected": expected, "upper_bound": upper,
        "alarm": ([_yes_no(a) for a in alarm] if controlled else alarm)},
        schema={"period": pl.String, "observed": pl.String if controlled else pl.Int64,
                "expected": pl.Float64, "upper_bound": pl.Float64,
                "alarm": pl.String if controlled else pl.Boolean})
    names = force_names(engine)
    area, what = area_label(level, unit, names), what_label(dimension, category)
    table = {
        "id": "exceedance_series",
        "title": f"{area}: {what_phrase(dimension, category)}",
        "frequency": frequency,
        "columns": ["period", "observed", "expected", "upper_bound", "alarm"],
        "count_columns": ["observed"],
        "rows": [list(r) for r in zip(labels, observed, expected, upper, alarm, strict=True)],
    }
    return SeriesView(series_id, frequency, area, what, controlled, frame, table)


def _yes_no(alarm: bool | str) -> str:
    return alarm if isinstance(alarm, str) else ("yes" if alarm else "no")


def _release_alarm_months(viewer: Viewer, run: RunInfo, level: str, frequency: str
                          ) -> set[dt.date]:
    """Months whose alarm the viewer's release publishes (its exceedances table: the report
    quarter's months, national series, and regional ones in the national release)."""
    if frequency != "month" or (level == "region" and viewer.force_id is not None):
        return set()
    return {add_months(run.quarter, k) for k in range(3)}


def _shown(value: Published | None) -> Published:
    if value is None:
        raise ValueError("a national or regional count has no published value")
    return value


def trend(engine: Engine, viewer: Viewer, run: RunInfo, series_id: str) -> pl.DataFrame:
    """The long-term trend of the series (both frequencies): change per year as a percentage
    with its 95% CI and p-value (model coefficients: shown as recorded, for every role that
    may see the series)."""
    level, unit, dimension, _ = parse_series_id(series_id)
    check_series(viewer, level, unit)
    if is_controlled(viewer, level, unit) and not any(
            dimension in dims for (_, lv), dims in CONTROLLED_SCOPE.items() if lv == level):
        raise AccessDenied(f"{series_id} is not published to the {viewer.role} role")
    table = schema.out_trend
    with engine.connect() as conn:
        frame = pl.read_database(
            select(table.c.frequency, table.c.first_period, table.c.last_period,
                   table.c.n_periods, table.c.family, table.c.change_per_year, table.c.ci_low,
                   table.c.ci_high, table.c.p_value, table.c.note)
            .where((table.c.run_id == run.run_id) & (table.c.series_id == series_id))
            .order_by(table.c.frequency),
            conn, schema_overrides={"first_period": pl.Date, "last_period": pl.Date,
                                    "change_per_year": pl.Float64, "ci_low": pl.Float64,
                                    "ci_high": pl.Float64, "p_value": pl.Float64,
                                    "n_periods": pl.Int64, "note": pl.String,
                                    "family": pl.String},
            infer_schema_length=None)

    def pct(column: str) -> pl.Expr:
        return ((pl.col(column) - 1) * 100).round(1)

    return frame.select(
        pl.col("frequency").replace_strict(FREQUENCIES, default=pl.col("frequency")),
        pl.concat_str(pl.col("first_period").dt.strftime("%Y-%m"), pl.lit(" to "),
                      pl.col("last_period").dt.strftime("%Y-%m")).alias("periods"),
        pl.col("family").alias("model"),
        pct("change_per_year").alias("change_per_year_pct"),
        pct("ci_low").alias("ci_low_pct"), pct("ci_high").alias("ci_high_pct"),
        pl.col("p_value").round(4),
        pl.col("note").fill_null(""))


def period_changes(engine: Engine, viewer: Viewer, run: RunInfo, series_id: str
                   ) -> pl.DataFrame:
    """The latest quarter against the previous one and the same one a year before: counts,
    rate ratio, its exact 95% CI and p-value. Controlled series: counts published and the
    ratio recomputed from them (`analytics.trends.exact_rate_ratio`, as the release does)."""
    level, unit, dimension, category = parse_series_id(series_id)
    check_series(viewer, level, unit)
    table = schema.out_period_change
    with engine.connect() as conn:
        frame = pl.read_database(
            select(table.c.comparison, table.c.current_period, table.c.previous_period,
                   table.c.current_count, table.c.previous_count, table.c.rate_ratio,
                   table.c.ci_low, table.c.ci_high, table.c.p_value, table.c.note)
            .where((table.c.run_id == run.run_id) & (table.c.series_id == series_id))
            .order_by(table.c.comparison),
            conn, schema_overrides={"current_period": pl.Date, "previous_period": pl.Date,
                                    "current_count": pl.Int64, "previous_count": pl.Int64,
                                    "rate_ratio": pl.Float64, "ci_low": pl.Float64,
                                    "ci_high": pl.Float64, "p_value": pl.Float64,
                                    "note": pl.String},
            infer_schema_length=None)
    rows = []
    controlled = is_controlled(viewer, level, unit)
    book = published_counts(engine, run) if controlled else None
    if book is not None and not book.covers("quarter", level, dimension):
        raise AccessDenied(f"counts of {series_id} are not published to the {viewer.role} "
                           "role")
    own = _guard_series(engine, viewer, level, unit) if controlled else None
    own_rows = (_own_quarters(engine, run.run_id, f"force:{own}|{dimension}:{category}")
                if own else {})
    for r in frame.iter_rows(named=True):
        current, previous = r["current_count"], r["previous_count"]
        ratio = {k: r[k] for k in ("rate_ratio", "ci_low", "ci_high", "p_value")}
        note = r["note"] or ""
        if book is not None:
            current = _own_force_guard(
                _shown(book.get("quarter", level, unit, dimension, category,
                                r["current_period"])), r["current_count"],
                own_rows.get(r["current_period"]))
            previous = _own_force_guard(
                _shown(book.get("quarter", level, unit, dimension, category,
                                r["previous_period"])), r["previous_count"],
                own_rows.get(r["previous_period"]))
            ratio, note = _published_ratio(current, previous)
        rows.append({
            "comparison": COMPARISONS.get(r["comparison"], r["comparison"]),
            "current_quarter": quarter_label(quarter_start(r["current_period"])),
            "previous_quarter": quarter_label(quarter_start(r["previous_period"])),
            "current": current, "previous": previous,
            "rate_ratio": _round(ratio["rate_ratio"], 2), "ci_low": _round(ratio["ci_low"], 2),
            "ci_high": _round(ratio["ci_high"], 2), "p_value": _round(ratio["p_value"], 4),
            "note": note})
    count_type = pl.String if controlled else pl.Int64
    schema_ = {"comparison": pl.String, "current_quarter": pl.String,
               "previous_quarter": pl.String, "current": count_type, "previous": count_type,
               "rate_ratio": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64,
               "p_value": pl.Float64, "note": pl.String}
    if controlled:
        rows = [{**r, "current": str(r["current"]), "previous": str(r["previous"])}
                for r in rows]
    return pl.DataFrame(rows, schema=schema_)


def _own_quarters(engine: Engine, run_id: int, series_id: str) -> dict[dt.date, int]:
    """The viewer's own force's quarterly counts (for `_own_force_guard`)."""
    table = schema.out_quarter_count
    with engine.connect() as conn:
        found = conn.execute(select(table.c.period, table.c.incident_count).where(
            (table.c.run_id == run_id) & (table.c.series_id == series_id)
            & (table.c.frequency == "quarter"))).all()
    return {_as_date(p): int(n) for p, n in found}


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _published_ratio(current: Published, previous: Published
                     ) -> tuple[dict[str, float | None], str]:
    empty: dict[str, float | None] = dict.fromkeys(("rate_ratio", "ci_low", "ci_high",
                                                    "p_value"))
    if not isinstance(current, int) or not isinstance(previous, int):
        return empty, "a count is suppressed: no ratio"
    if current + previous == 0:
        return empty, "no offences in either period: no ratio"
    ratio = exact_rate_ratio(current, 1.0, previous, 1.0)
    if previous == 0:
        return ratio, "previous count is zero: the ratio is unbounded"
    return ratio, "from the published (rounded) counts"


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


# --- the incidence funnel ---------------------------------------------------------------------

@dataclass(frozen=True)
class Funnel:
    """The incidence funnel as a release-shaped table (`charts.incidence_funnel`'s input)
    and the national rate it is drawn around (None when not available)."""

    table: dict[str, Any] | None
    national_rate: float | None
    from_release: bool


def _release_table(release: dict[str, Any], section_id: str, table_id: str
                   ) -> dict[str, Any] | None:
    for section in release["sections"]:
        if section["id"] == section_id:
            for table in section["tables"]:
                if table["id"] == table_id:
                    return table
    return None


def release_national_rate(table: dict[str, Any]) -> float | None:
    """The national rate printed in the funnel table's title, as the PDF reads it
    (`dashboards.report_pdf.report_charts`)."""
    found = re.search(r"national rate ([\d.]+)", table["title"])
    return None if found is None else float(found[1])


def funnel(engine: Engine, viewer: Viewer, run: RunInfo, release: dict[str, Any] | None
           ) -> Funnel:
    """Incidents per constituency by force over the run's 12 months, against the national
    rate: national analysts from `out_funnel` as recorded, everyone else from the release's
    `incidents_funnel` table (disclosure-controlled, as the PDF draws it)."""
    if not viewer.is_national:
        table = None if release is None else _release_table(release, "trends",
                                                             "incidents_funnel")
        return Funnel(table, None if table is None else release_national_rate(table), True)
    stored = _stored_funnel(engine, run.run_id)
    if stored.is_empty():
        return Funnel(None, None, False)
    names = force_names(engine)
    rows = [[names.get(r["force_id"], r["force_id"]), r["observed_count"],
             int(r["denominator"]), round(r["rate"], 2) if r["rate"] is not None else None,
             _position(r)] for r in stored.sort("force_id").iter_rows(named=True)]
    first, last = stored["first_period"][0], stored["last_period"][0]
    national = float(stored["national_rate"][0])
    table = {
        "id": "incidents_funnel",
        "title": (f"Incidents per constituency by force, {first:%B %Y} to {last:%B %Y} "
                  f"(national rate {national:.2f}), as recorded"),
        "columns": ["force", "incidents", "constituencies", "incidents_per_constituency",
                    "position"],
        "count_columns": ["incidents"], "rows": rows}
    return Funnel(table, national, False)


def _stored_funnel(engine: Engine, run_id: int) -> pl.DataFrame:
    table = schema.out_funnel
    with engine.connect() as conn:
        return pl.read_database(
            select(table).where((table.c.run_id == run_id)
                                & (table.c.denominator_kind == "constituency")),
            conn, schema_overrides={"first_period": pl.Date, "last_period": pl.Date},
            infer_schema_length=None)


def _position(r: dict[str, Any]) -> str | None:
    """The release's wording of a force's place against the funnel limits."""
    if r["is_outside95"] is None:
        return None
    side = "above" if (r["z_score"] or 0) > 0 else "below"
    return (f"{side} the 99.8% limit" if r["is_outside998"] else
            f"{side} the 95% limit" if r["is_outside95"] else "within the limits")


# --- the map ----------------------------------------------------------------------------------

MAP_MEASURES = {
    "force_rate": "Incidents per constituency, by force (12 months)",
    "force_position": "Position against the funnel limits, by force",
    "constituency_count": "Incidents in each constituency (12 months)",
    "force_alarm": "Exceedance alarm in the latest month, by force",
}
NATIONAL_MEASURES = ("constituency_count", "force_alarm")


def map_measures(viewer: Viewer) -> dict[str, str]:
    """The colourings the viewer may choose: finer than force, or force alarms as recorded,
    for national analysts only."""
    return {k: v for k, v in MAP_MEASURES.items()
            if viewer.is_national or k not in NATIONAL_MEASURES}


@dataclass(frozen=True)
class MapView:
    """Values to colour the hex map by: one row per force (or per constituency, national
    only), `key` naming the force_id or constituency_code it colours, and whether the
    value is a number (`quantitative`) or a category."""

    measure: str
    title: str
    quantitative: bool
    by: str  # "force" or "constituency"
    frame: pl.DataFrame  # key, area, value (Float64 or String), shown (String)
    note: str
    table: dict[str, Any]  # one row per hexagon, for `charts.hex_map`
    categories: dict[str, str]  # category → colour, for categorical measures


POSITIONS = {"above the 99.8% limit": "#D55E00", "above the 95% limit": "#E69F00",
             "within the limits": "#009E73", "below the 95% limit": "#56B4E9",
             "below the 99.8% limit": "#0072B2"}
"""Funnel positions in reading order, coloured from the Okabe–Ito palette: warm above, cool
below, so the direction reads without the legend."""
ALARM_STATES = {"above the upper bound": "#D55E00", "within the upper bound": "#0072B2"}


def hex_layout(engine: Engine) -> pl.DataFrame:
    """Every hexagon with its constituency and the force that polices it (the warehouse's
    `ref_constituency`, 2024 boundaries): reference data, the same for every role."""
    ref = schema.ref_constituency
    with engine.connect() as conn:
        owners = pl.read_database(
            select(ref.c.constituency_code, ref.c.force_id).where(ref.c.boundary_year == 2024),
            conn)
    names = force_names(engine)
    return geo.hexes().join(owners, left_on="pcon24_code", right_on="constituency_code",
                            how="left").with_columns(
        pl.col("force_id").replace_strict(names, default=pl.col("force_id")).alias("force"))


def _map_view(engine: Engine, measure: str, quantitative: bool, by: str, frame: pl.DataFrame,
              note: str, categories: dict[str, str]) -> MapView:
    """Put the values on the hexagons: by force_id or by constituency code."""
    layout = hex_layout(engine)
    key = "force_id" if by == "force" else "pcon24_code"
    found = {k: (v, shown) for k, v, shown in frame.select("key", "value", "shown").iter_rows()}
    rows = []
    for r in layout.iter_rows(named=True):
        value, shown = found.get(r[key], (None, None))
        if by == "constituency" and value is None:
            value, shown = 0.0, "0"
        rows.append([r["pcon24_code"], r["constituency_name"], r["force"] or "not known",
                     r["col"], r["row"], value, shown or "not available"])
    table = {"id": f"hex_map_{measure}", "title": MAP_MEASURES[measure],
             "columns": ["constituency_code", "constituency", "force", "col", "row", "value",
                         "shown"], "rows": rows}
    return MapView(measure, MAP_MEASURES[measure], quantitative, by, frame, note, table,
                   categories)


def map_values(engine: Engine, viewer: Viewer, run: RunInfo, release: dict[str, Any] | None,
               measure: str) -> MapView:
    """What the map colours, for the viewer: force-level figures from the release's funnel
    table (disclosure-controlled) for everyone; national analysts may also colour by
    constituency counts or by force alarms, as recorded."""
    if measure not in MAP_MEASURES:
        raise ValueError(f"map measure {measure!r}: expected one of {tuple(MAP_MEASURES)}")
    if measure in NATIONAL_MEASURES and not viewer.is_national:
        raise AccessDenied(f"{MAP_MEASURES[measure]}: national analysts only")
    if measure == "constituency_count":
        return _constituency_counts(engine, run)
    if measure == "force_alarm":
        return _force_alarms(engine, run)
    made = funnel(engine, viewer, run, release)
    ids = {name: fid for fid, name in force_names(engine).items()}
    rows = [] if made.table is None else made.table["rows"]
    cols = [] if made.table is None else made.table["columns"]
    index = {c: i for i, c in enumerate(cols)}
    out = []
    for row in rows:
        force_id = ids.get(str(row[index["force"]]))
        if force_id is None:
            continue
        if measure == "force_rate":
            value = row[index["incidents_per_constituency"]]
            count = row[index["incidents"]]
            shown = (SUPPRESSED if count == SUPPRESSED else
                     "not available" if value is None else f"{value:.2f}")
            out.append({"key": force_id, "area": str(row[index["force"]]),
                        "value": float(value) if isinstance(value, int | float) else None,
                        "shown": shown})
        else:
            position = row[index["position"]]
            count = row[index["incidents"]]
            label = position or ("suppressed" if count == SUPPRESSED else "not assessed")
            out.append({"key": force_id, "area": str(row[index["force"]]),
                        "value": position, "shown": label})
    quantitative = measure == "force_rate"
    frame = pl.DataFrame(out, schema={"key": pl.String, "area": pl.String,
                                      "value": pl.Float64 if quantitative else pl.String,
                                      "shown": pl.String})
    source = ("the quarterly release (disclosure-controlled)" if made.from_release
              else "the stored funnel, as recorded")
    note = (f"Forces coloured from {source}. Constituencies take the colour of the force "
            "that polices them; the rail network (British Transport Police) has none.")
    return _map_view(engine, measure, quantitative, "force", frame, note,
                     {} if quantitative else POSITIONS)


def _constituency_counts(engine: Engine, run: RunInfo) -> MapView:
    """Incidents (duplicates left out) in each constituency over the funnel's 12 months."""
    stored = _stored_funnel(engine, run.run_id)
    last = stored["last_period"][0] if stored.height else run.as_of.replace(day=1)
    first = stored["first_period"][0] if stored.height else add_months(last, -11)
    inc, ref = schema.core_incident, schema.ref_constituency
    query = (select(inc.c.constituency_code, ref.c.constituency_name,
                    func.count().label("incidents"))
             .join(ref, ref.c.constituency_code == inc.c.constituency_code)
             .where(inc.c.is_duplicate.is_(False) & (inc.c.reported_date >= first)
                    & (inc.c.reported_date <= month_end(last)))
             .group_by(inc.c.constituency_code, ref.c.constituency_name))
    with engine.connect() as conn:
        counts = pl.read_database(query, conn, schema_overrides={"incidents": pl.Int64},
                                  infer_schema_length=None)
    frame = counts.select(
        pl.col("constituency_code").alias("key"), pl.col("constituency_name").alias("area"),
        pl.col("incidents").cast(pl.Float64).alias("value"),
        pl.col("incidents").cast(pl.String).alias("shown"))
    note = (f"Incidents reported {first:%B %Y} to {last:%B %Y}, duplicates left out, as "
            "recorded (national analysts only). Constituencies with none are shown as 0.")
    return _map_view(engine, "constituency_count", True, "constituency", frame, note, {})


def _force_alarms(engine: Engine, run: RunInfo) -> MapView:
    """Each force's all-incidents series in the run's latest month: alarm or not."""
    table = schema.out_exceedance
    month = run.as_of.replace(day=1)
    with engine.connect() as conn:
        rows = pl.read_database(
            select(table.c.unit, table.c.observed_count, table.c.upperbound_count,
                   table.c.is_alarm)
            .where((table.c.run_id == run.run_id) & (table.c.level == "force")
                   & (table.c.frequency == "month") & (table.c.dimension == "all")
                   & (table.c.period == month)),
            conn, schema_overrides={"is_alarm": pl.Boolean}, infer_schema_length=None)
    names = force_names(engine)
    frame = rows.select(
        pl.col("unit").alias("key"),
        pl.col("unit").replace_strict(names, default=pl.col("unit")).alias("area"),
        pl.when(pl.col("is_alarm")).then(pl.lit("above the upper bound"))
        .when(pl.col("upperbound_count").is_null()).then(pl.lit(None, pl.String))
        .otherwise(pl.lit("within the upper bound")).alias("value"),
    ).with_columns(pl.col("value").fill_null("not assessed (too little history)")
                   .alias("shown"))
    note = f"All incidents in {month:%B %Y} against each force's Farrington upper bound."
    return _map_view(engine, "force_alarm", False, "force", frame, note, ALARM_STATES)


__all__ = ["catalogue", "exceedance", "funnel", "map_measures", "map_values",
           "period_changes", "published_counts", "trend"]
