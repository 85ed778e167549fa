"""Ingest benchmark: a national year of data.police.uk street files into SQLite and PostgreSQL.

The issue's yardstick is the bare `polars.read_csv` of the same files in the same run: a
load can hardly beat reading the bytes, so its ratio to the read says how much the
validation and the database cost on top, independently of the machine. Goal: the
PostgreSQL load at most 2× the bare read.

Each measurement runs in its own child process (this script with `--measure`), and the
child reports its peak RSS as `VmHWM` from /proc/self/status, the high-water mark of its
own address space. `ru_maxrss` (from `RUSAGE_CHILDREN`, `os.wait4` or RUSAGE_SELF) would
not do: Linux carries the parent's resident size at fork/vfork into the child's maxrss
across exec, so every child would report at least the parent's peak (which includes
generating the data), and `RUSAGE_CHILDREN` also keeps the largest child so far. The
PostgreSQL server's own memory is not in the figure.

`make bench-ingest` runs it at full size; `--rows N` makes a smaller run, `--skip-sqlite`
and `--skip-postgres` leave a backend out. The table is printed and appended to
`benchmarks/RESULTS.md` with the date, the machine, the data size and the commit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import generate_street

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import polars as pl
from machine import describe

REPO = Path(__file__).resolve().parents[2]
DATA_DIR = REPO / "benchmarks" / "data" / "street"
SQLITE_PATH = REPO / "benchmarks" / "data" / "bench-ingest.sqlite"
RESULTS = REPO / "benchmarks" / "RESULTS.md"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/plait_bench"
KEY = b"bench-key"
GOAL_RATIO = 2.0
READ = "bare polars.read_csv"
LABELS = {"read": READ, "sqlite": "plait ingest → SQLite", "postgres": "plait ingest → PostgreSQL"}


@dataclass(frozen=True)
class Measurement:
    """One child's result: what it timed itself, and what the kernel saw of it."""

    kind: str
    rows: int
    files: int
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("nan")


# --- the children: each prints one JSON line, {"rows", "files", "seconds"} -----------------


def street_files(data: Path) -> list[Path]:
    return sorted(data.rglob("*-street.csv"))


def measure_read(data: Path) -> dict[str, float]:
    """`pl.read_csv` with its defaults, file by file, summing only the time inside the call."""
    rows, seconds = 0, 0.0
    files = street_files(data)
    for path in files:
        start = time.perf_counter()
        frame = pl.read_csv(path)
        seconds += time.perf_counter() - start
        rows += frame.height
    return {"rows": rows, "files": len(files), "seconds": seconds}


def fresh_sqlite(path: Path) -> str:
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    return f"sqlite:///{path}"


def fresh_postgres(url: str) -> str:
    """Drop and create the URL's database, so every run loads into an empty warehouse."""
    from sqlalchemy import create_engine, make_url, text

    target = make_url(url)
    name = target.database
    if not name or name in {"postgres", "template0", "template1"}:
        raise SystemExit(f"--pg-url must name a scratch database, not {name!r}")
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url


def measure_ingest(data: Path, url: str) -> dict[str, float]:
    """`ingest_paths` on the folder (timed), then the reconciliation checked (not timed)."""
    from sqlalchemy import func, select

    from etl.ingest import FileReport, ingest_paths
    from etl.schema import core_street_crime
    from etl.warehouse import make_engine, migrate

    engine = make_engine(url)
    migrate(engine)
    expected = len(street_files(data))
    started = time.perf_counter()
    done = 0

    def progress(_report: FileReport) -> None:
        nonlocal done
        done += 1
        if done % max(1, expected // 10) == 0 or done == expected:
            print(
                f"  {engine.dialect.name}: {done}/{expected} files, "
                f"{time.perf_counter() - started:.0f} s",
                file=sys.stderr,
                flush=True,
            )

    reports = ingest_paths([data], engine, key=KEY, on_file=progress)
    seconds = time.perf_counter() - started

    bad = [r for r in reports if r.status != "loaded" or r.read != r.loaded]
    if bad or len(reports) != expected:
        shown = "\n".join(str(r.as_dict()) for r in bad[:5])
        raise SystemExit(
            f"{len(reports)} reports for {expected} files; {len(bad)} not fully loaded:\n{shown}"
        )
    loaded = sum(r.loaded for r in reports)
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(core_street_crime)).scalar_one()
        unresolved = conn.execute(
            select(func.count())
            .select_from(core_street_crime)
            .where(
                core_street_crime.c.reporting_force_id.is_(None)
                | core_street_crime.c.location_force_id.is_(None)
            )
        ).scalar_one()
    engine.dispose()
    if stored != loaded or unresolved:
        raise SystemExit(
            f"reports say {loaded} rows loaded, the table holds {stored}, "
            f"{unresolved} without a resolved force"
        )
    return {"rows": loaded, "files": len(reports), "seconds": seconds}


