"""Server time of every dashboard page with about a million incidents in the warehouse.

The issue's goal: each page in at most 1 s, warm, with 1 million incidents in the warehouse
(`plait synth --scale`). The warehouse is `plait synth --seed 7 --scale 213` (2016-01 to
2026-09; scale 1 is about 4,700 incidents once ingested) through `plait ingest` and
`plait analyse`, built once per backend and kept under benchmarks/data/dashboard/
(`build.py`), on SQLite and on PostgreSQL. If a scale fails to build, the next one given
with `--scale` is used, and the section says so and where the larger one stopped.

Each page is then run for each role that may open it (national, force:kent, npcc) in
Streamlit's AppTest, in a fresh process per backend (`pages.py`): its first run in a new
session, then N warm runs; the warm median is held against the goal. The cold start (caches
emptied, the release built) is the first row. A profile of one more warm run names the
functions of this repository where a slow page spends its time.

Run: `.venv/bin/python benchmarks/dashboard/run.py [--scale 213[,100,...]]
[--backends sqlite,postgresql] [--warm 3] [--pages overview,series] [--rebuild] [--no-write]
[--priority -15]`
(`make bench-dashboard`). The section of benchmarks/RESULTS.md headed "dashboard pages" is
replaced (or appended) with the machine, the data size and the date.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(HERE))
from build import CACHE, Build, build  # noqa: E402
from machine import describe  # noqa: E402

RESULTS = REPO / "benchmarks" / "RESULTS.md"
HEADING = "## dashboard pages"
GOAL_SECONDS = 1.0
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _option(argv: list[str], name: str, default: str) -> str:
    return argv[argv.index(name) + 1] if name in argv else default


def _built(scales: list[float], backend: str, rebuild: bool) -> tuple[Build, list[Build]]:
    """The first scale that builds on `backend`, and the larger ones that did not."""
    failed = []
    for scale in scales:
        made = build(scale, backend, rebuild=rebuild)
        if made.ok:
            return made, failed
        failed.append(made)
    raise SystemExit(f"{backend}: no scale of {scales} built; see benchmarks/data/dashboard/")


def _time_pages(made: Build, warm: int, pages: str | None) -> dict[str, Any]:
    args = [sys.executable, str(HERE / "pages.py"), made.url, "--warm", str(warm), "--profile"]
    if pages:
        args += ["--pages", pages]
    done = subprocess.run(args, check=True, stdout=subprocess.PIPE, text=True, cwd=REPO,
                          env=os.environ | {"PYTHONPATH": str(REPO)})
    return json.loads(done.stdout)


def _slowest_file(url: str) -> str:
    """The file ingest spent longest on, from the gaps between files' load times (each file
    is registered when it is loaded), against the rate of the files before it."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT file_name, read_count, loaded_at FROM "
                                     "raw_source_file ORDER BY source_file_id")).all()
    finally:
        engine.dispose()
    if len(rows) < 3:
        return ""
    stamps = [r[2] if isinstance(r[2], dt.datetime) else dt.datetime.fromisoformat(str(r[2]))
              for r in rows]
    gaps = [((stamps[i] - stamps[i - 1]).total_seconds(), rows[i][0], int(rows[i][1]))
            for i in range(1, len(rows))]
    seconds, name, read = max(gaps)
    others = [g for g in gaps if g[1] != name]
    rate = sum(g[2] for g in others) / max(sum(g[0] for g in others), 1e-9)
    return (f"slowest file `{name}`: {read:,} rows in {seconds:,.0f} s ({read / seconds:,.0f} "
            f"rows/s; the other files {rate:,.0f} rows/s)")


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def section(builds: dict[str, Build], failures: dict[str, list[Build]],
            timings: dict[str, dict[str, Any]], warm: int, load: tuple[str, str],
            niceness: int | None = None) -> str:
    backends = list(builds)
    first = next(iter(builds.values()))
    lines = [
        f"{HEADING} at a million incidents — {dt.datetime.now(dt.UTC):%a %d %b %Y %H:%M} UTC",
        "",
        f"- machine: {describe()}; load average (1 min) {load[0]} at the start, {load[1]} at "
        "the end (other engineers' tests share the 2 cores, so single runs are noisy)"
        + ("" if niceness is None else
           f"; the pages were timed at niceness {niceness} (`--priority {niceness}`), the "
           "PostgreSQL server's processes too, so that the other work took CPU only while "
           "a page waited"),
        f"- data: `plait synth --seed 7 --scale {first.scale:g}` (2016-01 to 2026-09) through "
        "`plait ingest` and `plait analyse`: "
        + "; ".join(f"{NAMES[b]} {m.incidents:,} incidents in core_incident"
                    for b, m in builds.items()),
        f"- goal: every page at most {GOAL_SECONDS:.0f} s warm",
        "- time: the page's script run on the server (the ScriptRunner thread of Streamlit's "
        "AppTest: entry script, navigation and page, Streamlit's caches included), not the "
        "browser's drawing. Each page × role opens in a new session, signed in as that role. "
        "First: that session's first run. Warm: the median of its next "
        f"{warm} runs in the same process (Streamlit's caches are shared by the server "
        "process). Cold start: Streamlit's caches are emptied once, before the first row, as "
        "after a restart; that run builds the release (cached 15 minutes), whichever page "
        "asks first. A run during which the release was rebuilt is flagged and not counted "
        "as warm.",
    ]
    for backend, failed in failures.items():
        for made in failed:
            stopped = next(s for s in made.steps if not s.ok)
            lines.append(f"- {NAMES[backend]}: scale {made.scale:g} did not build: "
                         f"`{stopped.name}` failed after {stopped.seconds:.0f} s ({stopped.note}); "
                         f"the pages were timed at scale {builds[backend].scale:g}")
    lines += ["", "Building the warehouse (each step a fresh `plait` process; the extracts of "
              "`plait synth` serve both backends; load: the 5-minute load average when the "
              "step ended, where recorded):", "",
              "| step | " + " | ".join(f"{NAMES[b]} (s) | peak memory (MB) | load"
                                        for b in backends) + " |",
              "|---|" + "---:|---:|---:|" * len(backends)]
    steps = [s.name for s in first.steps]
    for name in steps:
        cells = []
        for backend in backends:
            step = next(s for s in builds[backend].steps if s.name == name)
            cells += [f"{step.seconds:,.0f}", f"{step.peak_mb:,.0f}",
                      "" if step.load is None else f"{step.load:.1f}"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("")
    for backend, made in builds.items():
        slowest = _slowest_file(made.url)
        if slowest:
            lines.append(f"- {NAMES[backend]} ingest, {slowest}")
    lines += ["", "The release every page but Admin and Returns shows (all 47 audiences from one "
              "protected cell book, `dashboards.data.all_releases`, outside Streamlit, "
              "profiled): " + "; ".join(f"{NAMES[b]} {t['release_build']['seconds']:.1f} s"
                                        for b, t in timings.items()
                                        if t["release_build"]["seconds"]), ""]
    for backend, found in timings.items():
        build_s = found["release_build"]["seconds"]
        if build_s and build_s > GOAL_SECONDS:
            lines.append(f"- where the {NAMES[backend]} release build goes: "
                         + _top(found["release_build"].get("profile", []), skip=(
                             "dashboards/data.py", "analytics/release.py:876")))
    lines += ["", "| page | role | " + " | ".join(f"{NAMES[b]} first (s) | {NAMES[b]} warm (s)"
                                                 for b in backends) + " | |",
              "|---|---|" + "---:|---:|" * len(backends) + "---|"]
    keyed = {b: {(r["page"], r["role"]): r for r in t["pages"]} for b, t in timings.items()}
    order = [(r["page"], r["role"]) for r in timings[backends[0]]["pages"]]
    slow: list[tuple[str, str, str, dict[str, Any]]] = []
    for key in order:
        cells, notes = [], set()
        for backend in backends:
            found = keyed[backend].get(key)
            if found is None:
                cells += ["", ""]
                continue
            cells += [_seconds(found["first"]), _seconds(found["warm_median"])]
            if found["cold"]:
                notes.add("cold start: first includes building the release")
            elif found.get("first_built_release"):
                notes.add(f"{NAMES[backend]}: first rebuilt the release (cache expired)")
            if found.get("rebuilt_during_warm"):
                notes.add(f"{NAMES[backend]}: release rebuilt during "
                          f"{found['rebuilt_during_warm']} more run(s), not counted")
            if found["error"]:
                notes.add(f"error: {found['error']}")
            if found["placeholder"]:
                notes.add("placeholder page (being built)")
            if found["warm_median"] is not None and found["warm_median"] > GOAL_SECONDS:
                notes.add("**over the goal**")
                slow.append((key[0], key[1], backend, found))
        lines.append(f"| {key[0]} | {key[1]} | " + " | ".join(cells) + " | "
                     + "; ".join(sorted(notes)) + " |")
    over = {(p, r) for p, r, _, _ in slow}
    lines += ["", f"{len(order) - len(over)} of {len(order)} page × role runs within "
              f"{GOAL_SECONDS:.0f} s warm on every backend timed"
              + (f"; over: {', '.join(f'{p} ({r})' for p, r in sorted(over))}." if over
                 else "."), ""]
    for page in dict.fromkeys(p for p, _, _, _ in slow):
        cases = [(r, b, f) for p, r, b, f in slow if p == page]
        role, backend, worst = max(cases, key=lambda c: c[2]["warm_median"])
        lines.append(f"- {page}, over for {', '.join(f'{r} on {NAMES[b]}' for r, b, _ in cases)}"
                     f"; a profiled warm run ({role}, {NAMES[backend]}): "
                     + _top(worst.get("profile", []), skip=("dashboards/app/pages/",)))
    if slow:
        lines.append("")
    return "\n".join(lines)


def _top(profile: list[dict[str, Any]], skip: tuple[str, ...], n: int = 5) -> str:
    """The functions that take the most time (cumulative), leaving out the page itself."""
    kept = [f for f in profile if not f["function"].startswith(skip)
            and "<module>" not in f["function"] and "<" not in f["function"].split()[-1]][:n]
    return "; ".join(f"`{f['function']}` {f['cumulative']:.1f} s ({f['calls']} calls)"
                     for f in kept) or "no function of this repository stands out"


def write_section(text: str) -> None:
    """Replace this benchmark's section of RESULTS.md (up to the next `## `), or append it."""
    lines = RESULTS.read_text(encoding="utf-8").splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(HEADING)), None)
    if start is None:
        body = "\n".join(lines).rstrip("\n") + "\n\n" + text + "\n"
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
                   len(lines))
        before = "\n".join(lines[:start]).rstrip("\n")
        after = "\n".join(lines[end:])
        body = before + "\n\n" + text + ("\n\n" + after if after else "\n")
    RESULTS.write_text(body.rstrip("\n") + "\n", encoding="utf-8")


