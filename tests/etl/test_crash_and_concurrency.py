"""`plait ingest` killed (SIGKILL) mid-load, and two of them on one warehouse at once.

A load is one transaction per file, under the warehouse's writer lock
(`etl.warehouse.exclusive`): a process killed at any point leaves the warehouse as it was
before that file, and the next run completes it; two processes on overlapping folders take
turns, load each file once, never deadlock, and the one that waits says what for.

The process is stopped at named points of a load (`etl.crash_points`, through
`$PLAIT_INGEST_PAUSE_AT`) and killed there from outside with SIGKILL, as an operator's
`kill -9` or the kernel's out-of-memory killer would. Bulk writes run in chunks of 40 rows
here (the production chunk is 50,000), so that a kill can land between two chunks of one
table. The warehouse is compared with one loaded without a crash, table by table, row by
row (surrogate ids and load times aside, which a rolled-back attempt may advance).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import DateTime, Engine, Integer, select

from etl.crash_points import PAUSE_ENV, PAUSED
from etl.schema import metadata, raw_source_file
from etl.synth import generate
from etl.warehouse import exclusive, make_engine
from tests.conftest import FIXTURES, fresh_warehouse_url

pytestmark = pytest.mark.functional
REPO = Path(__file__).resolve().parents[2]
CHUNK_ROWS = 40
RUN_PLAIT = (
    "import sys, etl.warehouse as w; w.COPY_CHUNK_ROWS = int(sys.argv.pop(1)); "
    "from dashboards.cli import app; app(prog_name='plait')"
)
FIRST = ("city-of-london_2016-01_2026-09.csv",)
FOLDER = (  # loaded in this order (kent first)
    "kent_2016-01_2026-09.xlsx",
    "metropolitan_2016-01_2026-09.csv",
    "surrey_2016-01_2026-09.xlsx",
    "west-midlands_2016-01_2026-09.jsonl",
)
STREET = FIXTURES / "police_uk" / "2019-01-city-of-london-street.csv"
# (point, what the warehouse must then hold: the state before the run, or after its first
# file); the points after "committed:1" are passed in the next run, which finds kent loaded
KILL_POINTS = (
    ("registered", "before"),
    ("chunk:1", "before"),
    ("chunk:3", "before"),
    ("rows-written", "before"),
    ("before-commit", "before"),
    ("committed:1", "first"),
    ("registered", "first"),
    ("chunk:2", "first"),
    ("before-commit", "first"),
)
TIMEOUT = 300


@pytest.fixture(scope="module")
def extracts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Synthetic force returns (invented people), a few forces that transfer crimes."""
    out = tmp_path_factory.mktemp("synth")
    generate(out, seed=23, start="2016-01", end="2026-09", scale=0.5)
    return out


def _folders(extracts: Path, root: Path) -> tuple[Path, Path]:
    first, folder = root / "first", root / "folder"
    first.mkdir()
    folder.mkdir()
    for name in FIRST:
        shutil.copy(extracts / name, first / name)
    shutil.copy(STREET, first / STREET.name)
    for name in FOLDER:
        shutil.copy(extracts / name, folder / name)
    return first, folder


def _command(url: str, *paths: Path, report: Path | None = None) -> list[str]:
    extra = ["--report", str(report)] if report else []
    return [sys.executable, "-c", RUN_PLAIT, str(CHUNK_ROWS), "ingest",
            *map(str, paths), "--db", url, *extra]


def _env(pause_at: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != PAUSE_ENV}
    env["PLAIT_PSEUDONYM_KEY"] = "crash-test-key"
    if pause_at:
        env[PAUSE_ENV] = pause_at
    return env


def _ingest(url: str, *paths: Path) -> None:
    done = subprocess.run(_command(url, *paths), env=_env(), cwd=REPO, capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr


def _read_lines(proc: subprocess.Popen[str]) -> tuple[list[str], threading.Thread]:
    """The process's stderr lines as they come (a list a thread keeps filling)."""
    assert proc.stderr is not None
    stream = proc.stderr
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(stream.readline, "")))
    reader.start()
    return lines, reader


def _kill_at(url: str, point: str, *paths: Path) -> None:
    """Run until the process pauses at `point`, then SIGKILL it."""
    proc = subprocess.Popen(_command(url, *paths), env=_env(point), cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen, reader = _read_lines(proc)
    deadline = time.monotonic() + TIMEOUT
    while not any(PAUSED in line for line in seen) and proc.poll() is None:
        assert time.monotonic() < deadline, f"never reached {point}"
        time.sleep(0.05)
    assert proc.poll() is None, f"exited before reaching {point}: {''.join(seen)}"
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=60) == -signal.SIGKILL
    reader.join(timeout=60)


