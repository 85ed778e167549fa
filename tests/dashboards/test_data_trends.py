"""The Trends and Map pages' data layer (`dashboards.data_trends`), role by role, on an
analysed synthetic warehouse on SQLite and PostgreSQL; and their charts and hex geometry.

The warehouse is `plait synth --seed 11` (2021-01..2026-09) through the real ingest and
analyse (a few seconds), loaded into both backends from one analysis. What a role receives is
checked against the stored tables read here directly: exact for national analysts and for a
force's own series, published (and not recoverable by differencing one relation) for
everyone else, consistent with the quarterly release, and never another force's series.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, func, select

from analytics.analyse import compute, read_inputs, read_link_inputs, read_release_inputs, store
from analytics.disclosure import SUPPRESSED, disclose_count, is_published
from analytics.release import cell_book, load_run
from dashboards import charts, data, data_trends, geo
from dashboards.access import AccessDenied, Viewer
from etl import schema
from etl.ingest import ingest_paths
from etl.periods import add_months, month_end
from etl.reference import reference_bytes
from etl.synth import generate
from etl.warehouse import make_engine, migrate
from tests.conftest import TEST_KEY, fresh_warehouse_url

AS_OF = dt.date(2026, 9, 1)
NATIONAL, NPCC, KENT = Viewer("n", "national"), Viewer("p", "npcc"), Viewer("k", "force:kent")
CONTROLLED = (NPCC, KENT)


# --- the warehouse, on both backends ----------------------------------------------------------

@pytest.fixture(scope="session")
def trends_analysis(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, int, str]:
    """The synthetic sample and its analysis (computed once, stored on each backend)."""
    sample = tmp_path_factory.mktemp("trends-synth")
    generate(sample, seed=11, start="2021-01", end="2026-09", scale=1.0)
    url = f"sqlite:///{tmp_path_factory.mktemp('trends-wh') / 'plait.db'}"
    engine = make_engine(url)
    migrate(engine)
    ingest_paths([sample], engine, TEST_KEY, today=dt.date(2026, 11, 28))
    incidents, forces = read_inputs(engine)
    analysis = compute(incidents, forces, as_of=AS_OF, link_incidents=read_link_inputs(engine),
                       release_incidents=read_release_inputs(engine))
    store(engine, analysis, incidents.height)
    engine.dispose()
    return sample, analysis, incidents.height, url


@pytest.fixture(scope="session")
def sqlite_engine(trends_analysis: Any) -> Iterator[Engine]:
    engine = make_engine(trends_analysis[3])
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgresql_engine(trends_analysis: Any, tmp_path_factory: pytest.TempPathFactory
                    ) -> Iterator[Engine]:
    sample, analysis, n_incidents, _ = trends_analysis
    urls = fresh_warehouse_url("postgresql", tmp_path_factory.mktemp("trends-pg"))
    engine = make_engine(next(urls))
    migrate(engine)
    ingest_paths([sample], engine, TEST_KEY, today=dt.date(2026, 11, 28))
    store(engine, analysis, n_incidents)
    yield engine
    engine.dispose()
    next(urls, None)


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse(request: pytest.FixtureRequest) -> Engine:
    return request.getfixturevalue(f"{request.param}_engine")


def _run(engine: Engine) -> data.RunInfo:
    run = data.latest_run(engine)
    assert run is not None
    return run


def _stored(engine: Engine, table: Any, **where: Any) -> pl.DataFrame:
    query = select(table).where(*(table.c[k] == v for k, v in where.items()))
    with engine.connect() as conn:
        return pl.read_database(query, conn, infer_schema_length=None)


def _as_int(cell: Any) -> int | str:
    """A frame's published cell ("[c]" or digits) as the release would hold it."""
    return cell if cell == SUPPRESSED else int(cell)


# --- who may see which series -----------------------------------------------------------------

