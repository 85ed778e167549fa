"""`plait analyse` and `plait report` on the demo sample, on SQLite and PostgreSQL.

The issue's bound: on the sample (`plait synth --seed 7`, 2016-01 to 2026-09, what `make run`
builds), `plait analyse` stays under 30 s with the release statistics added. Each command
runs as the user runs it (a fresh `plait` process, start-up included); the first analyse
relinks every series, as on a new warehouse, and the second attaches to the stored series.
In the same run, `compute` is timed in-process with and without the release statistics, so
the table says what the intelligence and investigation tables cost on top of the models that
were there before (the yardstick: no peer is named). `plait report --all --format json`
writes the national release and one per force from one protected cell book.

Run: `.venv/bin/python benchmarks/analyse/run.py` (`make bench-analyse`); the table is printed
and appended to benchmarks/RESULTS.md with the date, the machine and the data size.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from machine import describe  # noqa: E402

PLAIT = str(Path(sys.executable).with_name("plait"))
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/plait_bench_analyse"
BOUND_SECONDS = 30.0


def _timed(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([PLAIT, *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def _fresh_postgres() -> None:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS plait_bench_analyse"))
        conn.execute(text("CREATE DATABASE plait_bench_analyse"))
    admin.dispose()


def _compute_seconds(url: str) -> tuple[float, float, int]:
    """compute() without and with the release statistics, in this process."""
    from analytics.analyse import compute, read_inputs, read_link_inputs, read_release_inputs
    from etl.warehouse import make_engine

    engine = make_engine(url)
    incidents, forces = read_inputs(engine)
    links, release = read_link_inputs(engine), read_release_inputs(engine)
    start = time.perf_counter()
    compute(incidents, forces, link_incidents=links)
    before = time.perf_counter() - start
    start = time.perf_counter()
    compute(incidents, forces, link_incidents=links, release_incidents=release)
    after = time.perf_counter() - start
    engine.dispose()
    return before, after, incidents.height


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="plait-bench-analyse-"))
    try:
        sample = work / "sample"
        subprocess.run([PLAIT, "synth", "--out", str(sample), "--seed", "7", "--start",
                        "2016-01", "--end", "2026-09"], check=True, stdout=subprocess.DEVNULL)
        _fresh_postgres()
        urls = {"SQLite": f"sqlite:///{work / 'plait.db'}", "PostgreSQL": PG_URL}
        rows = []
        incidents = 0
        for name, url in urls.items():
            subprocess.run([PLAIT, "ingest", str(sample), "--db", url], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            first = _timed(["analyse", "--db", url])
            second = _timed(["analyse", "--db", url])
            report = _timed(["report", "--quarter", "2026Q3", "--all", "--format", "json",
                             "--db", url, "--out", str(work / f"reports-{name}")])
            before, after, incidents = _compute_seconds(url)
            rows.append((name, first, second, report, before, after))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = [
        f"## analyse and report on the sample — {dt.datetime.now(dt.UTC):%a %d %b %Y %H:%M} UTC",
        "",
        f"- machine: {describe()}",
        f"- data: `plait synth --seed 7` 2016-01 to 2026-09 through ingest: {incidents:,} "
        "incidents; report quarter 2026Q3 (47 releases: national and 46 forces)",
        f"- bound: `plait analyse` under {BOUND_SECONDS:.0f} s on the sample",
        "",
        "| warehouse | plait analyse, relink (s) | plait analyse, attach (s) | plait report --all "
        "json (s) | compute without release statistics (s) | compute with (s) | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, first, second, report, before, after in rows:
        lines.append(f"| {name} | {first:.1f} | {second:.1f} | {report:.1f} | {before:.1f} | "
                     f"{after:.1f} | {after / before:.2f}× |")
    worst = max(max(r[1], r[2]) for r in rows)
    lines += ["", f"Slowest `plait analyse`: {worst:.1f} s, "
              f"{'within' if worst < BOUND_SECONDS else 'OVER'} the {BOUND_SECONDS:.0f} s bound.",
              ""]
    table = "\n".join(lines)
    print(table)
    with (REPO / "benchmarks" / "RESULTS.md").open("a", encoding="utf-8") as fh:
        fh.write("\n" + table)


if __name__ == "__main__":
    main()
