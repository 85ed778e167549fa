"""A non-editable install runs every command from a directory outside the repository.

The wheel is built from a copy of the sources (pyproject.toml and the three packages, nothing
else), as `pip install .` builds it, and installed without its dependencies into a fresh
virtual environment; the dependencies come from the test environment's site-packages, added
to the new environment's path by a `.pth` file. A `.pth` line adds a directory but does not
run the `.pth` files inside it, so the test environment's editable install of plait (which
points at this checkout) is not seen: every `etl`, `analytics` and `dashboards` module, and
every file they read, comes from the wheel. The first test checks exactly that. Commands run
as fresh processes with a temporary directory as their working directory, so the default
warehouse `sqlite:///data/plait.db` lands there too.

What would fail here and nowhere else: data found through the source tree
(`Path(__file__).parents[...]`) instead of `importlib.resources`, package data missing from
pyproject.toml, an import of a module that is not packaged.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.request import urlopen

import pytest

from tests.conftest import TEST_KEY
from tests.functional.test_cli import _incident_rows

pytestmark = pytest.mark.functional

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("etl", "analytics", "dashboards")


@dataclass(frozen=True)
class Installed:
    bin: Path  # the fresh environment's bin/ (python, plait)
    env: dict[str, str]  # the environment every command runs with
    work: Path  # the working directory, outside the repository

    def run(self, *args: str, stdin: str | None = None, timeout: float = 600,
            ) -> subprocess.CompletedProcess[str]:
        """`plait ARGS` as a user runs it from `work`; a failure shows its output."""
        done = subprocess.run([str(self.bin / "plait"), *args], cwd=self.work, env=self.env,
                              input=stdin, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"plait {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done

    def python(self, code: str, timeout: float = 300) -> str:
        done = subprocess.run([str(self.bin / "python"), "-c", code], cwd=self.work,
                              env=self.env, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
        return done.stdout


def _build_wheel(folder: Path) -> Path:
    """The wheel `pip install .` would build, from a copy holding only what it may use."""
    source = folder / "source"
    source.mkdir()
    shutil.copy(REPO / "pyproject.toml", source)
    shutil.copy(REPO / "README.md", source)
    for package in PACKAGES:
        shutil.copytree(REPO / package, source / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    wheels = folder / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--wheel-dir", str(wheels), str(source)],
                   check=True, capture_output=True, text=True, timeout=600)
    [wheel] = wheels.glob("plait-*.whl")
    return wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    folder = tmp_path_factory.mktemp("install")
    wheel = _build_wheel(folder)
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
                    "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True, text=True, timeout=600)
    site = Path(subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip())
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "test-dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    work = folder / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV") and not k.startswith("PLAIT_")}
    env |= {"PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            "PLAIT_PSEUDONYM_KEY": TEST_KEY.decode(), "HOME": str(folder / "home")}
    yield Installed(venv / "bin", env, work)


def test_the_installed_modules_and_their_data_come_from_the_wheel(installed: Installed) -> None:
    venv = installed.bin.parent.resolve()
    report = json.loads(installed.python(
        "import json, sys\n"
        "from importlib.resources import files\n"
        "import analytics, dashboards, etl\n"
        "from analytics.linkage import model_path\n"
        "data = {'reference': files('etl') / 'reference_data' / 'police_forces.csv',\n"
        "        'mapping': files('etl') / 'mappings' / 'kent.toml',\n"
        "        'migration': files('etl') / 'migrations' / 'env.py',\n"
        "        'template': files('dashboards') / 'templates' / 'report.html.j2',\n"
        "        'app': files('dashboards') / 'app' / 'pages' / 'overview.py',\n"
        "        'model': model_path()}\n"
        "print(json.dumps({'modules': [m.__file__ for m in (etl, analytics, dashboards)],\n"
        "                  'data': {k: str(v) for k, v in data.items() if v.is_file()},\n"
        "                  'path': sys.path}))\n"))
    for module in report["modules"]:
        assert Path(module).resolve().is_relative_to(venv), module
    assert set(report["data"]) == {"reference", "mapping", "migration", "template", "app",
                                   "model"}
    for path in report["data"].values():
        assert Path(path).resolve().is_relative_to(venv), path
    assert str(REPO) not in report["path"]  # '' (python -c) is the work folder, outside it


def test_every_command_runs_outside_the_repository(installed: Installed) -> None:
    import numpy as np
    import polars as pl

    helped = installed.run("--help").stdout
    for command in ("synth", "ingest", "analyse", "detect", "link", "similar", "report",
                    "serve", "demo", "users"):
        assert command in helped
    installed.run("synth", "--out", "extracts", "--seed", "4", "--start", "2023-01",
                  "--end", "2025-06", "--scale", "0.3")
    installed.run("ingest", "extracts", "--report", "reconciliation.json")
    reconciliation = json.loads((installed.work / "reconciliation.json").read_text())
    assert len(reconciliation) == 45 and {r["status"] for r in reconciliation} == {"loaded"}
    assert (installed.work / "data" / "plait.db").is_file()  # the default, under the cwd

    analysed = installed.run("analyse").stdout
    assert "Analysis run 1, as of 2025-06" in analysed
    installed.run("report", "--quarter", "2025Q2", "--format", "json", "--out", "n.json")
    release = json.loads((installed.work / "n.json").read_text())
    assert release["audience"] == "national" and release["sections"][0]["id"] == "summary"
    installed.run("report", "--quarter", "2025Q2", "--force", "kent", "--out", "kent.pdf")
    assert (installed.work / "kent.pdf").read_bytes()[:5] == b"%PDF-"

    truth = pl.read_csv(installed.work / "extracts" / "truth" / "exceedances.csv")
    assert truth.height > 0  # the generator's truth, written by the installed synth
    counts = np.random.default_rng(11).poisson(9, 132)
    counts[-1] = 45
    periods = [f"{2015 + i // 12}-{i % 12 + 1:02d}" for i in range(132)]
    pl.DataFrame({"series_id": "s", "period": periods, "count": counts}).write_csv(
        installed.work / "counts.csv")
    installed.run("detect", "--counts", "counts.csv", "--out", "alarms.csv")
    alarms = pl.read_csv(installed.work / "alarms.csv")
    assert alarms.height == 12 and alarms["period"][-1] == "2025-12" and alarms["alarm"][-1]

    rows = _incident_rows()
    pl.DataFrame(rows).write_csv(installed.work / "incidents.csv")
    installed.run("link", "--incidents", "incidents.csv", "--out", "series.csv")
    linked = pl.read_csv(installed.work / "series.csv")
    assert linked.height == len(rows)
    assert linked.filter(pl.col("incident_id").is_in([r["incident_id"] for r in rows[:4]])
                         )["series_id"].n_unique() == 1
    similar = installed.run("similar", "--incidents", "incidents.csv", "--seed",
                            rows[0]["incident_id"], "--out", "like.csv")
    assert similar.returncode == 0
    assert pl.read_csv(installed.work / "like.csv")["incident_id"].head(3).sort().to_list() == \
        sorted(r["incident_id"] for r in rows[1:4])

    installed.run("users", "add", "analyst", "--role", "force:kent", "--password-stdin",
                  stdin="a long enough password\n")
    assert installed.run("users", "list").stdout.split() == ["analyst", "force:kent"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_dashboard_runs_from_the_installed_package(installed: Installed) -> None:
    """`plait serve` answers, and the installed app's script runs signed out and signed in
    (on the warehouse the previous test analysed, or an empty one if run alone)."""
    env = {**installed.env, "PLAIT_USERS_FILE": str(installed.work / "users.toml"),
           "PLAIT_DB_URL": f"sqlite:///{installed.work / 'data' / 'plait.db'}"}
    script = (
        "from importlib.resources import files\n"
        "from streamlit.testing.v1 import AppTest\n"
        "from dashboards.access import Viewer\n"
        "app = str(files('dashboards') / 'app' / 'streamlit_app.py')\n"
        "for role in (None, 'national'):\n"
        "    at = AppTest.from_file(app, default_timeout=180)\n"
        "    if role:\n"
        "        at.session_state['plait_viewer'] = Viewer('test', role)\n"
        "    at.run()\n"
        "    assert not at.exception, [e.value for e in at.exception]\n"
        "    print(role, len(at.main.children))\n")
    done = subprocess.run([str(installed.bin / "python"), "-c", script], cwd=installed.work,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].startswith("national ")

    port = _free_port()
    log = installed.work / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen([str(installed.bin / "plait"), "serve", "--port", str(port)],
                                  cwd=installed.work, env=env, stdout=out, stderr=out)
    try:
        for _ in range(240):
            try:
                if urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise AssertionError(f"plait serve did not answer: {log.read_text()}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)