@pytest.mark.integration
def test_catalogue_offers_each_role_only_its_series(warehouse: Engine) -> None:
    run = _run(warehouse)
    national = data_trends.catalogue(warehouse, NATIONAL, run)
    npcc = data_trends.catalogue(warehouse, NPCC, run)
    kent = data_trends.catalogue(warehouse, KENT, run)
    assert national.filter(pl.col("level") == "force")["unit"].n_unique() > 40
    assert set(npcc["level"]) == {"national", "region"}
    assert set(npcc.filter(pl.col("level") == "region")["dimension"]) == {"all"}
    assert npcc.height == 19 + 13  # the nation by every breakdown, the 13 regions in all
    assert set(kent.filter(pl.col("level") == "force")["unit"]) == {"kent"}
    assert kent.height == npcc.height + 19  # kent's all, 11 offence groups, 7 channels
    assert data_trends.frequencies(warehouse, NPCC, run, "national:all|channel:phone") == [
        "quarter"]
    assert data_trends.frequencies(warehouse, KENT, run, "force:kent|channel:phone") == [
        "month", "quarter"]
    assert national["series_id"][0] == "national:all|all:all"


@pytest.mark.integration
@pytest.mark.parametrize("viewer,series_id", [
    (KENT, "force:west-yorkshire|all:all"),
    (KENT, "force:metropolitan|channel:email"),
    (NPCC, "force:kent|all:all"),
    (Viewer("w", "force:west-yorkshire"), "force:kent|offence_group:harassment"),
    (NPCC, "region:London|channel:email"),
    (KENT, "region:South East|offence_group:harassment"),
])
def test_another_forces_series_is_refused(sqlite_engine: Engine, viewer: Viewer,
                                           series_id: str) -> None:
    run = _run(sqlite_engine)
    for call in (lambda: data_trends.exceedance(sqlite_engine, viewer, run, series_id),
                 lambda: data_trends.exceedance(sqlite_engine, viewer, run, series_id,
                                                "quarter"),
                 lambda: data_trends.trend(sqlite_engine, viewer, run, series_id),
                 lambda: data_trends.period_changes(sqlite_engine, viewer, run, series_id)):
        with pytest.raises(AccessDenied):
            call()
    assert issubclass(AccessDenied, PermissionError)


@pytest.mark.integration
def test_monthly_breakdowns_of_the_nation_are_not_published(sqlite_engine: Engine) -> None:
    run = _run(sqlite_engine)
    with pytest.raises(AccessDenied, match="not published"):
        data_trends.exceedance(sqlite_engine, NPCC, run, "national:all|channel:phone", "month")
    assert data_trends.exceedance(sqlite_engine, NATIONAL, run, "national:all|channel:phone",
                                  "month").frame.height == 12


@pytest.mark.integration
def test_national_and_own_force_series_are_as_recorded(warehouse: Engine) -> None:
    run = _run(warehouse)
    for viewer, series_id in ((NATIONAL, "region:South East|channel:email"),
                              (NATIONAL, "force:west-yorkshire|all:all"),
                              (KENT, "force:kent|all:all")):
        for frequency in ("month", "quarter"):
            view = data_trends.exceedance(warehouse, viewer, run, series_id, frequency)
            stored = _stored(warehouse, schema.out_exceedance, run_id=run.run_id,
                             series_id=series_id, frequency=frequency).sort("period")
            assert not view.controlled
            assert view.frame["observed"].to_list() == stored["observed_count"].to_list()
            assert view.frame["alarm"].to_list() == [bool(a) for a in stored["is_alarm"]]
    changes = data_trends.period_changes(warehouse, KENT, run, "force:kent|all:all")
    stored = _stored(warehouse, schema.out_period_change, run_id=run.run_id,
                     series_id="force:kent|all:all").sort("comparison")
    assert changes["current"].to_list() == stored["current_count"].to_list()


