"""`plait analyse`: every model on every series, stored as one run in the warehouse.

`compute` is pure (frames in, frames out); `read_inputs` and `store` are the edges. A run
records its as-of period and every parameter, so a page or a PDF can always say what it
shows. The choices where the issue is silent:
- as-of defaults to the last month with a reported incident; quarterly results use the
  last complete quarter on or before it;
- exceedances are evaluated for the 12 months and the 4 quarters up to the as-of period;
- trends use the whole history up to as-of; period changes compare the quarter ending at
  as-of with the previous quarter and with the same quarter a year before;
- the funnel compares the forces that send returns over the 12 months to as-of, per
  constituency (2024 boundaries, each constituency to its main force) and per million
  residents (ONS mid-2020 estimates); a force with no constituency or no residents (BTP)
  is not in it;
- campaign rate ratios use every day of the history (national and by police region);
- incidents are read as the warehouse knew them after one file (`known_through`, default
  the last loaded, recorded in the run as `known_through_file_id`): a restatement loaded
  later does not change what a rerun of the run computes (etl/versions.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field

import polars as pl
from sqlalchemy import Engine, func, insert, select

from analytics.campaigns import campaign_rate_ratio
from analytics.count_series import SERIES_KEYS, Frequency, as_counts, count_series
from analytics.exceedance import detect
from analytics.farrington import FarringtonParams
from analytics.funnel import funnel
from analytics.linkage import MODEL_PATH, LinkModel, attach, link, model_fingerprint
from analytics.quarterly import RELEASE_COLUMNS, release_statistics, report_window
from analytics.trends import (
    CONFIDENCE,
    OVERDISPERSION_THRESHOLD,
    Family,
    period_change,
    trend_per_year,
)
from etl import reference
from etl.periods import last_complete_quarter, next_month
from etl.schema import metadata, out_analysis_run, out_series_member, ref_force
from etl.versions import incidents_known_through, last_file_id
from etl.warehouse import insert_frame

EVALUATE = {"month": 12, "quarter": 4}
FREQ = {"month": 12, "quarter": 4}
TREND_FAMILY: Family = "auto"
TREND_MIN_YEARS = 2
"""A trend needs two full years of a series (`trend_per_year`'s own default, made explicit so
the run records the number it used)."""


@dataclass
class Analysis:
    as_of: dt.date
    parameters: dict[str, object]
    tables: dict[str, pl.DataFrame]
    messages: list[str] = field(default_factory=list)


def knowledge_point(engine: Engine) -> int | None:
    """The last file loaded: read every input at it, so they agree with one another even
    while another process loads, and record it in the run."""
    with engine.connect() as conn:
        return last_file_id(conn)


def read_inputs(engine: Engine, known_through: int | None = None
                ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Incidents (the columns the models use, each incident's version current after file
    `known_through`; None: now) and forces, from the warehouse."""
    incident = incidents_known_through(known_through)
    with engine.connect() as conn:
        incidents = pl.read_database(
            select(incident.c.incident_id, incident.c.reported_date,
                   incident.c.force_id, incident.c.offence_group,
                   incident.c.channel, incident.c.is_duplicate),
            conn,
            schema_overrides={"reported_date": pl.Date, "is_duplicate": pl.Boolean},
        )
        forces = pl.read_database(select(ref_force), conn)
    return incidents.with_columns(pl.col("is_duplicate").cast(pl.Boolean)), forces


def read_link_inputs(engine: Engine, known_through: int | None = None) -> pl.DataFrame:
    """The canonical incidents linkage needs (a transferred copy is not a second crime)."""
    cols = ("incident_id", "force_id", "reported_date", "channel", "platform", "victim_id",
            "victim_role", "suspect_keys", "summary")
    incident = incidents_known_through(known_through)
    with engine.connect() as conn:
        frame = pl.read_database(
            select(*(incident.c[c] for c in cols)).where(
                incident.c.is_duplicate.is_(False)),
            conn,
            schema_overrides={"reported_date": pl.Date},
        )
    return frame


def read_release_inputs(engine: Engine, known_through: int | None = None) -> pl.DataFrame:
    """The canonical fields the quarterly release's statistics use (duplicates left out)."""
    incident = incidents_known_through(known_through)
    with engine.connect() as conn:
        return pl.read_database(
            select(*(incident.c[c] for c in RELEASE_COLUMNS)).where(
                incident.c.is_duplicate.is_(False)),
            conn,
            schema_overrides={"reported_date": pl.Date, "outcome_date": pl.Date},
            infer_schema_length=None,
        )