def _upgrade(url: str) -> None:
    """Bring a cached warehouse to this version's schema, as `plait serve` does on start, so
    that a warehouse built before a migration is timed as a user would find it."""
    from etl.warehouse import make_engine, migrate

    engine = make_engine(url)
    try:
        migrate(engine)
    finally:
        engine.dispose()


def _postgres_pids() -> list[int]:
    found = subprocess.run(["pgrep", "-x", "postgres"], stdout=subprocess.PIPE, text=True)
    return [int(p) for p in found.stdout.split()]


def _prioritise(niceness: int | None) -> list[int]:
    """Run this benchmark (and the PostgreSQL server, whose new connections inherit the
    postmaster's priority) at `niceness`, so that other work on a shared machine takes CPU
    from it only when it waits: the goal is the page's own time, not a share of 2 cores
    among a dozen processes. Returns the server's processes, to be restored afterwards."""
    if niceness is None:
        return []
    try:
        os.setpriority(os.PRIO_PROCESS, 0, niceness)
    except PermissionError as exc:
        raise SystemExit(f"--priority {niceness} needs root (or CAP_SYS_NICE): {exc}") from exc
    _autogroup(0, niceness)
    pids = _postgres_pids()
    for pid in pids:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, pid, niceness)
        _autogroup(pid, niceness)
    return pids