@pytest.mark.integration
def test_exact_small_counts_do_occur_where_exact_is_allowed(sqlite_engine: Engine) -> None:
    """The controlled views below would be vacuous if no series had small counts."""
    run = _run(sqlite_engine)
    view = data_trends.exceedance(sqlite_engine, NATIONAL, run, "region:South East|all:all")
    assert any(1 <= v <= 7 for v in view.frame["observed"])


# --- disclosure control of the nation and regions ---------------------------------------------

@pytest.mark.integration
@pytest.mark.parametrize("viewer", CONTROLLED, ids=lambda v: v.role)
def test_controlled_series_show_only_published_counts(warehouse: Engine, viewer: Viewer
                                                      ) -> None:
    run = _run(warehouse)
    catalogue = data_trends.catalogue(warehouse, viewer, run).filter(
        pl.col("level") != "force")
    for series_id in catalogue["series_id"].to_list():
        for frequency in data_trends.frequencies(warehouse, viewer, run, series_id):
            view = data_trends.exceedance(warehouse, viewer, run, series_id, frequency)
            assert view.controlled and view.frame["observed"].dtype == pl.String
            cells = [_as_int(c) for c in view.frame["observed"]]
            assert cells and all(is_published(c) for c in cells), (series_id, cells)
            assert [r[1] for r in view.table["rows"]] == cells
            for cell, alarm in zip(cells, view.frame["alarm"], strict=True):
                assert alarm in ("yes", "no", SUPPRESSED)
                if cell == SUPPRESSED and frequency == "quarter":
                    assert alarm == SUPPRESSED  # the release publishes no quarterly alarm
        changes = data_trends.period_changes(warehouse, viewer, run, series_id)
        for row in changes.iter_rows(named=True):
            current, previous = _as_int(row["current"]), _as_int(row["previous"])
            assert is_published(current) and is_published(previous)
            if isinstance(current, int) and isinstance(previous, int) and previous > 0:
                assert row["rate_ratio"] == pytest.approx(current / previous, abs=0.006)
            else:
                assert row["rate_ratio"] is None


def _relations(keys: set[tuple[Any, ...]]) -> list[tuple[Any, list[Any]]]:
    """The sums that hold between the book's cells, derived here from the keys alone."""
    out = []
    regions = sorted({k[2] for k in keys if k[1] == "region"})
    for key in keys:
        freq, level, unit, dimension, category, period = key
        if level == "national":
            out.append((key, [(freq, "region", r, dimension, category, period)
                              for r in regions]))
        if dimension == "all":
            for d in ("channel", "offence_group"):
                out.append((key, sorted(k for k in keys if k[:3] == (freq, level, unit)
                                        and k[3] == d and k[5] == period)))
        if freq == "quarter":
            out.append((key, [("month", level, unit, dimension, category,
                               add_months(period, m)) for m in range(3)]))
    return [(t, p) for t, p in out if p and all(k in keys for k in p)]


def _truth(engine: Engine, run: data.RunInfo, keys: set[Any]) -> dict[Any, int]:
    exc = _stored(engine, schema.out_exceedance, run_id=run.run_id)
    truth = {(r["frequency"], r["level"], r["unit"], r["dimension"], r["category"],
              r["period"]): r["observed_count"] for r in exc.iter_rows(named=True)}
    change = _stored(engine, schema.out_period_change, run_id=run.run_id)
    for r in change.iter_rows(named=True):
        for side in ("current", "previous"):
            truth[("quarter", r["level"], r["unit"], r["dimension"], r["category"],
                   r[f"{side}_period"])] = r[f"{side}_count"]
    return {k: truth[k] for k in keys}


