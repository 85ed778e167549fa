"""Whole-process time of `plait --help` and `plait detect`, against R's `surveillance`.

Run: .venv/bin/python benchmarks/startup/run.py [--series 200] [--runs 7] [--r-runs 2]
(`make bench-startup`). What a user waits for is the whole process: interpreter start,
imports, reading the file, the work and writing the result. The counts are real `plait`
output: `plait synth --seed 7` (2016-01..2026-09) through ingest into a fresh SQLite file,
its monthly count series (national, region, force × all, offence group, channel) as a
counts file, the first `--series` of them by series id. `plait detect` (improved Farrington,
monthly defaults, last 12 months) and an R script doing the same with
`surveillance::farringtonFlexible` (same control parameters, reading and writing CSV
files) each run as a fresh process from a temporary directory outside the repository; the
median and the fastest of the runs are kept, and the two agree on every alarm or the
disagreements are counted. Without `Rscript` the R column says so. The section is appended to
benchmarks/RESULTS.md with the machine, the data size, the date and the load average (the
machine is shared: the fastest run is the least disturbed one).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from machine import describe

from analytics.analyse import read_inputs
from analytics.count_series import as_counts, count_series
from etl.ingest import ingest_paths
from etl.synth import generate
from etl.warehouse import make_engine, migrate

ROOT = Path(__file__).resolve().parents[2]
PLAIT = Path(sys.executable).with_name("plait")
R_SCRIPT = """
suppressMessages(library(surveillance))
args <- commandArgs(TRUE)
d <- read.csv(args[1], colClasses = c("character", "character", "numeric"))
out <- list()
for (id in unique(d$series_id)) {
  rows <- d[d$series_id == id, ]
  y <- rows$count
  start <- as.integer(strsplit(rows$period[1], "-")[[1]])
  s <- sts(observed = matrix(y, ncol = 1), frequency = 12, start = start)
  n <- length(y)
  r <- suppressWarnings(farringtonFlexible(s, list(range = (n - 11):n, b = 5, w = 1,
    noPeriods = 10, pastWeeksNotIncluded = 6, weightsThreshold = 2.58, pThresholdTrend = 1,
    thresholdMethod = "nbPlugin", alpha = 0.05)))
  out[[id]] <- data.frame(series_id = id, period = rows$period[(n - 11):n],
    upperbound = as.vector(upperbound(r)), alarm = tolower(as.vector(alarms(r))))
}
write.csv(do.call(rbind, out), args[2], row.names = FALSE)
"""


def counts_file(path: Path, n_series: int, seed: int) -> pl.DataFrame:
    """The first `n_series` monthly count series of a synthetic sample, written to `path`."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "synth"
        generate(out, seed=seed)
        engine = make_engine(f"sqlite:///{Path(tmp) / 'warehouse.db'}")
        migrate(engine)
        ingest_paths([out], engine, b"bench-key")
        incidents, forces = read_inputs(engine)
        engine.dispose()
    last = incidents["reported_date"].max()
    series = count_series(incidents, forces, "month", dt.date(2016, 1, 1),
                          dt.date(last.year, last.month, 1))  # type: ignore[union-attr]
    counts = as_counts(series, "month")
    ids = counts["series_id"].unique().sort().head(n_series)
    chosen = counts.filter(pl.col("series_id").is_in(ids.implode())).sort("series_id", "period")
    chosen.select("series_id", "period", "count").write_csv(path)
    return chosen


def timed(command: list[str], cwd: Path, runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (user + system) seconds of `runs` fresh processes.

    CPU time is kept beside wall time because the machine is shared: another job stretches
    the wall clock of a run, much less its CPU time."""
    wall, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
        wall.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall, cpu


def import_seconds(cwd: Path) -> float:
    """Seconds `plait detect` spends importing (the sum of `-X importtime`'s top level)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "dashboards.cli", "detect",
         "--counts", "counts.csv", "--out", "plait.csv"],
        cwd=cwd, check=True, capture_output=True, text=True)
    total = 0
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.split("|")
            if not name.startswith("  ") and cumulative.strip().isdigit():
                total += int(cumulative)
    return total / 1e6


