"""`plait report --format pdf` on the demo sample: one PDF, then all 47 for 2026Q3.

The issue's goal: all the force reports (46, plus the national one) in at most 60 s on this
2-core machine. Each command runs as a user runs it (a fresh `plait` process, start-up and
the release build included); `--all` renders in parallel processes, one per core. Peak
memory is the largest resident set of any process the command started (`RUSAGE_CHILDREN`
after each command, which takes the largest descendant reaped so far, so the single-PDF
command runs first). The JSON of the same releases is timed beside it as the yardstick:
what rendering adds on top of building the release.

Run: `.venv/bin/python benchmarks/report/run.py` (`make bench-report`); the table is printed
and appended to benchmarks/RESULTS.md with the date, the machine and the data size.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))
from machine import describe  # noqa: E402

PLAIT = str(Path(sys.executable).with_name("plait"))
GOAL_SECONDS = 60.0


def _run(args: list[str]) -> tuple[float, float]:
    """Seconds and the largest child's peak RSS (MB) so far."""
    start = time.perf_counter()
    subprocess.run([PLAIT, *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="plait-bench-report-"))
    try:
        sample, db = work / "sample", f"sqlite:///{work / 'plait.db'}"
        subprocess.run([PLAIT, "synth", "--out", str(sample), "--seed", "7", "--start",
                        "2016-01", "--end", "2026-09"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([PLAIT, "ingest", str(sample), "--db", db], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([PLAIT, "analyse", "--db", db], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        base = ["report", "--quarter", "2026Q3", "--db", db]
        one, one_mb = _run([*base, "--format", "pdf", "--out", str(work / "national.pdf")])
        pages = _pages(work / "national.pdf")
        every, every_mb = _run([*base, "--all", "--format", "pdf", "--out", str(work / "pdf")])
        count = len(list((work / "pdf").glob("*.pdf")))
        json_all, _ = _run([*base, "--all", "--format", "json", "--out", str(work / "json")])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = [
        f"## report on the sample — {dt.datetime.now(dt.UTC):%a %d %b %Y %H:%M} UTC",
        "",
        f"- machine: {describe()}; {os.cpu_count()} worker processes for `--all`",
        "- data: `plait synth --seed 7` 2016-01 to 2026-09 through ingest and analyse; "
        f"quarter 2026Q3; the national PDF has {pages} pages",
        f"- goal: all reports in at most {GOAL_SECONDS:.0f} s",
        "",
        "| command | reports | seconds | peak memory of the largest process (MB) |",
        "|---|---:|---:|---:|",
        f"| plait report --format pdf (national) | 1 | {one:.1f} | {one_mb:,.0f} |",
        f"| plait report --all --format pdf | {count} | {every:.1f} | {every_mb:,.0f} |",
        f"| plait report --all --format json (yardstick) | {count} | {json_all:.1f} | |",
        "",
        f"All {count} PDFs in {every:.1f} s: "
        f"{'within' if every <= GOAL_SECONDS else 'OVER'} the {GOAL_SECONDS:.0f} s goal "
        f"({every / json_all:.1f}× the JSON of the same releases).",
        "",
    ]
    table = "\n".join(lines)
    print(table)
    with (REPO / "benchmarks" / "RESULTS.md").open("a", encoding="utf-8") as fh:
        fh.write("\n" + table)


def _pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


if __name__ == "__main__":
    main()