def _narrowed(published: dict[Any, Any], truth: dict[Any, int],
              relations: list[tuple[Any, list[Any]]], first: bool = False
              ) -> list[tuple[Any, float, float]]:
    """Suppressed counts of 1..7 that an attacker narrows to within ±2 by linear programming
    over every published cell and relation (scipy's HiGHS; protect's attacker model: a
    published x > 0 is in [max(x-2, 8), x+2], 0 is 0, a [c] of 1..7 in [1, 7], any other [c]
    at least 8), unless no suppression could do better (every non-zero published cell
    widened to [8, inf) gives the same interval). Written apart from analytics.disclosure."""
    from scipy.optimize import linprog
    from scipy.sparse import lil_array

    keys = sorted(published, key=repr)
    index = {k: i for i, k in enumerate(keys)}
    built = lil_array((len(relations), len(keys)))
    for r, (total, parts) in enumerate(relations):
        built[r, index[total]] = 1
        for part in parts:
            built[r, index[part]] = -1
    matrix, zeros = built.tocsr(), [0] * len(relations)

    def bounds(widest: bool) -> list[tuple[float, float | None]]:
        out: list[tuple[float, float | None]] = []
        for k in keys:
            x = published[k]
            if x == SUPPRESSED:
                out.append((1, 7) if 1 <= truth[k] <= 7 else (8, None))
            elif x == 0:
                out.append((0, 0))
            else:
                out.append((8, None) if widest else (max(x - 2, 8), x + 2))
        return out

    def interval(i: int, box: list[tuple[float, float | None]]) -> tuple[float, float]:
        cost = [0.0] * len(keys)
        cost[i] = 1.0
        low = linprog(cost, A_eq=matrix, b_eq=zeros, bounds=box)
        cost[i] = -1.0
        high = linprog(cost, A_eq=matrix, b_eq=zeros, bounds=box)
        assert low.status == 0 and high.status == 0
        return math.ceil(low.fun - 1e-6), math.floor(-high.fun + 1e-6)

    found = []
    narrow, wide = bounds(False), bounds(True)
    for k in keys:
        if published[k] == SUPPRESSED and 1 <= truth[k] <= 7:
            low, high = interval(index[k], narrow)
            if high - low <= 4 and (low, high) != interval(index[k], wide):
                found.append((k, low, high))
                if first:
                    break
    return found


@pytest.mark.integration
def test_no_suppressed_count_is_narrowed_by_the_pages_and_the_release_together(
        sqlite_engine: Engine) -> None:
    """An attacker holding the dashboard's counts and the quarterly release (its quarterly,
    pooled and alarm-month cells, with their sums) pins no small count: checked with an LP
    written here. Primary suppression alone fails the same check."""
    run = _run(sqlite_engine)
    stored = load_run(sqlite_engine, run.quarter, run.run_id)
    book = cell_book(stored)
    release = book.protect()
    shared = {k for k in book.values if k[0] in ("q", "p4", "alarm")}
    pages = data_trends.published_counts(sqlite_engine, run).values
    truth = {**{k: book.values[k] for k in shared}, **_truth(sqlite_engine, run, set(pages))}
    relations = [(r.total, list(r.parts)) for r in book.audited_relations()
                 if r.total in shared and set(r.parts) <= shared]
    relations += _relations(set(pages))
    for freq, level, unit, dimension, category, period in pages:
        twin = ("q", level, unit, dimension, category, period) if freq == "quarter" else (
            "alarm", f"{level}:{unit}|{dimension}:{category}", period)
        twin = book.aliases.get(twin, twin)
        if twin in shared:
            assert pages[(freq, level, unit, dimension, category, period)] == release[twin]
            relations.append(((freq, level, unit, dimension, category, period), [twin]))
    published = {**{k: release[k] for k in shared}, **pages}
    assert all(is_published(v) for v in pages.values())
    book_ = data_trends.published_counts(sqlite_engine, run)
    assert book_.release_kept == 0 and book_.scope == data_trends.CONTROLLED_SCOPE
    assert _narrowed(published, truth, relations) == []
    naive = {k: disclose_count(v) if k in pages else release[k] for k, v in truth.items()}
    assert _narrowed(naive, truth, relations, first=True)