def alarm_agreement(ours: Path, theirs: Path) -> tuple[int, int]:
    """(points where plait and R raise the same alarm, points compared)."""
    a = pl.read_csv(ours, infer_schema=False).select("series_id", "period", "alarm")
    b = pl.read_csv(theirs, infer_schema=False).select(
        "series_id", "period", pl.col("alarm").alias("r_alarm"))
    joined = a.join(b, on=["series_id", "period"], how="inner")
    return int((joined["alarm"] == joined["r_alarm"]).sum()), joined.height


def describe_times(seconds: list[float]) -> str:
    return f"{statistics.median(seconds):.2f} s (fastest {min(seconds):.2f} s)"


def row(label: str, times: tuple[list[float], list[float]]) -> str:
    wall, cpu = times
    return f"| {label} | {describe_times(wall)} | {describe_times(cpu)} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=200)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--r-runs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        counts = counts_file(work / "counts.csv", args.series, args.seed)
        help_s = timed([str(PLAIT), "--help"], work, args.runs)
        detect = [str(PLAIT), "detect", "--counts", "counts.csv", "--out", "plait.csv"]
        detect_s = timed(detect, work, args.runs)
        imports = import_seconds(work)
        rscript = shutil.which("Rscript")
        r_s: tuple[list[float], list[float]] = ([], [])
        agreement = None
        r_version = ""
        if rscript:
            (work / "detect.R").write_text(R_SCRIPT)
            r_s = timed([rscript, "detect.R", "counts.csv", "r.csv"], work, args.r_runs)
            agreement = alarm_agreement(work / "plait.csv", work / "r.csv")
            r_version = subprocess.run(
                [rscript, "-e", 'cat(R.version$major, ".", R.version$minor, " surveillance ", '
                 'as.character(packageVersion("surveillance")), sep = "")'],
                check=True, capture_output=True, text=True).stdout.strip()

    n_series = counts["series_id"].n_unique()
    months = counts["period"].n_unique()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        "",
        f"## startup — {dt.datetime.now(dt.UTC):%a %d %b %Y %H:%M UTC}",
        "",
        f"- machine: {describe()}; load average at the end {load}",
        f"- data: `plait synth --seed {args.seed}` through ingest, the first {n_series} "
        f"monthly count series by id ({months} months each, 2016-01 on, "
        f"{int(counts['count'].sum()):,} incidents counted) × 12 evaluated months = "
        f"{n_series * 12:,} points; every command a fresh process from a temporary directory "
        f"outside the repository; median of {args.runs} runs ({args.r_runs} for R)",
        "",
        "| command | whole process, wall clock | whole process, CPU |",
        "|---|---:|---:|",
        row("`plait --help`", help_s),
        row("`plait detect --counts FILE --out FILE` (Farrington, last 12 months)", detect_s),
    ]
    if r_s[0]:
        lines.append(row(f"R {r_version}: `Rscript` reading the same file, "
                         "`farringtonFlexible` per series with the same control, writing a CSV",
                         r_s))
    lines += ["", f"`plait detect` spends {imports:.2f} s of one run importing "
              "(`python -X importtime`, top level)."]
    if r_s[0] and agreement:
        ratios = [statistics.median(r) / statistics.median(p)
                  for r, p in zip(r_s, detect_s, strict=True)]
        lines.append(
            f"Whole process, `plait detect` against R (medians): {ratios[0]:.0f}× faster by "
            f"the wall clock, {ratios[1]:.0f}× by CPU time (goal ≥ 50×); the alarms agree on "
            f"{agreement[0]:,} of {agreement[1]:,} points.")
    else:
        lines.append("R is not installed here (`Rscript` not found): no comparison in this run.")
    text = "\n".join(lines) + "\n"
    print(text)
    with (ROOT / "benchmarks" / "RESULTS.md").open("a") as fh:
        fh.write(text)


if __name__ == "__main__":
    main()
