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


# Above this scale the extracts are mapped without a warehouse (see `_mapped_only`).
WAREHOUSE_SCALE_LIMIT = 50


def labelled_incidents(seed: int, scale: float = 1.0, cache: bool = True,
                       style: str = "a") -> pl.DataFrame:
    """Canonical incidents (not the closed transfer records) of `plait synth --style STYLE`
    with the generator's series as `true_series`; an incident in no planted series is its
    own series."""
    path = CACHE / f"style{style}_seed{seed}_scale{scale:g}.parquet"
    if cache and path.exists():
        return pl.read_parquet(path)
    if scale > WAREHOUSE_SCALE_LIMIT:
        labelled = _mapped_only(seed, scale, style)
        if cache:
            CACHE.mkdir(parents=True, exist_ok=True)
            labelled.write_parquet(path)
        return labelled
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "synth"
        started = time.perf_counter()
        generate(out, seed=seed, scale=scale, style=style)
        print(f"  synth style {style} seed {seed} scale {scale:g}: "
              f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
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


def _mapped_only(seed: int, scale: float, style: str = "a", chunk: int = 20_000
                 ) -> pl.DataFrame:
    """The million-incident set: each extract read and mapped as ingest maps it (same
    validation, redaction and keyed hashes), but not loaded, and in chunks of `chunk` rows.

    Two costs of `plait ingest` that grow faster than the rows are avoided: transfers are
    linked against every stored incident (here the closed transfer records it would mark
    are dropped by their outcome instead), and redaction looks for every name of the file in
    every row, so a 200,000-row extract is slow (here each chunk looks for its own names).
    The synthetic extracts are kept under .cache, since they take minutes to write."""
    from etl.force_return import to_canonical
    from etl.ingest import _within_file, read_force_return
    from etl.mapping import all_mappings

    out = CACHE / f"synth-style{style}-seed{seed}-scale{scale:g}"
    if not (out / "truth" / "incidents.csv").exists():
        started = time.perf_counter()
        generate(out, seed=seed, scale=scale, style=style)
        print(f"  synth seed {seed} scale {scale:g}: {time.perf_counter() - started:.0f} s",
              file=sys.stderr)
    started = time.perf_counter()
    mappings = {m.force_id: m for m in all_mappings()}
    frames = []
    for file in sorted(out.glob("*_*_*.*")):
        mapping = mappings[file.name.split("_", 1)[0]]
        raw = read_force_return(file, mapping, file.read_bytes())
        for offset in range(0, raw.height, chunk):
            accepted, _ = _within_file(to_canonical(raw.slice(offset, chunk), mapping, KEY))
            frames.append(accepted)
    print(f"  mapped: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    truth = pl.read_csv(out / "truth" / "incidents.csv", infer_schema=False)
    incidents = pl.concat(frames, how="diagonal_relaxed").filter(
        pl.col("outcome").fill_null("") != "transferred")
    truth = truth.select(
        pl.concat_str("force_id", pl.lit(":"), "force_ref").alias("incident_id"), "series_id"
    ).unique("incident_id")
    return incidents.join(truth, on="incident_id", how="left").with_columns(
        pl.coalesce("series_id", pl.col("incident_id")).alias("true_series"))


if __name__ == "__main__":
    for arg in sys.argv[3:]:
        frame = labelled_incidents(int(sys.argv[2]), float(arg), style=sys.argv[1])
        print(f"style {sys.argv[1]} seed {sys.argv[2]} scale {arg}: {frame.height:,} incidents")