@pytest.mark.integration
def test_regional_counts_agree_with_the_quarterly_release(sqlite_engine: Engine) -> None:
    """A quarter's regional count is the release's own cell, published alike."""
    run = _run(sqlite_engine)
    release = data.release_for(data.all_releases(sqlite_engine, run), NPCC)
    areas = next(t for s in release["sections"] for t in s["tables"]
                 if t["id"] == "incidents_by_area")
    checked = 0
    for area, quarter, *_ in areas["rows"]:
        series = ("national:all|all:all" if area == "All forces"
                  else f"region:{area}|all:all")
        view = data_trends.exceedance(sqlite_engine, NPCC, run, series, "quarter")
        shown = dict(zip(view.frame["period"], view.frame["observed"], strict=True))
        assert _as_int(shown[run.quarter_label]) == quarter, area
        checked += 1
    assert checked == 14


@pytest.mark.integration
def test_force_user_own_region_hides_a_small_rest_of_region(sqlite_engine: Engine) -> None:
    """A force knows its own counts exactly: a quarter of its region whose other forces hold
    1..7 between them is [c] for that force's users, whatever the region's published count."""
    run = _run(sqlite_engine)
    regions = dict(data.forces(sqlite_engine).select("force_id", "police_region").iter_rows())
    binding = 0
    for force, region in sorted(regions.items()):
        series = f"region:{region}|all:all"
        total = data_trends.exceedance(sqlite_engine, NATIONAL, run, series, "quarter")
        own = data_trends.exceedance(sqlite_engine, NATIONAL, run, f"force:{force}|all:all",
                                     "quarter")
        seen = data_trends.exceedance(sqlite_engine, Viewer("f", f"force:{force}"), run,
                                      series, "quarter")
        for t, o, shown in zip(total.frame["observed"], own.frame["observed"],
                               seen.frame["observed"], strict=True):
            if 1 <= t - o <= 7:
                binding += 1
                assert shown == SUPPRESSED, (force, t, o)
    assert binding > 0
    assert data_trends._own_force_guard(15, 14, 10) == SUPPRESSED
    assert data_trends._own_force_guard(15, 14, 14) == 15  # the rest is 0: nothing to hide
    assert data_trends._own_force_guard(15, 30, 10) == 15


# --- funnel and map ---------------------------------------------------------------------------

@pytest.mark.integration
def test_funnel_is_the_release_table_except_for_national(warehouse: Engine) -> None:
    run = _run(warehouse)
    releases = data.all_releases(warehouse, run)
    for viewer in CONTROLLED:
        release = data.release_for(releases, viewer)
        made = data_trends.funnel(warehouse, viewer, run, release)
        published = next(t for s in release["sections"] for t in s["tables"]
                         if t["id"] == "incidents_funnel")
        assert made.from_release and made.table is published
        assert made.national_rate == pytest.approx(
            float(published["title"].split("national rate ")[1].rstrip(")")))
    made = data_trends.funnel(warehouse, NATIONAL, run, data.release_for(releases, NATIONAL))
    stored = _stored(warehouse, schema.out_funnel, run_id=run.run_id,
                     denominator_kind="constituency")
    assert not made.from_release and made.table is not None
    assert sorted(r[1] for r in made.table["rows"]) == sorted(stored["observed_count"])
    assert any(1 <= r[1] <= 7 for r in made.table["rows"])


