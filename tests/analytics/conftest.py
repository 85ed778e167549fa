"""Shared fixtures for the analytics tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from etl.ingest import ingest_paths
from etl.schema import core_incident
from etl.synth import generate
from etl.warehouse import make_engine, migrate
from tests.conftest import TEST_KEY


@pytest.fixture(scope="session")
def planted(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    """`plait synth --seed 7` through the real ingest: hashed keys and redacted text, as the
    model meets them in production, with the generator's series as `true_series` (an
    incident in no planted series is its own)."""
    out = tmp_path_factory.mktemp("synth")
    generate(out, seed=7)
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('wh') / 'w.db'}")
    migrate(engine)
    ingest_paths([out], engine, TEST_KEY, today=dt.date(2026, 11, 28))
    with engine.connect() as conn:
        incidents = pl.read_database(core_incident.select(), conn, infer_schema_length=None)
    engine.dispose()
    truth = pl.read_csv(Path(out) / "truth" / "incidents.csv", infer_schema=False).select(
        pl.concat_str("force_id", pl.lit(":"), "force_ref").alias("incident_id"), "series_id"
    ).unique("incident_id")
    return (
        incidents.filter(~pl.col("is_duplicate").cast(pl.Boolean))
        .join(truth, on="incident_id", how="left")
        .with_columns(pl.coalesce("series_id", "incident_id").alias("true_series"))
        .drop("series_id")
    )
