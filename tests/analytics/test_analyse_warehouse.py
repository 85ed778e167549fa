"""`plait analyse` end to end: synth → ingest → analyse, stored alike on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from analytics.analyse import Analysis, compute, read_inputs, store
from analytics.linkage import MODEL_PATH
from dashboards.cli import app
from etl.ingest import ingest_paths
from etl.schema import (
    core_incident,
    out_analysis_run,
    out_exceedance,
    out_funnel,
    out_series_member,
    out_trend,
)
from etl.synth import generate
from etl.warehouse import make_engine, migrate
from tests.conftest import TEST_KEY

pytestmark = pytest.mark.integration
TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def synth_warehouse(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("synth")
    generate(out, seed=5, scale=0.6)
    url = f"sqlite:///{tmp_path_factory.mktemp('wh') / 'warehouse.db'}"
    engine = make_engine(url)
    migrate(engine)
    ingest_paths([out], engine, TEST_KEY, today=TODAY)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def analysis(synth_warehouse: str) -> tuple[Analysis, int]:
    engine = make_engine(synth_warehouse)
    incidents, forces = read_inputs(engine)
    engine.dispose()
    return compute(incidents, forces, as_of=dt.date(2026, 6, 1)), incidents.height


def _read(engine: Engine, table) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return pl.read_database(select(table), conn, infer_schema_length=None)


def test_every_series_is_evaluated_for_the_as_of_window(analysis: tuple[Analysis, int]) -> None:
    result, _ = analysis
    exceed = result.tables["exceedance"]
    monthly = exceed.filter(pl.col("frequency") == "month")
    quarterly = exceed.filter(pl.col("frequency") == "quarter")
    n_series = monthly["series_id"].n_unique()
    assert n_series > 1000
    assert monthly.height == n_series * 12
    assert monthly["period"].max() == dt.date(2026, 6, 1)
    assert quarterly["period"].max() == dt.date(2026, 4, 1)
    assert quarterly.height == quarterly["series_id"].n_unique() * 4
    national = monthly.filter(pl.col("series_id") == "national:all|all:all")
    assert set(national["method"]) == {"farrington"}
    assert national["upperbound"].is_not_null().all()
    assert (national["alarm"] == (national["observed"] > national["upperbound"])).all()


def test_trend_and_changes_cover_every_series(analysis: tuple[Analysis, int]) -> None:
    result, _ = analysis
    trend = result.tables["trend"].filter(pl.col("series_id") == "national:all|all:all")
    monthly = trend.filter(pl.col("frequency") == "month").row(0, named=True)
    assert monthly["change_per_year"] > 1  # the generator's volumes rise over the decade
    assert monthly["ci_low"] < monthly["change_per_year"] < monthly["ci_high"]
    changes = result.tables["period_change"]
    assert set(changes["comparison"]) == {"quarter_on_quarter", "year_on_year"}
    campaign = result.tables["campaign"].filter(pl.col("level") == "national").row(0, named=True)
    assert campaign["rate_ratio"] > 1  # campaigns raise reports in the generator


def test_stored_alike_on_sqlite_and_postgresql(analysis: tuple[Analysis, int],
                                               warehouse_url: str) -> None:
    result, count = analysis
    engine = make_engine(warehouse_url)
    migrate(engine)
    run_id = store(engine, result, incident_count=count)
    run = _read(engine, out_analysis_run).row(0, named=True)
    assert run["run_id"] == run_id
    assert str(run["as_of_period"])[:7] == "2026-06"
    params = json.loads(run["parameters"])
    assert params["farrington"]["month"]["b"] == 5
    assert params["farrington"]["month"]["w"] == 1
    assert params["trend"]["family"] == "auto"
    assert params["trend"]["min_periods"] == {"month": 24, "quarter": 8}
    stored = _read(engine, out_exceedance).sort("series_id", "frequency", "period")
    expected = result.tables["exceedance"].sort("series_id", "frequency", "period")
    assert stored.height == expected.height
    assert stored["is_alarm"].cast(pl.Boolean).to_list() == expected["alarm"].to_list()
    assert stored["upperbound_count"].to_list() == expected["upperbound"].to_list()
    assert _read(engine, out_trend).height == result.tables["trend"].height
    assert _read(engine, out_funnel).height == result.tables["funnel"].height
    engine.dispose()


def test_plait_analyse_command(synth_warehouse: str, tmp_path: Path) -> None:
    db = tmp_path / "copy.db"
    db.write_bytes(Path(synth_warehouse.removeprefix("sqlite:///")).read_bytes())
    result = CliRunner().invoke(app, ["analyse", "--db", f"sqlite:///{db}", "--as-of",
                                      "2026-03"])
    assert result.exit_code == 0, result.output
    assert "as of 2026-03" in result.output
    engine = make_engine(f"sqlite:///{db}")
    members = _read(engine, out_series_member)
    incidents = _read(engine, core_incident)
    run = _read(engine, out_analysis_run).row(0, named=True)
    engine.dispose()
    linkage = json.loads(run["parameters"])["linkage"]
    assert linkage["sha256"] == hashlib.sha256(MODEL_PATH.read_bytes()).hexdigest()
    assert linkage["threshold"] == json.loads(MODEL_PATH.read_text())["threshold"]
    assert linkage["path"] == "analytics/models/linkage.json"
    kept = incidents.filter(~pl.col("is_duplicate").cast(pl.Boolean)
                            & (pl.col("reported_date").cast(pl.String) < "2026-04"))
    assert sorted(members["incident_id"].to_list()) == sorted(kept["incident_id"].to_list())
    bad = CliRunner().invoke(app, ["analyse", "--db", f"sqlite:///{db}", "--as-of", "March"])
    assert bad.exit_code == 2


def test_a_later_run_attaches_to_stored_series(synth_warehouse: str, tmp_path: Path) -> None:
    """Run 1 as of 2025-12, run 2 as of 2026-06: incidents of run 1 keep their series and
    the run says so; `--relink` rebuilds them."""
    db = tmp_path / "copy.db"
    db.write_bytes(Path(synth_warehouse.removeprefix("sqlite:///")).read_bytes())
    url = f"sqlite:///{db}"
    for as_of in ("2025-12", "2026-06"):
        result = CliRunner().invoke(app, ["analyse", "--db", url, "--as-of", as_of])
        assert result.exit_code == 0, result.output
    engine = make_engine(url)
    members = _read(engine, out_series_member)
    runs = _read(engine, out_analysis_run).sort("run_id")
    first, second = members.partition_by("run_id", maintain_order=True)
    assert second.height > first.height
    kept = first.join(second, on="incident_id", suffix="_later")
    assert kept.height == first.height
    assert (kept["series_id"] == kept["series_id_later"]).all()
    assert "attached to the series of run" in runs["parameters"].cast(pl.String)[-1]
    result = CliRunner().invoke(app, ["analyse", "--db", url, "--as-of", "2026-06",
                                      "--relink"])
    assert result.exit_code == 0, result.output
    runs = _read(engine, out_analysis_run).sort("run_id")
    engine.dispose()
    assert '"relinked"' in runs["parameters"].cast(pl.String)[-1]