def snapshot(engine: Engine) -> dict[str, pl.DataFrame]:
    """Every raw_ and core_ table's rows, sorted, without surrogate ids and load times."""
    out: dict[str, pl.DataFrame] = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            if not table.name.startswith(("raw_", "core_")):
                continue
            columns = [
                c for c in table.columns
                if not isinstance(c.type, DateTime)
                and not (c.primary_key and isinstance(c.type, Integer) and c.autoincrement)
                and c.name != "source_file_id"
            ]
            frame = pl.DataFrame(conn.execute(select(*columns)).all(),
                                 schema=[c.name for c in columns], orient="row",
                                 infer_schema_length=None)
            out[table.name] = frame.sort(frame.columns, nulls_last=True)
    return out


def assert_same(got: dict[str, pl.DataFrame], expected: dict[str, pl.DataFrame]) -> None:
    assert got.keys() == expected.keys()
    for name, frame in expected.items():
        assert got[name].height == frame.height, name
        assert got[name].equals(frame), name


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouses(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two empty warehouses on the backend: one to crash, one to load cleanly."""
    crashed = fresh_warehouse_url(request.param, tmp_path / "crashed")
    clean = fresh_warehouse_url(request.param, tmp_path / "clean")
    (tmp_path / "crashed").mkdir()
    (tmp_path / "clean").mkdir()
    yield next(crashed), next(clean)
    next(crashed, None)
    next(clean, None)


def test_a_kill_at_any_point_leaves_the_warehouse_as_before_the_file_and_a_rerun_completes(
    extracts: Path, warehouses: tuple[str, str], tmp_path: Path
) -> None:
    crashed_url, clean_url = warehouses
    first, folder = _folders(extracts, tmp_path)
    [first_in_folder] = sorted(folder.iterdir())[:1]

    _ingest(clean_url, first)
    clean = make_engine(clean_url)
    states = {"before": snapshot(clean)}
    _ingest(clean_url, first_in_folder)
    states["first"] = snapshot(clean)
    _ingest(clean_url, folder)
    states["all"] = snapshot(clean)
    clean.dispose()
    assert states["all"]["core_incident"].height > states["first"]["core_incident"].height

    _ingest(crashed_url, first)
    crashed = make_engine(crashed_url)
    assert_same(snapshot(crashed), states["before"])
    for point, expected in KILL_POINTS:
        _kill_at(crashed_url, point, folder)
        assert_same(snapshot(crashed), states[expected])
    _ingest(crashed_url, folder)
    assert_same(snapshot(crashed), states["all"])
    crashed.dispose()


def test_two_ingests_of_overlapping_folders_take_turns_and_load_each_file_once(
    extracts: Path, warehouses: tuple[str, str], tmp_path: Path
) -> None:
    url, clean_url = warehouses
    files = [extracts / name for name in (*FIRST, *FOLDER)]
    one, two = files[:4], files[2:]
    _ingest(clean_url, *files)
    clean = make_engine(clean_url)
    expected = snapshot(clean)
    clean.dispose()

    engine = make_engine(url)
    reports = [tmp_path / "one.json", tmp_path / "two.json"]
    holder = "the concurrency test holding the warehouse"
    waiting = f"waiting for the warehouse {engine.url.database}: {holder}"
    with exclusive(engine, holder):  # both start while the warehouse is busy
        procs = [
            subprocess.Popen(_command(url, *paths, report=report), env=_env(), cwd=REPO,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            for paths, report in zip((one, two), reports, strict=True)
        ]
        said = [_read_lines(proc) for proc in procs]
        deadline = time.monotonic() + TIMEOUT
        while not all(any(waiting in line for line in lines) for lines, _ in said):
            assert time.monotonic() < deadline, said
            assert all(proc.poll() is None for proc in procs), said
            time.sleep(0.05)
    for proc, (lines, reader) in zip(procs, said, strict=True):
        assert proc.wait(timeout=TIMEOUT) == 0, lines
        reader.join(timeout=60)
        assert any(f"for: {holder}" in line and "waited" in line for line in lines), lines

    by_file: dict[str, list[str]] = {}
    for report in reports:
        for line in json.loads(report.read_text()):
            by_file.setdefault(Path(line["file"]).name, []).append(line["status"])
    assert set(by_file) == {p.name for p in files}
    for name, statuses in by_file.items():
        assert statuses.count("loaded") == 1, (name, statuses)
        assert set(statuses) <= {"loaded", "skipped"}, (name, statuses)
    with engine.connect() as conn:
        hashes = conn.execute(select(raw_source_file.c.content_sha256)).scalars().all()
    assert len(hashes) == len(set(hashes)) == len(files)
    assert_same(snapshot(engine), expected)
    engine.dispose()