@pytest.mark.integration
@pytest.mark.parametrize("viewer", CONTROLLED, ids=lambda v: v.role)
def test_map_gives_others_nothing_finer_than_a_force(sqlite_engine: Engine, viewer: Viewer
                                                    ) -> None:
    run = _run(sqlite_engine)
    release = data.release_for(data.all_releases(sqlite_engine, run), viewer)
    assert set(data_trends.map_measures(viewer)) == {"force_rate", "force_position"}
    for measure in ("constituency_count", "force_alarm"):
        with pytest.raises(AccessDenied):
            data_trends.map_values(sqlite_engine, viewer, run, release, measure)
    funnel = next(t for s in release["sections"] for t in s["tables"]
                  if t["id"] == "incidents_funnel")
    rates = {r[0]: r[3] for r in funnel["rows"]}
    for measure in ("force_rate", "force_position"):
        view = data_trends.map_values(sqlite_engine, viewer, run, release, measure)
        assert view.by == "force" and view.table["columns"][2] == "force"
        by_force: dict[str, set[Any]] = {}
        for row in view.table["rows"]:
            by_force.setdefault(row[2], set()).add(row[5])
        assert all(len(values) == 1 for values in by_force.values())
        assert len(view.table["rows"]) == 650
        if measure == "force_rate":
            for force, values in by_force.items():
                if force in rates:
                    assert values == {rates[force]}, force


@pytest.mark.integration
def test_map_constituency_counts_for_national_as_recorded(warehouse: Engine) -> None:
    run = _run(warehouse)
    view = data_trends.map_values(warehouse, NATIONAL, run, None, "constituency_count")
    funnel = _stored(warehouse, schema.out_funnel, run_id=run.run_id)
    first, last = funnel["first_period"][0], funnel["last_period"][0]
    inc = schema.core_incident
    with warehouse.connect() as conn:
        total = conn.execute(select(func.count()).select_from(inc).where(
            inc.c.is_duplicate.is_(False) & inc.c.constituency_code.is_not(None)
            & (inc.c.reported_date >= first)
            & (inc.c.reported_date <= month_end(_date(last))))).scalar()
    assert view.by == "constituency"
    assert sum(r[5] for r in view.table["rows"]) == total
    assert view.frame["value"].sum() == total
    alarms = data_trends.map_values(warehouse, NATIONAL, run, None, "force_alarm")
    assert set(alarms.frame["value"].drop_nulls()) <= set(data_trends.ALARM_STATES)


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


@pytest.mark.integration
def test_both_backends_give_the_same_answers(sqlite_engine: Engine, postgresql_engine: Engine
                                             ) -> None:
    s_run, p_run = _run(sqlite_engine), _run(postgresql_engine)
    for viewer in (NATIONAL, NPCC, KENT):
        assert data_trends.catalogue(sqlite_engine, viewer, s_run).equals(
            data_trends.catalogue(postgresql_engine, viewer, p_run))
        for series_id in ("national:all|channel:phone", "region:London|all:all"):
            for frequency in data_trends.frequencies(sqlite_engine, viewer, s_run, series_id):
                assert data_trends.exceedance(sqlite_engine, viewer, s_run, series_id,
                                              frequency).frame.equals(
                    data_trends.exceedance(postgresql_engine, viewer, p_run, series_id,
                                           frequency).frame)
            assert data_trends.trend(sqlite_engine, viewer, s_run, series_id).equals(
                data_trends.trend(postgresql_engine, viewer, p_run, series_id))
            assert data_trends.period_changes(sqlite_engine, viewer, s_run, series_id).equals(
                data_trends.period_changes(postgresql_engine, viewer, p_run, series_id))
    assert data_trends.published_counts(sqlite_engine, s_run).values == \
        data_trends.published_counts(postgresql_engine, p_run).values


# --- pure: series ids, charts, hexagons -------------------------------------------------------

@pytest.mark.unit
def test_series_ids_parse_and_bad_ones_raise() -> None:
    assert data_trends.parse_series_id("region:National (rail network GB)|channel:phone") == (
        "region", "National (rail network GB)", "channel", "phone")
    for bad in ("national:all", "force:kent|all", "Force:kent|all:all"):
        with pytest.raises(ValueError, match="expected 'level:unit"):
            data_trends.parse_series_id(bad)
    with pytest.raises(ValueError, match="series level"):
        data_trends.check_series(NATIONAL, "constituency", "E14001063")


