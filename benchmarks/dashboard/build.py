"""The dashboard benchmark's warehouse: `plait synth --scale S --seed 7`, ingest, analyse.

Built once per (scale, backend) and kept under `benchmarks/data/dashboard/` (ignored by git),
with each step's seconds and peak memory in `build-<backend>.json`, because at a million
incidents the build takes far longer than timing the pages does. Each step runs as a user
runs it: a fresh `plait` process, start-up included. A step that fails is recorded with the
tail of its output, so the table can say where the build stopped.

PostgreSQL gets its own schema (`bench_dashboard_s<scale>`) in the `test` database, as
`tests/conftest.py` does for tests; it is kept between runs, like the SQLite file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / "benchmarks" / "data" / "dashboard"
PLAIT = str(Path(sys.executable).with_name("plait"))
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SEED = 7
BENCH_KEY = "benchmark-dashboard-synthetic-data-only-0123456789abcdef"
"""A key of the benchmark's own: the data is `plait synth`'s, and a cached extract written
before the generator marked its files would otherwise be refused without a key."""


@dataclass
class Step:
    """One build step as it ran: seconds, peak resident memory of its process, outcome."""

    name: str
    seconds: float
    peak_mb: float
    ok: bool
    note: str = ""
    load: float | None = None
    """The machine's 5-minute load average when the step ended (2 cores: above 2, the step
    shared its CPU with other work)."""


@dataclass
class Build:
    """A built (or failed) warehouse: where it is and what each step cost."""

    scale: float
    backend: str
    url: str
    steps: list[Step] = field(default_factory=list)
    incidents: int = 0

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)


def folder(scale: float) -> Path:
    return CACHE / f"seed{SEED}-scale{scale:g}"


def warehouse_url(scale: float, backend: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder(scale) / 'plait.db'}"
    return f"{PG_SERVER}?options=-csearch_path%3D{_pg_schema(scale)}"


def _pg_schema(scale: float) -> str:
    return f"bench_dashboard_s{scale:g}".replace(".", "_")


def _run_step(name: str, args: list[str], log: Path) -> Step:
    """Run one `plait` command; its own peak memory comes from wait4 on its process."""
    with log.open("w", encoding="utf-8") as out:
        start = time.perf_counter()
        proc = subprocess.Popen([PLAIT, *args], stdout=out, stderr=subprocess.STDOUT,
                                cwd=REPO, env=os.environ | {"PYTHONUNBUFFERED": "1",
                                                            "PLAIT_PSEUDONYM_KEY": BENCH_KEY})
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    ok = proc.returncode == 0
    note = "" if ok else _tail(log)
    step = Step(name, seconds, usage.ru_maxrss / 1024, ok, note, os.getloadavg()[1])
    print(f"  {name}: {seconds:.0f} s, {step.peak_mb:,.0f} MB"
          f"{'' if ok else ' FAILED: ' + note}", file=sys.stderr, flush=True)
    return step


def _tail(log: Path, lines: int = 6) -> str:
    return " | ".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def _fresh_pg_schema(scale: float) -> None:
    admin = create_engine(PG_SERVER)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{_pg_schema(scale)}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{_pg_schema(scale)}"'))
    admin.dispose()


def _count_incidents(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM core_incident")).scalar() or 0)
    finally:
        engine.dispose()


def _record(build: Build) -> Path:
    return folder(build.scale) / f"build-{build.backend}.json"


def load(scale: float, backend: str) -> Build | None:
    """The recorded build of (scale, backend), if one was attempted."""
    path = _record(Build(scale, backend, ""))
    if not path.exists():
        return None
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["steps"] = [Step(**s) for s in raw["steps"]]
    return Build(**raw)


def build(scale: float, backend: str, rebuild: bool = False) -> Build:
    """The warehouse of (scale, backend): the recorded one when it exists and succeeded,
    else synth (shared by both backends), ingest and analyse, each timed."""
    found = None if rebuild else load(scale, backend)
    if found is not None and found.ok:
        return found
    out = folder(scale)
    out.mkdir(parents=True, exist_ok=True)
    sample = out / "sample"
    url = warehouse_url(scale, backend)
    made = Build(scale, backend, url)
    synth_record = out / "synth.json"
    if synth_record.exists() and (sample / "truth").exists():
        made.steps.append(Step(**json.loads(synth_record.read_text(encoding="utf-8"))))
    else:
        print(f"synth seed {SEED} scale {scale:g}", file=sys.stderr)
        step = _run_step("plait synth", ["synth", "--out", str(sample), "--seed", str(SEED),
                                         "--scale", f"{scale:g}"], out / "synth.log")
        made.steps.append(step)
        if not step.ok:
            return _save(made)
        synth_record.write_text(json.dumps(asdict(step)), encoding="utf-8")
    if backend == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{out / 'plait.db'}{suffix}").unlink(missing_ok=True)
    else:
        _fresh_pg_schema(scale)
    print(f"{backend}: ingest and analyse", file=sys.stderr)
    for name, args in (("plait ingest", ["ingest", str(sample), "--db", url]),
                       ("plait analyse", ["analyse", "--db", url])):
        step = _run_step(name, args, out / f"{name.split()[1]}-{backend}.log")
        made.steps.append(step)
        if not step.ok:
            break
    if made.steps[1].ok:
        made.incidents = _count_incidents(url)
    return _save(made)


def _save(made: Build) -> Build:
    _record(made).write_text(json.dumps(asdict(made), indent=1), encoding="utf-8")
    return made


if __name__ == "__main__":
    # python benchmarks/dashboard/build.py SCALE [sqlite|postgresql] [--rebuild]
    built = build(float(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "sqlite",
                  rebuild="--rebuild" in sys.argv)
    print(json.dumps(asdict(built), indent=1))