def peak_rss_mb() -> float:
    """This process's resident high-water mark since exec (see the module docstring)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def child(kind: str, data: Path, pg_url: str) -> None:
    if kind == "read":
        result = measure_read(data)
    elif kind == "sqlite":
        result = measure_ingest(data, fresh_sqlite(SQLITE_PATH))
    else:
        result = measure_ingest(data, fresh_postgres(pg_url))
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result), flush=True)


# --- the parent -----------------------------------------------------------------------------


def run_child(kind: str, data: Path, pg_url: str) -> Measurement:
    """This script in a fresh interpreter; CPU time from `wait4` is that child's alone."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--measure",
        kind,
        "--data",
        str(data),
        "--pg-url",
        pg_url,
    ]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert proc.stdout is not None
    output = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"the {kind} measurement failed (exit {proc.returncode})")
    result = json.loads(output.strip().splitlines()[-1])
    return Measurement(
        kind=kind,
        rows=int(result["rows"]),
        files=int(result["files"]),
        seconds=float(result["seconds"]),
        peak_rss_mb=float(result["peak_rss_mb"]),
        cpu_seconds=usage.ru_utime + usage.ru_stime,
    )


def ensure_data(data: Path, rows: int, year: int, seed: int) -> None:
    """Generate the files unless the folder already holds exactly this configuration."""
    wanted = {
        "generator_version": generate_street.GENERATOR_VERSION,
        "rows": rows,
        "year": year,
        "seed": seed,
    }
    manifest = generate_street.read_manifest(data)
    if manifest is not None and all(manifest.get(k) == v for k, v in wanted.items()):
        return
    if manifest is None and data.exists() and any(data.iterdir()):
        raise SystemExit(f"{data} holds files but no manifest.json; not overwriting it")
    print(f"generating {rows:,} street rows for {year} into {data} …", flush=True)
    made = generate_street.generate(data, rows=rows, year=year, seed=seed, overwrite=True)
    print(
        f"  {made.files} files, {made.size_bytes / 1e6:,.0f} MB in {made.seconds:.1f} s", flush=True
    )


def postgres_version(pg_url: str) -> str:
    from sqlalchemy import create_engine, make_url, text

    engine = create_engine(make_url(pg_url).set(database="postgres"))
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar_one()).split()[0]
    finally:
        engine.dispose()


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", "etl")
    except (OSError, subprocess.CalledProcessError):
        return "uncommitted"
    return f"{head} + uncommitted changes in etl/" if dirty else head


def table(results: list[Measurement]) -> str:
    read = next(m for m in results if m.kind == "read")
    lines = [
        "| measurement | rows | files | seconds | rows/s | peak RSS MB | CPU s | × bare read |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in results:
        lines.append(
            f"| {LABELS[m.kind]} | {m.rows:,} | {m.files} | {m.seconds:.1f} | "
            f"{m.rows_per_second:,.0f} | {m.peak_rss_mb:,.0f} | {m.cpu_seconds:.1f} | "
            f"{m.seconds / read.seconds:.2f} |"
        )
    return "\n".join(lines)


def report(results: list[Measurement], data: Path, rows: int, pg_url: str | None) -> str:
    files = street_files(data)
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    read = next(m for m in results if m.kind == "read")
    when = dt.datetime.now(dt.UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
    lines = [
        f"## ingest — {when}",
        "",
        f"- machine: {describe()}" + (f"; PostgreSQL {postgres_version(pg_url)}" if pg_url else ""),
        f"- data: {rows:,} street rows in {len(files)} files, {size_mb:,.0f} MB "
        f"(benchmarks/ingest/generate_street.py, data.police.uk layout)",
        f"- commit: {commit()}",
        "",
        table(results),
        "",
    ]
    for m in results:
        if m.kind == "postgres":
            ratio = m.seconds / read.seconds
            verdict = "met" if ratio <= GOAL_RATIO else "not met"
            lines.append(
                f"Goal PostgreSQL load ≤ {GOAL_RATIO:g}× the bare read: {verdict} ({ratio:.2f}×)."
            )
    lines.append(
        "Seconds are the measured call only (interpreter start, migration and "
        "checks excluded); peak RSS and CPU are the whole child process's, not the "
        "PostgreSQL server's."
    )
    return "\n".join(lines) + "\n"


def append_results(text: str, path: Path) -> None:
    if not path.exists():
        path.write_text(
            "# Benchmark results\n\nAppended by the scripts in `benchmarks/`, newest last.\n"
        )
    with path.open("a") as fh:
        fh.write("\n" + text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=generate_street.DEFAULT_ROWS)
    parser.add_argument("--year", type=int, default=generate_street.DEFAULT_YEAR)
    parser.add_argument("--seed", type=int, default=generate_street.DEFAULT_SEED)
    parser.add_argument("--data", type=Path, default=DATA_DIR)
    parser.add_argument(
        "--pg-url",
        default=PG_URL,
        help="its database is dropped and created afresh (default %(default)s)",
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--results", type=Path, default=RESULTS, help="the Markdown file the table is appended to"
    )
    parser.add_argument("--measure", choices=["read", "sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        child(args.measure, args.data, args.pg_url)
        return

    ensure_data(args.data, args.rows, args.year, args.seed)
    kinds = (
        ["read"]
        + ([] if args.skip_sqlite else ["sqlite"])
        + ([] if args.skip_postgres else ["postgres"])
    )
    results = []
    for kind in kinds:
        print(f"measuring: {LABELS[kind]} …", flush=True)
        results.append(run_child(kind, args.data, args.pg_url))
        if results[-1].rows != args.rows:
            raise SystemExit(
                f"{LABELS[kind]} saw {results[-1].rows:,} rows, expected {args.rows:,}"
            )
    text = report(results, args.data, args.rows, None if args.skip_postgres else args.pg_url)
    print()
    print(text)
    append_results(text, args.results)
    print(f"appended to {args.results}")


if __name__ == "__main__":
    main()
