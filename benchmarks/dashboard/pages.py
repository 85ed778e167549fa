"""Server time of every dashboard page, per role, on one warehouse: run in its own process.

`python benchmarks/dashboard/pages.py URL [--warm N] [--profile]` prints one JSON object.
Each page runs in Streamlit's `AppTest`, signed in as `tests/dashboards/app/conftest.py`
signs in (a `Viewer` in the session). The time is the script run on the server: the
ScriptRunner thread's life for that run (entry script, navigation and the page, Streamlit's
caches included), not the browser's drawing; `AppTest`'s own parsing of the output is left out.

Cold start: Streamlit's data caches are emptied once, before the first page's first run, as
after a server restart; that run builds the release every page but Admin and Returns reads
(`state._releases`, cached 15 minutes), which costs the same whichever page asks first. Every
page × role then opens in a new session: its first run (the caches as the pages before left
them), then N warm runs of the same session in the same process (Streamlit's caches are shared
by the whole server process). A run during which the release was rebuilt (its cache expired)
is flagged and left out of the warm median. With `--profile`, one more warm run of each page is
profiled (cProfile inside the script thread) and the functions of this repository taking the
most time are kept, so a slow page says where its time goes; the release build is profiled
the same way.
"""

from __future__ import annotations

import ast
import contextlib
import cProfile
import io
import json
import logging
import os
import pstats
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
APP = REPO / "dashboards" / "app" / "streamlit_app.py"
PAGES_DIR = APP.parent / "pages"
ROLES = ("national", "force:kent", "npcc")
TIMEOUT_SECONDS = 1800.0

_clock: dict[str, Any] = {"seconds": 0.0, "profile": None, "release_builds": 0}


def _instrument() -> None:
    """Time (and, when asked, profile) the script thread of every AppTest run."""
    from streamlit.testing.v1.local_script_runner import LocalScriptRunner

    original = LocalScriptRunner._run_script_thread

    def timed(self: LocalScriptRunner) -> None:
        profile = _clock["profile"]
        start = time.perf_counter()
        if profile is not None:
            profile.enable()
        try:
            original(self)
        finally:
            if profile is not None:
                profile.disable()
            _clock["seconds"] = time.perf_counter() - start

    LocalScriptRunner._run_script_thread = timed  # type: ignore[method-assign]

    from dashboards import data

    build_releases = data.all_releases

    def counted(*args: Any, **kwargs: Any) -> Any:
        _clock["release_builds"] += 1
        return build_releases(*args, **kwargs)

    data.all_releases = counted  # type: ignore[assignment]


def page_roles() -> list[tuple[str, tuple[str, ...]]]:
    """The app's pages (those whose file exists) and the roles each is open to, read from
    `PAGES` in the entry script, so the benchmark follows the app."""
    tree = ast.parse(APP.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "PAGES" for t in node.targets):
            pages: dict[str, tuple[str, str, tuple[str, ...]]] = ast.literal_eval(node.value)
            return [(name, roles) for name, (_, _, roles) in pages.items()
                    if (PAGES_DIR / f"{name}.py").exists()]
    raise RuntimeError(f"no PAGES in {APP}")


def allowed(role: str, roles: tuple[str, ...]) -> bool:
    kinds = {role, "force" if role.startswith("force:") else role}
    return not roles or bool(kinds & set(roles))


def is_placeholder(page: str) -> bool:
    """A page another engineer has not built yet (its docstring says so)."""
    return '"""Being built' in (PAGES_DIR / f"{page}.py").read_text(encoding="utf-8")[:200]


def _one_run(at: Any) -> tuple[float, str, bool]:
    """Run the session's current page once: the script thread's seconds, any error, and
    whether the release was built during the run."""
    _clock["seconds"], _clock["release_builds"] = float("nan"), 0
    at.run(timeout=TIMEOUT_SECONDS)
    error = ""
    if at.exception:
        error = " ".join(str(e.message) for e in at.exception)[:300]
    elif any("cannot open this page" in str(e.value) for e in at.error):
        error = "refused"
    return float(_clock["seconds"]), error, _clock["release_builds"] > 0


