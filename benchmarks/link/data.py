"""Labelled canonical incidents for the linkage benchmarks, built once per (seed, scale).

Incidents go through the real ETL (synth → ingest into a temporary SQLite warehouse), so
the model sees hashed keys and redacted text, as it will in production. The result is kept
as Parquet under `benchmarks/link/.cache/` (ignored by git): building 1M incidents takes
minutes, linking them is what the benchmark times.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from etl.ingest import ingest_paths
from etl.schema import core_incident
from etl.synth import generate
from etl.warehouse import make_engine, migrate

CACHE = Path(__file__).resolve().parent / ".cache"
KEY = b"link-key"


def labelled_incidents(seed: int, scale: float = 1.0, cache: bool = True) -> pl.DataFrame:
    """Canonical incidents (not the closed transfer records) with the generator's series as
    `true_series`; an incident in no planted series is its own series."""
    path = CACHE / f"seed{seed}_scale{scale:g}.parquet"
    if cache and path.exists():
        return pl.read_parquet(path)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "synth"
        started = time.perf_counter()
        generate(out, seed=seed, scale=scale)
        print(f"  synth seed {seed} scale {scale:g}: {time.perf_counter() - started:.0f} s",
              file=sys.stderr)
        engine = make_engine(f"sqlite:///{Path(tmp) / 'w.db'}")
        migrate(engine)
        started = time.perf_counter()
        ingest_paths([out], engine, KEY)
        print(f"  ingest: {time.perf_counter() - started:.0f} s", file=sys.stderr)
        with engine.connect() as conn:
            incidents = pl.read_database(core_incident.select(), conn,
                                         infer_schema_length=None)
        engine.dispose()
        truth = pl.read_csv(out / "truth" / "incidents.csv", infer_schema=False)
    truth = truth.select(
        pl.concat_str("force_id", pl.lit(":"), "force_ref").alias("incident_id"), "series_id"
    ).unique("incident_id")
    labelled = (
        incidents.filter(~pl.col("is_duplicate").cast(pl.Boolean))
        .join(truth, on="incident_id", how="left")
        .with_columns(pl.coalesce("series_id", pl.col("incident_id")).alias("true_series"))
    )
    if cache:
        CACHE.mkdir(parents=True, exist_ok=True)
        labelled.write_parquet(path)
    return labelled


if __name__ == "__main__":
    for arg in sys.argv[2:]:
        frame = labelled_incidents(int(sys.argv[1]), float(arg))
        print(f"seed {sys.argv[1]} scale {arg}: {frame.height:,} incidents")