def _series_table(observed: list[Any], alarm: list[Any]) -> dict[str, Any]:
    periods = [f"2026-{m:02d}" for m in range(1, len(observed) + 1)]
    return {"id": "exceedance_series", "title": "London: made by email", "frequency": "month",
            "columns": ["period", "observed", "expected", "upper_bound", "alarm"],
            "count_columns": ["observed"],
            "rows": [[p, o, 4.0, 9.0, a] for p, o, a in zip(periods, observed, alarm,
                                                             strict=True)]}


@pytest.mark.unit
def test_exceedance_chart_gaps_suppressed_months_and_marks_alarms() -> None:
    chart = charts.exceedance_chart(_series_table([10, SUPPRESSED, 15, SUPPRESSED, SUPPRESSED],
                                                  [False, False, True, True, SUPPRESSED]))
    spec = chart.spec.to_dict()
    lines, marks = (layer["data"]["values"] for layer in spec["layer"])
    observed = [v["count"] for v in lines if v["line"] == "Observed"]
    assert observed == [10, None, 15, None, None]
    assert [(m["period"], m["count"], m["observed"]) for m in marks] == [
        ("2026-03", 15, "15"), ("2026-04", 9.0, SUPPRESSED)]
    assert "alarm) in 2 months: 2026-03, 2026-04" in chart.alt_text
    assert "3 months are suppressed" in chart.alt_text
    assert "not published for 1 month." in chart.alt_text
    assert "<svg" in charts.to_svg(chart)


@pytest.mark.unit
def test_hex_map_greys_missing_values_and_names_the_extremes() -> None:
    layout = geo.hexes().head(6)
    forces = ["Force A", "Force A", "Force B", "Force B", "Force C", "Force C"]
    values = [1.5, 1.5, None, None, 0.25, 0.25]
    table = {"id": "hex_map", "columns": ["constituency_code", "constituency", "force", "col",
                                          "row", "value", "shown"],
             "rows": [[r["pcon24_code"], r["constituency_name"], f, r["col"], r["row"], v,
                       SUPPRESSED if v is None else str(v)]
                      for r, f, v in zip(layout.iter_rows(named=True), forces, values,
                                         strict=True)]}
    chart = charts.hex_map(table, "Incidents per constituency", quantitative=True,
                           highlight="Force C")
    layers = chart.spec.to_dict()["layer"]
    assert len(layers[0]["data"]["values"]) == 6
    assert {f["properties"]["force"] for f in layers[1]["data"]["values"]} == {"Force A",
                                                                              "Force C"}
    assert len(layers[2]["data"]["values"]) == 2
    assert "Highest: Force A 1.5" in chart.alt_text
    assert "1 force grey" in chart.alt_text and "Force C is outlined" in chart.alt_text
    assert "<svg" in charts.to_svg(chart)


@pytest.mark.unit
def test_hexagons_are_regular_tiles_one_per_constituency() -> None:
    hexes = geo.hexes()
    reference = pl.read_csv(reference_bytes("constituencies_2024_pfa.csv"))
    assert hexes.height == 650 and hexes["pcon24_code"].n_unique() == 650
    assert set(hexes["pcon24_code"]) == set(reference["pcon24_code"])
    assert hexes.select("col", "row").n_unique() == 650
    ring = geo.hex_ring(2, 4)
    assert ring[0] == ring[-1] and len(ring) == 7
    centre = (3.0, 4 * math.sqrt(3) / 2)
    assert all(math.hypot(x - centre[0], y - centre[1]) == pytest.approx(1, abs=1e-3)
               for x, y in ring)
    neighbour = geo.hex_ring(3, 5)  # the next column, half a row up: shares an edge
    shared = {tuple(p) for p in ring} & {tuple(p) for p in neighbour}
    assert len(shared) == 2