def time_page(page: str, role: str, warm: int, profile: bool, cold: bool) -> dict[str, Any]:
    """The page's first run in a new session (after emptying the caches when `cold`), then
    `warm` more runs of that session."""
    from streamlit.testing.v1 import AppTest

    from dashboards.access import Viewer

    with _quiet():
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_SECONDS)
        at.session_state["plait_viewer"] = Viewer(f"bench-{role}", role)
    if page != "overview":
        at.run(timeout=TIMEOUT_SECONDS)  # the default page, as on signing in; not timed
        at.switch_page(f"pages/{page}.py")
    if cold:
        with _quiet():
            import streamlit as st

            st.cache_data.clear()
    first, error, first_built = _one_run(at)
    warm_runs, rebuilt = [], 0
    while len(warm_runs) < (warm if not error else 0):
        seconds, error, built = _one_run(at)
        if error:
            break
        if built:  # not a warm run: the release's cache expired during it
            rebuilt += 1
            if rebuilt > warm:
                break
            continue
        warm_runs.append(seconds)
    out: dict[str, Any] = {"page": page, "role": role, "first": first, "cold": cold,
                           "first_built_release": first_built, "warm": warm_runs,
                           "warm_median": statistics.median(warm_runs) if warm_runs else None,
                           "rebuilt_during_warm": rebuilt, "error": error,
                           "placeholder": is_placeholder(page)}
    if profile and not error:
        out["profile"] = _profiled_run(at)
    print(f"  {page:14} {role:12} first {first:7.2f} s{' (cold)' if cold else ''}  warm "
          f"{' '.join(f'{s:.2f}' for s in warm_runs)}{'  ERROR ' + error if error else ''}",
          file=sys.stderr, flush=True)
    return out


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Streamlit warns about every call made outside a script run; these are on purpose."""
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def _profiled_run(at: Any) -> list[dict[str, Any]]:
    """One more warm run under cProfile: this repository's functions by cumulative time."""
    profile = cProfile.Profile()
    _clock["profile"] = profile
    try:
        _one_run(at)
    finally:
        _clock["profile"] = None
    return _repo_functions(profile)


def _repo_functions(profile: cProfile.Profile, top: int = 12) -> list[dict[str, Any]]:
    stats = pstats.Stats(profile, stream=io.StringIO())
    rows = []
    for (filename, line, name), (_, calls, _tt, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        path = Path(filename)
        if REPO in path.parents and not {".venv", "benchmarks"} & set(path.parts):
            rows.append({"function": f"{path.relative_to(REPO)}:{line} {name}",
                         "calls": calls, "cumulative": cumulative})
    return sorted(rows, key=lambda r: -r["cumulative"])[:top]


def release_build_seconds() -> dict[str, Any]:
    """`data.all_releases` of the latest run, outside Streamlit and profiled: what a cold
    release page waits for on top of its own work, and where that time goes."""
    from dashboards import data
    from etl.warehouse import make_engine

    engine = make_engine(os.environ["PLAIT_DB_URL"])
    try:
        run = data.latest_run(engine)
        if run is None:
            return {"seconds": None, "audiences": 0}
        profile = cProfile.Profile()
        start = time.perf_counter()
        profile.enable()
        releases = data.all_releases(engine, run)
        profile.disable()
        return {"seconds": time.perf_counter() - start, "audiences": len(releases),
                "quarter": run.quarter_label, "run_id": run.run_id,
                "profile": _repo_functions(profile)}
    finally:
        engine.dispose()


def main(argv: list[str]) -> dict[str, Any]:
    url = argv[0]
    warm = int(argv[argv.index("--warm") + 1]) if "--warm" in argv else 3
    profile = "--profile" in argv
    only = argv[argv.index("--pages") + 1].split(",") if "--pages" in argv else None
    os.environ["PLAIT_DB_URL"] = url
    os.environ.setdefault("PLAIT_USERS_FILE", str(Path(tempfile.mkdtemp()) / "users.toml"))
    os.chdir(REPO)
    _instrument()
    results: dict[str, Any] = {"url": url, "warm_runs": warm, "pages": []}
    results["release_build"] = release_build_seconds()
    cold = True
    for page, roles in page_roles():
        if only and page not in only:
            continue
        for role in ROLES:
            if not allowed(role, roles):
                continue
            try:
                results["pages"].append(time_page(page, role, warm, profile, cold))
                cold = False
            except Exception as exc:  # a page that breaks the harness is reported, not fatal
                traceback.print_exc()
                results["pages"].append({"page": page, "role": role, "first": None,
                                         "cold": cold, "warm": [], "warm_median": None,
                                         "rebuilt_during_warm": 0, "placeholder": False,
                                         "error": f"{type(exc).__name__}: {exc}"[:300]})
    return results


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:]), indent=1))
