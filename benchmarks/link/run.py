"""Series linkage on `plait synth` truth: train the pair weights, or score the linkage.

  .venv/bin/python benchmarks/link/run.py train [--seed 101]   # writes data/models/linkage.json
  .venv/bin/python benchmarks/link/run.py score [--seed 7]     # appends to benchmarks/RESULTS.md

Incidents go through the real ETL (synth → ingest into a temporary SQLite warehouse), so
the model sees hashed keys and redacted text, as it will in production. Training uses a
different seed from scoring, so the scores are out of sample.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from machine import describe

from analytics.linkage import (
    THRESHOLD,
    LinkModel,
    _key_pairs,
    _prepare,
    candidate_pairs,
    link,
    train_model,
)
from analytics.linkage_metrics import score_partition
from etl.ingest import ingest_paths
from etl.schema import core_incident
from etl.synth import generate
from etl.warehouse import make_engine, migrate

ROOT = Path(__file__).resolve().parents[2]


def labelled_incidents(seed: int, scale: float = 1.0) -> pl.DataFrame:
    """Canonical incidents from the warehouse with the generator's series as `true_series`."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "synth"
        generate(out, seed=seed, scale=scale)
        engine = make_engine(f"sqlite:///{Path(tmp) / 'w.db'}")
        migrate(engine)
        ingest_paths([out], engine, b"link-key")
        with engine.connect() as conn:
            incidents = pl.read_database(core_incident.select(), conn,
                                         infer_schema_length=None)
        engine.dispose()
        truth = pl.read_csv(out / "truth" / "incidents.csv", infer_schema=False)
    truth = truth.select(
        pl.concat_str("force_id", pl.lit(":"), "force_ref").alias("incident_id"), "series_id"
    ).unique("incident_id")
    return (
        incidents.filter(~pl.col("is_duplicate").cast(pl.Boolean))
        .join(truth, on="incident_id", how="left")
        .with_columns(pl.coalesce("series_id", pl.col("incident_id")).alias("true_series"))
    )


def train(seed: int) -> None:
    incidents = labelled_incidents(seed)
    frame = _prepare(incidents)
    pairs = candidate_pairs(frame)
    truth = frame.select("idx", "true_series")
    labelled = pairs.join(truth, left_on="left", right_on="idx").join(
        truth, left_on="right", right_on="idx", suffix="_r")
    same = labelled["true_series"] == labelled["true_series_r"]
    model = train_model(labelled, same)
    best = (0.0, THRESHOLD)
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        found = link(incidents, model, threshold=threshold).assignments
        f1 = score_partition(incidents.select("incident_id", "force_id", "true_series").join(
            found.rename({"series_id": "predicted_series"}), on="incident_id")).pair_f1
        print(f"  threshold {threshold}: pairwise F1 {f1:.3f} on the training seed")
        best = max(best, (f1, threshold))
    model = LinkModel(model.intercept, model.weights, best[1])
    model.save()
    print(f"trained on {labelled.height:,} candidate pairs ({int(same.sum()):,} linked), "
          f"seed {seed}: {model}")


def exact_key_baseline(incidents: pl.DataFrame) -> pl.DataFrame:
    """Baseline (i) of the notes: union-find over incidents sharing any exact suspect key."""
    frame = _prepare(incidents)
    pairs = _key_pairs(frame)
    n = frame.height
    graph = csr_matrix((np.ones(pairs.height), (pairs["left"].to_numpy(),
                                                 pairs["right"].to_numpy())), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return pl.DataFrame({"incident_id": frame["incident_id"],
                         "series_id": [f"component:{x}" for x in labels]})


def score(seed: int) -> None:
    incidents = labelled_incidents(seed)
    start = time.perf_counter()
    result = link(incidents, LinkModel.load())
    seconds = time.perf_counter() - start
    frame = incidents.select("incident_id", "force_id", "true_series").join(
        result.assignments.rename({"series_id": "predicted_series"}), on="incident_id")
    s = score_partition(frame)
    start = time.perf_counter()
    baseline = exact_key_baseline(incidents)
    baseline_seconds = time.perf_counter() - start
    b = score_partition(incidents.select("incident_id", "force_id", "true_series").join(
        baseline.rename({"series_id": "predicted_series"}), on="incident_id"))
    lines = [
        "",
        f"## link — {dt.datetime.now(dt.UTC):%a %d %b %Y %H:%M UTC}",
        "",
        f"- machine: {describe()}",
        f"- data: `plait synth --seed {seed}` through ingest: {incidents.height:,} incidents, "
        f"{s.true_pairs:,} true pairs ({s.cross_force_pairs:,} across forces); model trained "
        "on another seed",
        "",
        "| method | pairwise P | R | F1 | B³ P | B³ R | B³ F1 | cross-force recall | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m, sec in (("plait link", s, seconds),
                         ("union-find on exact suspect keys", b, baseline_seconds)):
        lines.append(
            f"| {name} | {m.pair_precision:.3f} | {m.pair_recall:.3f} | {m.pair_f1:.3f} | "
            f"{m.bcubed_precision:.3f} | {m.bcubed_recall:.3f} | {m.bcubed_f1:.3f} | "
            f"{m.cross_force_recall:.3f} | {sec:.1f} |")
    lines += ["", "Splink 5 (the second baseline of the issue) is not run yet."]
    text = "\n".join(lines) + "\n"
    print(text)
    with (ROOT / "benchmarks" / "RESULTS.md").open("a") as fh:
        fh.write(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["train", "score"])
    parser.add_argument("--seed", type=int)
    args = parser.parse_args()
    if args.mode == "train":
        train(args.seed or 101)
    else:
        score(args.seed or 7)


if __name__ == "__main__":
    main()