def _autogroup(pid: int, niceness: int) -> None:
    """Where the kernel groups processes by session (sched_autogroup), a process's niceness
    ranks it only within its group: the group's own niceness ranks it among the others."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid or 'self'}/autogroup").write_text(str(niceness), encoding="ascii")


def _restore(pids: list[int]) -> None:
    for pid in [*pids, *_postgres_pids()]:
        with contextlib.suppress(ProcessLookupError):
            os.setpriority(os.PRIO_PROCESS, pid, 0)
        _autogroup(pid, 0)
    _autogroup(0, 0)


def main(argv: list[str]) -> None:
    scales = [float(s) for s in _option(argv, "--scale", "213").split(",")]
    backends = _option(argv, "--backends", "sqlite,postgresql").split(",")
    warm = int(_option(argv, "--warm", "3"))
    pages = _option(argv, "--pages", "") or None
    load_start = f"{os.getloadavg()[0]:.1f}"
    builds: dict[str, Build] = {}
    failures: dict[str, list[Build]] = {}
    for backend in backends:
        builds[backend], failures[backend] = _built(scales, backend, "--rebuild" in argv)
        _upgrade(builds[backend].url)
    timings = {}
    niceness = int(_option(argv, "--priority", "0")) if "--priority" in argv else None
    raised = _prioritise(niceness)
    try:
        for backend, made in builds.items():
            print(f"{NAMES[backend]}: timing the pages on {made.incidents:,} incidents",
                  file=sys.stderr, flush=True)
            timings[backend] = _time_pages(made, warm, pages)
            saved = CACHE / f"timings-{backend}-scale{made.scale:g}.json"
            saved.write_text(json.dumps(timings[backend], indent=1), encoding="utf-8")
    finally:
        _restore(raised)
    text = section(builds, failures, timings, warm, (load_start, f"{os.getloadavg()[0]:.1f}"),
                   niceness)
    print(text)
    if "--no-write" not in argv:
        write_section(text)


if __name__ == "__main__":
    main(sys.argv[1:])
