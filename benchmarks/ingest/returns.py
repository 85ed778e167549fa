"""Ingest benchmark, force returns: `plait synth` extracts of 10k, 100k and 1M rows into SQLite
and PostgreSQL, for seconds, rows per second, peak memory and the log–log slope.

Issue 12's goal: ingest time linear in rows (slope of log seconds on log rows ≤ 1.1) and a
million rows into PostgreSQL within 5 minutes on the project's 2-core machine. Force returns
are what cost: mapping, validation, pseudonyms, redaction against every name of the file,
duplicate and transfer matching (the street-file benchmark, `run.py`, times the simple
path).

Data: `plait synth --seed 7 --scale S` (invented people), each scale generated once into
`benchmarks/data/returns/` (ignored by git). A scale gives about 4,770 rows read; the sizes
name the scale, and the table gives the rows each really read. Each load runs in a fresh
child process (this script with `--measure`) into an empty warehouse, through
`etl.ingest.ingest_paths` (what `plait ingest` calls); the migration is not timed. The child
reports its peak resident memory (`VmHWM`; `run.py` says why not `ru_maxrss`) and its
slowest file, so a file that grows faster than its rows stands out.

The machine is shared: the 1-minute load average is recorded before and after each
measurement. `--sizes` picks sizes (`10k 100k 1M`), `--skip-sqlite`/`--skip-postgres` a
backend, `--budget S` stops starting larger sizes once the elapsed time passes S seconds
(what was left out is said in the results). The section is appended to
`benchmarks/RESULTS.md` with the date, the machine, the sizes and the commit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from machine import describe

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "benchmarks" / "data" / "returns"
RESULTS = REPO / "benchmarks" / "RESULTS.md"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/plait_bench_returns"
SEED = 7
KEY = b"bench-key"
ROWS_PER_SCALE = 4_770
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}
GOAL_SLOPE = 1.1
GOAL_PG_MILLION_SECONDS = 300.0
BACKENDS = ("sqlite", "postgres")
LABELS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


@dataclass(frozen=True)
class Measurement:
    size: str
    backend: str
    rows: int
    files: int
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float
    slowest_file: str
    slowest_rows: int
    slowest_seconds: float
    load_before: float
    load_after: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("nan")


def scale_of(rows: int) -> float:
    return round(rows / ROWS_PER_SCALE, 1)


def folder(size: str) -> Path:
    return DATA / f"seed{SEED}-scale{scale_of(SIZES[size]):g}"


def ensure_data(size: str) -> Path:
    """`plait synth` once per scale; a folder without the generator's manifest is redone."""
    out = folder(size)
    if (out / "truth" / "manifest.json").exists():
        return out
    print(f"generating {size} (plait synth --scale {scale_of(SIZES[size]):g}) into {out} …",
          flush=True)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "dashboards.cli", "synth", "--out", str(out), "--seed",
         str(SEED), "--scale", f"{scale_of(SIZES[size]):g}"],
        cwd=REPO, check=True, stdout=subprocess.DEVNULL,
    )
    print(f"  {time.perf_counter() - started:.0f} s", flush=True)
    return out


# --- the child -------------------------------------------------------------------------------


def fresh_sqlite(size: str) -> str:
    path = DATA / f"bench-{size}.sqlite"
    for stale in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", ".lock"))):
        stale.unlink(missing_ok=True)
    return f"sqlite:///{path}"


def fresh_postgres(url: str) -> str:
    from sqlalchemy import create_engine, make_url, text

    target = make_url(url)
    name = target.database
    if not name or name in {"postgres", "template0", "template1", "test"}:
        raise SystemExit(f"--pg-url must name a scratch database, not {name!r}")
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def measure(size: str, backend: str, pg_url: str) -> dict[str, object]:
    """Load the size's folder into an empty warehouse; every file must load and reconcile."""
    from etl.ingest import FileReport, ingest_paths
    from etl.warehouse import make_engine, migrate

    url = fresh_sqlite(size) if backend == "sqlite" else fresh_postgres(pg_url)
    engine = make_engine(url)
    migrate(engine)
    files: list[tuple[str, int, float]] = []
    started = last = time.perf_counter()

    def done(report: FileReport) -> None:
        nonlocal last
        now = time.perf_counter()
        files.append((Path(report.file).name, report.read, now - last))
        last = now

    reports = ingest_paths([folder(size)], engine, key=KEY, on_file=done)
    seconds = time.perf_counter() - started
    engine.dispose()
    bad = [r for r in reports if r.status != "loaded"
           or r.read != r.loaded + r.duplicate + r.rejected]
    if bad:
        raise SystemExit("not loaded: " + "; ".join(f"{r.file}: {r.error}" for r in bad[:5]))
    name, rows, slow = max(files, key=lambda f: f[2])
    return {"rows": sum(r.read for r in reports), "files": len(reports), "seconds": seconds,
            "peak_rss_mb": peak_rss_mb(), "slowest_file": name, "slowest_rows": rows,
            "slowest_seconds": slow}


# --- the parent ------------------------------------------------------------------------------


