"""Series linkage across synthetic styles: quality against two baselines, and scale.

  .venv/bin/python benchmarks/link/run.py prior --style a      # EM's start from a dev seed
  .venv/bin/python benchmarks/link/run.py score                # both styles, three methods
  .venv/bin/python benchmarks/link/run.py scale                # 10k, 100k, 1M of each style

Protocol (issue 11; benchmarks/link/README.md has the record of which data chose what):
- `plait synth --style a` and `--style b` were written apart; each breaks the other's
  conventions. Development seed 101 of a style is where rules may be looked at; seed 7 of
  each style is for measurement only and chose nothing.
- Linking a style uses a prior fitted on the *other* style's development seed (`prior`):
  designed and fitted on one, measured on the other, both ways. m and u themselves are
  always re-estimated by EM on the data being linked.
- Every method runs on the same incidents in the same run: `plait link`, union-find on
  exact suspect keys (baseline i of shared/notes/series-linkage.md) and Splink 5 on DuckDB,
  EM-trained on the same fields (`splink_baseline.py`; `pip install -e '.[bench]'`).
- `score` and `scale` write their sections of benchmarks/RESULTS.md themselves, replacing
  the sections an earlier run of the same kind wrote (stale figures do not stay).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import math
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import CACHE, WAREHOUSE_SCALE_LIMIT, labelled_incidents
from machine import describe

from analytics.linkage import MODEL_PATH, LinkModel, link
from analytics.linkage_evidence import key_table, prepare
from analytics.linkage_metrics import LinkScores, score_partition

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
DEV_SEED = 101
EVAL_SEED = 7
OTHER = {"a": "b", "b": "a"}
# Scales giving about 10,000, 100,000 and 1,000,000 incidents (style b writes more per
# unit of scale: its mass events come on top of the volumes).
SCALES = {"a": (2.1, 21.0, 209.0), "b": (1.9, 19.0, 190.0)}
# A key held by more incidents than this is skipped by the union-find baseline (a shared
# office number or a hashed "unknown" would otherwise join everything).
BASELINE_MAX_KEY = 200


def prior_path(style: str) -> Path:
    return CACHE / f"prior_style{style}_seed{DEV_SEED}.json"


def _scores(incidents: pl.DataFrame, found: pl.DataFrame) -> LinkScores:
    return score_partition(incidents.select("incident_id", "force_id", "true_series").join(
        found.select("incident_id", pl.col("series_id").alias("predicted_series")),
        on="incident_id"))


def fit_prior(style: str, ship: bool) -> None:
    """EM on the development seed of `style`, started from the shipped model; its m (and
    the starting u) become the prior for linking the other style."""
    incidents = labelled_incidents(DEV_SEED, style=style)
    base = LinkModel.load()
    result = link(incidents.drop("true_series", "series_id"), base)
    assert result.parameters is not None
    fitted = result.parameters
    model = LinkModel(type(fitted)(fitted.m, base.start.u, base.start.match_share),
                      base.prior_strength, base.threshold,
                      {"start_from": f"m fitted by EM on plait synth --style {style} --seed "
                                     f"{DEV_SEED} (benchmarks/link/run.py prior); u and λ are "
                                     "always re-estimated on the data being linked"})
    CACHE.mkdir(parents=True, exist_ok=True)
    model.save(prior_path(style))
    if ship:
        model.save(MODEL_PATH)
    s = _scores(incidents, result.assignments)
    print(f"prior from style {style} seed {DEV_SEED}: pairwise F1 {s.pair_f1:.3f} there; "
          f"saved {prior_path(style)}" + (f" and {MODEL_PATH}" if ship else ""))


def model_for(style: str) -> LinkModel:
    """The prior designed on the other style (fitted first if missing)."""
    path = prior_path(OTHER[style])
    if not path.exists():
        fit_prior(OTHER[style], ship=False)
    return LinkModel.load(path)


def exact_key_baseline(incidents: pl.DataFrame) -> pl.DataFrame:
    """Baseline (i): union-find over incidents sharing any exact suspect key held by at most
    BASELINE_MAX_KEY incidents."""
    frame = prepare(incidents)
    keys = key_table(frame).with_columns(pl.len().over("key").alias("n")).filter(
        pl.col("n").is_between(2, BASELINE_MAX_KEY)).with_columns(
        pl.col("idx").first().over("key").alias("first"))
    n = frame.height
    graph = csr_matrix((np.ones(keys.height), (keys["idx"].to_numpy().astype(np.int64),
                                                keys["first"].to_numpy().astype(np.int64))),
                       shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return pl.DataFrame({"incident_id": frame["incident_id"],
                         "series_id": [f"component:{x}" for x in labels]})


def _replace_sections(kind: str, lines: list[str]) -> None:
    """Write a section of RESULTS.md, removing earlier sections of the same kind (their
    headings start `## link <kind>` or are the old `## link —` form)."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    parts = re.split(r"(?m)^(?=## )", text)
    stale = re.compile(rf"^## link (?:{kind}\b|— )")
    kept = [p for p in parts if not stale.match(p)]
    body = "".join(kept).rstrip("\n") + "\n"
    new = "\n".join(lines).strip("\n") + "\n"
    RESULTS.write_text(body + "\n" + new)
    print(new)


PROTOCOL = ("protocol: each style is linked with a prior fitted on the other style's "
            f"development seed {DEV_SEED}; seed {EVAL_SEED} chose nothing (benchmarks/link/"
            "README.md); m and u are re-estimated by EM on the data linked")


def score(seed: int, scale: float) -> None:
    lines = [f"## link quality — {dt.datetime.now(dt.UTC):%a %d %b %Y %H:%M UTC}", "",
             f"- machine: {describe()}", f"- {PROTOCOL}",
             "- Splink 5: DuckDB, EM-trained on the same fields (benchmarks/link/"
             "splink_baseline.py), threshold 0.5 as chosen there", ""]
    for style in ("a", "b"):
        incidents = labelled_incidents(seed, scale, style=style)
        bare = incidents.drop("true_series", "series_id")
        methods: list[tuple[str, pl.DataFrame, float]] = []
        start = time.perf_counter()
        result = link(bare, model_for(style))
        methods.append((f"plait link (prior from style {OTHER[style]})", result.assignments,
                        time.perf_counter() - start))
        start = time.perf_counter()
        methods.append(("union-find on exact suspect keys", exact_key_baseline(bare),
                        time.perf_counter() - start))
        try:
            from splink_baseline import splink_link
        except ImportError as exc:
            note = f"Splink 5 not run: {exc} (install with `pip install -e '.[bench]'`)."
        else:
            note = ""
            start = time.perf_counter()
            methods.append(("Splink 5 (DuckDB), same fields, EM-trained",
                            splink_link(bare, 0.5), time.perf_counter() - start))
        first = _scores(incidents, result.assignments)
        lines += [f"### style {style}: `plait synth --style {style} --seed {seed} --scale "
                  f"{scale:g}` through ingest", "",
                  f"{incidents.height:,} incidents, {first.true_pairs:,} true pairs "
                  f"({first.cross_force_pairs:,} across forces)", "",
                  "| method | pairwise P | R | F1 | B³ F1 | cross-force recall | seconds |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for name, found, seconds in methods:
            m = _scores(incidents, found)
            lines.append(f"| {name} | {m.pair_precision:.3f} | {m.pair_recall:.3f} | "
                         f"{m.pair_f1:.3f} | {m.bcubed_f1:.3f} | {m.cross_force_recall:.3f} | "
                         f"{seconds:.1f} |")
        others = [_scores(incidents, f).pair_f1 for _, f, _ in methods[1:]]
        met = (first.pair_f1 >= 0.90 and first.cross_force_recall >= 0.85
               and all(first.pair_f1 > o for o in others))
        lines += ["", "Goal (pairwise F1 ≥ 0.90, cross-force recall ≥ 0.85, above both "
                  f"baselines): {'met' if met else 'not met'}."]
        if note:
            lines += ["", note]
        lines.append("")
    _replace_sections("quality", lines)


def _one_size(seed: int, scale: float, style: str, peer: bool) -> dict[str, float]:
    """Link one data set in this process: time, quality and peak memory; with `peer`, then
    Splink on it too (its time and F1; its memory is not separable)."""
    import resource

    incidents = labelled_incidents(seed, scale, style=style)
    bare = incidents.drop("true_series", "series_id")
    model = model_for(style)
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    result = link(bare, model)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    peak = after.ru_maxrss
    s = _scores(incidents, result.assignments)
    row = {"incidents": incidents.height, "seconds": seconds, "cpu_seconds": cpu,
           "peak_mb": peak / 1024,
           "pairs": result.pairs.height, "f1": s.pair_f1, "bcubed_f1": s.bcubed_f1,
           "cross_force_recall": s.cross_force_recall}
    if peer:
        from splink_baseline import splink_link

        start = time.perf_counter()
        found = splink_link(bare)
        row["splink_seconds"] = time.perf_counter() - start
        row["splink_f1"] = _scores(incidents, found).pair_f1
    return row


def scale(seed: int, styles: list[str], peer_up_to: float, up_to: float,
          built_only: bool = False) -> None:
    lines = [f"## link scale — {dt.datetime.now(dt.UTC):%a %d %b %Y %H:%M UTC}", "",
             f"- machine: {describe()}", f"- {PROTOCOL}",
             f"- data: `plait synth --style S --seed {seed} --scale X` through ingest (above "
             f"scale {WAREHOUSE_SCALE_LIMIT}, mapped as ingest maps it without loading; see "
             "data.py); each size linked in a fresh process (peak memory is that process's "
             "maximum resident set, data included); Splink runs after plait link in the same "
             "process, so its memory is not reported; CPU seconds (user + system) show how much "
             "of the wall time the process had on a machine shared with other jobs",
             "- goal: 1M incidents in ≤ 120 s, log–log slope of time ≤ 1.2, pairwise F1 at 1M "
             "within 0.05 of F1 at 10k", ""]
    for style in styles:
        rows = []
        skipped = []
        for s in (x for x in SCALES[style] if x <= up_to):
            if built_only and not (CACHE / f"style{style}_seed{seed}_scale{s:g}.parquet"
                                   ).exists():
                skipped.append(s)
                continue
            labelled_incidents(seed, s, style=style)  # build the cache outside the timing
            peer = ["--peer"] if s <= peer_up_to else []
            out = subprocess.run(
                [sys.executable, __file__, "one", "--seed", str(seed), "--scale", str(s),
                 "--style", style, *peer], check=True, capture_output=True, text=True, cwd=ROOT)
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(rows[-1], file=sys.stderr)
        lines += [f"### style {style}", "",
                  "| incidents | candidate pairs | seconds | CPU seconds | peak memory (MB) | "
                  "pairwise F1 | B³ F1 | cross-force recall | Splink 5 seconds | Splink 5 F1 |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in rows:
            peer = (f"{r['splink_seconds']:.1f} | {r['splink_f1']:.3f}"
                    if "splink_seconds" in r else "not run | not run")
            lines.append(f"| {r['incidents']:,} | {r['pairs']:,} | {r['seconds']:.1f} | "
                         f"{r['cpu_seconds']:.1f} | {r['peak_mb']:,.0f} | {r['f1']:.3f} | "
                         f"{r['bcubed_f1']:.3f} | "
                         f"{r['cross_force_recall']:.3f} | {peer} |")

        def slope(a: dict[str, float], b: dict[str, float], what: str) -> float:
            return (math.log(b[what]) - math.log(a[what])) / (
                math.log(b["incidents"]) - math.log(a["incidents"]))

        lines += [f"| scale {x:g} | not run: data not built | | | | | | | | |" for x in skipped]
        lines.append("")
        spans = list(itertools.pairwise(rows)) + ([(rows[0], rows[-1])] if len(rows) > 2
                                                   else [])
        for a, b in spans:
            lines.append(f"- log–log slope from {a['incidents']:,} to {b['incidents']:,} "
                         f"incidents: time {slope(a, b, 'seconds'):.2f}, candidate pairs "
                         f"{slope(a, b, 'pairs'):.2f}")
        if len(rows) >= 2:
            big, small = rows[-1], rows[0]
            met = (big["seconds"] <= 120 and slope(small, big, "seconds") <= 1.2
                   and big["f1"] >= small["f1"] - 0.05)
            lines += [f"- goal at {big['incidents']:,}: {'met' if met else 'not met'} "
                      f"({big['seconds']:.0f} s; F1 {big['f1']:.3f} against {small['f1']:.3f} "
                      f"at {small['incidents']:,})"]
        lines.append("")
    _replace_sections("scale", lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["prior", "score", "scale", "one"])
    parser.add_argument("--style", default="a", choices=["a", "b"])
    parser.add_argument("--styles", nargs="+", default=["a", "b"], choices=["a", "b"])
    parser.add_argument("--seed", type=int, default=EVAL_SEED)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--ship", action="store_true",
                        help="prior: also write it as analytics/models/linkage.json")
    parser.add_argument("--peer", action="store_true", help="one: run Splink on it too")
    parser.add_argument("--peer-up-to", type=float, default=2.1,
                        help="scale: run Splink on the sizes up to this scale")
    parser.add_argument("--up-to", type=float, default=1e9,
                        help="scale: only the sizes up to this scale")
    parser.add_argument("--built-only", action="store_true",
                        help="scale: skip sizes whose data is not built yet (said so)")
    args = parser.parse_args()
    if args.mode == "prior":
        fit_prior(args.style, args.ship)
    elif args.mode == "score":
        score(args.seed, args.scale)
    elif args.mode == "scale":
        scale(args.seed, args.styles, args.peer_up_to, args.up_to, args.built_only)
    else:
        print(json.dumps(_one_size(args.seed, args.scale, args.style, args.peer)))


if __name__ == "__main__":
    main()