def read_stored_series(engine: Engine) -> tuple[int, pl.DataFrame] | None:
    """The series of the latest run that stored any (run id, incident_id + series_id), so a
    new run can attach new incidents to them instead of relinking everything."""
    with engine.connect() as conn:
        run_id = conn.execute(select(func.max(out_series_member.c.run_id))).scalar()
        if run_id is None:
            return None
        members = pl.read_database(
            select(out_series_member.c.incident_id, out_series_member.c.series_id).where(
                out_series_member.c.run_id == run_id), conn)
    return int(run_id), members


def default_as_of(incidents: pl.DataFrame) -> dt.date:
    latest = incidents["reported_date"].max()
    if latest is None:
        raise ValueError("the warehouse holds no incidents: run `plait ingest` first")
    return dt.date(latest.year, latest.month, 1)  # type: ignore[union-attr]


def denominators(forces: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Constituencies per force (2024 boundaries) and residents in millions where known."""
    seats = (
        reference.constituencies()
        .filter(pl.col("boundary_year") == 2024)
        .group_by("force_id").len("denominator")
        .with_columns(pl.col("denominator").cast(pl.Float64))
    )
    out = {"constituency": seats}
    population = reference.force_population()
    if population is not None:
        out["million_population"] = population.select(
            "force_id", (pl.col("population") / 1e6).alias("denominator"))
    return {k: v.join(forces.select("force_id"), on="force_id") for k, v in out.items()}


def compute(incidents: pl.DataFrame, forces: pl.DataFrame, as_of: dt.date | None = None,
            params: dict[str, FarringtonParams] | None = None,
            link_incidents: pl.DataFrame | None = None,
            stored_series: tuple[int, pl.DataFrame] | None = None,
            release_incidents: pl.DataFrame | None = None) -> Analysis:
    """Exceedances, trends, period changes, funnel and campaign ratios for one as-of month,
    and the cross-border series: relinked from scratch, or, given `stored_series` (a run id
    and its members), with new incidents attached to the stored series."""
    as_of = as_of or default_as_of(incidents)
    params = params or {"month": FarringtonParams.monthly(),
                        "quarter": FarringtonParams.quarterly()}
    first = incidents["reported_date"].min()
    if first is None:
        raise ValueError("the warehouse holds no incidents: run `plait ingest` first")
    upto = incidents.filter(pl.col("reported_date") < next_month(as_of))
    messages: list[str] = []
    tables: dict[str, list[pl.DataFrame]] = {"exceedance": [], "trend": [], "period_change": [],
                                             "quarter_count": []}
    lasts: dict[Frequency, dt.date] = {"month": as_of, "quarter": last_complete_quarter(as_of)}
    for freq in ("month", "quarter"):
        series = count_series(upto, forces, freq, first, lasts[freq])  # type: ignore[arg-type]
        keys = series.select("series_id", *SERIES_KEYS).unique("series_id")
        counts_file = as_counts(series, freq)  # type: ignore[arg-type]
        found = detect(counts_file, evaluate=EVALUATE[freq], params=params[freq])
        messages += [f"{freq}ly: {m}" for m in found.messages]
        labels = pl.DataFrame(
            {"period_date": series["period"], "period": counts_file["period"]}
        ).unique()
        exceed = (
            found.results.join(labels, on="period", how="left")
            .drop("period")
            .rename({"period_date": "period"})
        )
        tables["exceedance"].append(_tag(exceed, keys, freq))
        counts = series.select("series_id", "period", "count")
        if freq == "quarter":
            tables["quarter_count"] = [series.rename({"count": "incident_count"}).with_columns(
                pl.lit(freq).alias("frequency"))]
        trend = trend_per_year(counts, freq=FREQ[freq], family=TREND_FAMILY,
                               min_periods=TREND_MIN_YEARS * FREQ[freq])
        tables["trend"].append(_tag(trend, keys, freq))
        if freq == "month":
            tables["period_change"].append(
                _tag(period_change(counts, freq=12, as_of=as_of), keys, freq))

    year_start = next_month(as_of).replace(year=next_month(as_of).year - 1)
    last_year = upto.filter(pl.col("reported_date") >= year_start)
    reporting = forces.filter(pl.col("force_id").is_in(incidents["force_id"].unique().implode()))
    force_counts = (
        reporting.select("force_id")
        .join(last_year.filter(~pl.col("is_duplicate")).group_by("force_id").len("count"),
              on="force_id", how="left")
        .with_columns(pl.col("count").fill_null(0))
    )
    funnels = []
    for kind, denominator in denominators(reporting).items():
        funnels.append(funnel(force_counts.join(denominator.select("force_id"), on="force_id"),
                              denominator, per=kind).with_columns(  # type: ignore[arg-type]
            pl.lit(kind).alias("denominator_kind"), pl.lit(year_start).alias("first_period"),
            pl.lit(as_of).alias("last_period")))
    regional = upto.filter(~pl.col("is_duplicate")).join(
        forces.select("force_id", "police_region"), on="force_id", how="left")
    campaigns = pl.concat([
        campaign_rate_ratio(regional, None).with_columns(pl.lit("national").alias("level")),
        campaign_rate_ratio(regional, "police_region").with_columns(
            pl.lit("region").alias("level")),
    ], how="diagonal_relaxed")
    parameters: dict[str, object] = {
        "farrington": {k: dataclasses.asdict(v) for k, v in params.items()},
        "evaluate": EVALUATE,
        "funnel_window": [year_start.isoformat(), as_of.isoformat()],
        "trend": {"family": TREND_FAMILY, "freq": FREQ,
                  "min_periods": {k: TREND_MIN_YEARS * v for k, v in FREQ.items()},
                  "overdispersion_threshold": OVERDISPERSION_THRESHOLD,
                  "confidence": CONFIDENCE},
    }
    series_tables: dict[str, pl.DataFrame] = {}
    if link_incidents is not None:
        upto_links = link_incidents.filter(pl.col("reported_date") < next_month(as_of))
        model = LinkModel.load(MODEL_PATH)
        if stored_series is None:
            linked = link(upto_links, model)
            parameters["linkage_mode"] = "relinked"
        else:
            linked = attach(upto_links, stored_series[1], model)
            parameters["linkage_mode"] = f"attached to the series of run {stored_series[0]}"
        series_tables = {
            "series": linked.series.select(
                "series_id", pl.col("size").alias("incident_count"),
                pl.col("n_forces").alias("force_count"), "reason"),
            "series_member": linked.assignments,
        }
        parameters["linkage"] = model_fingerprint(MODEL_PATH)
    if release_incidents is not None:
        series_tables |= release_statistics(release_incidents, forces, as_of)
        parameters["release"] = {k: v.isoformat() for k, v in report_window(as_of).items()}
    return Analysis(
        as_of=as_of,
        parameters=parameters,
        tables=series_tables | {
            "quarter_count": pl.concat(tables["quarter_count"]),
            "exceedance": pl.concat(tables["exceedance"]),
            "trend": pl.concat(tables["trend"], how="diagonal_relaxed"),
            "period_change": pl.concat(tables["period_change"], how="diagonal_relaxed"),
            "funnel": pl.concat(funnels, how="diagonal_relaxed"),
            "campaign": campaigns,
        },
        messages=messages,
    )


def _tag(frame: pl.DataFrame, keys: pl.DataFrame, freq: str) -> pl.DataFrame:
    return frame.join(keys, on="series_id", how="left").with_columns(
        pl.lit(freq).alias("frequency"))


STORED_NAMES: dict[str, dict[str, str]] = {
    "exceedance": {"observed": "observed_count", "expected": "expected_count",
                   "upperbound": "upperbound_count", "alarm": "is_alarm"},
    "funnel": {"count": "observed_count", "outside95": "is_outside95",
               "outside998": "is_outside998"},
    "campaign": {"group": "unit"},
}
"""Column names of the in-memory tables that the warehouse spells differently."""
TABLE_NAMES = {"campaign": "campaign_rate_ratio"}
"""In-memory table names whose `out_` table is named differently."""


def as_stored(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """A computed table with the warehouse's column names (`out_<name>`), so code reading a
    stored run and code holding one in memory see the same frame."""
    renames = STORED_NAMES.get(name, {})
    return frame.rename({k: v for k, v in renames.items() if k in frame.columns})


def store(engine: Engine, analysis: Analysis, incident_count: int,
          known_through: int | None = None) -> int:
    """Write one run and all its tables in one transaction; returns the run id.

    `known_through` is the last file the inputs were read at (`knowledge_point`); the
    release of the run reads the warehouse at it too (`analytics.release.load_run`)."""
    if known_through is not None:
        analysis.parameters["known_through_file_id"] = known_through
    with engine.begin() as conn:
        run_id = conn.execute(
            insert(out_analysis_run).values(
                as_of_period=analysis.as_of,
                created_at=dt.datetime.now(dt.UTC),
                incident_count=incident_count,
                parameters=json.dumps(analysis.parameters, default=str),
            )
        ).inserted_primary_key[0]
        for name, frame in analysis.tables.items():
            target = metadata.tables[f"out_{TABLE_NAMES.get(name, name)}"]
            stored = as_stored(name, frame).with_columns(pl.lit(run_id).alias("run_id"))
            insert_frame(conn, target, stored.select(
                c for c in stored.columns if c in target.columns))
    return int(run_id)