def run_child(size: str, backend: str, pg_url: str) -> Measurement:
    load_before = os.getloadavg()[0]
    command = [sys.executable, str(Path(__file__).resolve()), "--measure", backend,
               "--sizes", size, "--pg-url", pg_url]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert proc.stdout is not None
    output = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"the {size} {backend} measurement failed")
    result = json.loads(output.strip().splitlines()[-1])
    return Measurement(
        size=size, backend=backend, rows=int(result["rows"]), files=int(result["files"]),
        seconds=float(result["seconds"]), peak_rss_mb=float(result["peak_rss_mb"]),
        cpu_seconds=usage.ru_utime + usage.ru_stime, slowest_file=str(result["slowest_file"]),
        slowest_rows=int(result["slowest_rows"]),
        slowest_seconds=float(result["slowest_seconds"]),
        load_before=load_before, load_after=os.getloadavg()[0],
    )


def slope(points: list[Measurement]) -> float | None:
    """Least-squares slope of log seconds on log rows (1 is linear, 2 quadratic)."""
    if len(points) < 2:
        return None
    xs = [math.log(m.rows) for m in points]
    ys = [math.log(m.seconds) for m in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs)


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", "etl")
    except (OSError, subprocess.CalledProcessError):
        return "uncommitted"
    return f"{head} + uncommitted changes in etl/" if dirty else head


def report(results: list[Measurement], left_out: list[str]) -> str:
    when = dt.datetime.now(dt.UTC).strftime("%a %d %b %Y %H:%M UTC")
    lines = [
        f"## ingest, force returns at 10k–1M rows — {when}",
        "",
        f"- machine: {describe()}; shared with other engineers' work (load average below)",
        f"- data: `plait synth --seed {SEED} --scale S` (45 force returns in CSV, XLSX and JSON "
        "lines, 2016-01..2026-09, invented people), loaded through `etl.ingest.ingest_paths` "
        "into an empty warehouse, each in a fresh process (migration not timed)",
        f"- commit: {commit()}",
        "- goal: log–log slope ≤ 1.1; 1M rows into PostgreSQL ≤ 5 minutes",
        "",
        "| size | backend | scale | rows read | files | seconds | rows/s | peak RSS MB | CPU s "
        "| slowest file (rows, s) | load avg before → after |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for m in results:
        lines.append(
            f"| {m.size} | {LABELS[m.backend]} | {scale_of(SIZES[m.size]):g} | {m.rows:,} | "
            f"{m.files} | {m.seconds:.1f} | {m.rows_per_second:,.0f} | {m.peak_rss_mb:,.0f} | "
            f"{m.cpu_seconds:.1f} | {m.slowest_file} ({m.slowest_rows:,}, "
            f"{m.slowest_seconds:.1f}) | {m.load_before:.1f} → {m.load_after:.1f} |"
        )
    lines.append("")
    for backend in BACKENDS:
        points = [m for m in results if m.backend == backend]
        fitted = slope(points)
        if fitted is not None:
            verdict = "met" if fitted <= GOAL_SLOPE else "not met"
            largest = slope(sorted(points, key=lambda m: m.rows)[-2:])
            lines.append(f"- {LABELS[backend]} log–log slope over {len(points)} sizes: "
                         f"{fitted:.2f} ({verdict}); between the two largest: {largest:.2f} "
                         "(a file's fixed cost flattens the slope at small sizes)")
    million = [m for m in results if m.backend == "postgres" and m.size == "1M"]
    if million:
        verdict = "met" if million[0].seconds <= GOAL_PG_MILLION_SECONDS else "not met"
        lines.append(f"- 1M rows into PostgreSQL: {million[0].seconds:.0f} s ({verdict})")
    for item in left_out:
        lines.append(f"- not measured: {item}")
    lines.append("- seconds: the `ingest_paths` call only; CPU and peak RSS: the whole child "
                 "process (not the PostgreSQL server's)")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--pg-url", default=PG_URL,
                        help="its database is dropped and created afresh (default %(default)s)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--budget", type=float, default=None,
                        help="start no larger size after this many seconds")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--measure", choices=BACKENDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.sizes[0], args.measure, args.pg_url)), flush=True)
        return

    backends = [b for b in BACKENDS if not getattr(args, f"skip_{b}")]
    started = time.monotonic()
    results: list[Measurement] = []
    left_out: list[str] = []
    for size in sorted(args.sizes, key=SIZES.__getitem__):
        if args.budget is not None and time.monotonic() - started > args.budget:
            left_out.append(f"{size} on {', '.join(LABELS[b] for b in backends)} "
                            f"(the {args.budget:.0f} s budget was spent)")
            continue
        ensure_data(size)
        for backend in backends:
            print(f"measuring {size} → {LABELS[backend]} …", flush=True)
            results.append(run_child(size, backend, args.pg_url))
            m = results[-1]
            print(f"  {m.rows:,} rows in {m.seconds:.1f} s ({m.rows_per_second:,.0f} rows/s), "
                  f"peak {m.peak_rss_mb:,.0f} MB", flush=True)
    text = report(results, left_out)
    print()
    print(text)
    with args.results.open("a") as fh:
        fh.write("\n" + text)
    print(f"appended to {args.results}")


if __name__ == "__main__":
    main()
