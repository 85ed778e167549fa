"""The dashboard's tests: one analysed synthetic warehouse per session, and AppTest runs of
any page as any role.

The warehouse is `plait synth --seed 11` (2021-01..2026-09) through the real ingest and
analyse, on SQLite (the data layer's queries are SQLAlchemy Core and run on PostgreSQL too;
`test_data_layer` checks the two backends agree). A page run signs in by putting a `Viewer`
in the session, as the sign-in form does after checking the password.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from analytics.analyse import compute, read_inputs, read_link_inputs, read_release_inputs, store
from dashboards.access import Viewer
from etl.ingest import ingest_paths
from etl.synth import generate
from etl.warehouse import make_engine, migrate
from tests.conftest import TEST_KEY

APP = Path(__file__).parents[3] / "dashboards" / "app" / "streamlit_app.py"
AS_OF = dt.date(2026, 9, 1)
ROLES = ("national", "npcc", "force:kent", "force:west-yorkshire")
PAGES = ("overview", "trends", "map", "series", "intelligence", "investigation",
         "data_quality", "returns", "reports", "admin")


@pytest.fixture(scope="session")
def app_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("app-synth")
    generate(out, seed=11, start="2021-01", end="2026-09", scale=1.0)
    return out


@pytest.fixture(scope="session")
def app_db(app_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of an analysed SQLite warehouse, shared by the session's page tests."""
    url = f"sqlite:///{tmp_path_factory.mktemp('app-wh') / 'plait.db'}"
    engine = make_engine(url)
    migrate(engine)
    ingest_paths([app_sample], engine, TEST_KEY, today=dt.date(2026, 11, 28))
    incidents, forces = read_inputs(engine)
    analysis = compute(incidents, forces, as_of=AS_OF, link_incidents=read_link_inputs(engine),
                       release_incidents=read_release_inputs(engine))
    store(engine, analysis, incidents.height)
    engine.dispose()
    yield url


@pytest.fixture(scope="session")
def app_engine(app_db: str) -> Iterator[Engine]:
    engine = make_engine(app_db)
    yield engine
    engine.dispose()


@pytest.fixture
def app_env(app_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The environment `plait serve` gives the app: the warehouse and a users file."""
    users = tmp_path / "users.toml"
    monkeypatch.setenv("PLAIT_DB_URL", app_db)
    monkeypatch.setenv("PLAIT_USERS_FILE", str(users))
    monkeypatch.setenv("PLAIT_PSEUDONYM_KEY", TEST_KEY.decode())
    return users


def run_page(page: str | None, role: str | None, timeout: float = 120) -> AppTest:
    """Run the app signed in as `role` (None: signed out), on `page` (None: the default)."""
    assert "PLAIT_DB_URL" in os.environ, "use the app_env fixture"
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    if role is not None:
        at.session_state["plait_viewer"] = Viewer(f"test-{role}", role)
    at.run()
    if page is not None and page != "overview":
        at.switch_page(f"pages/{page}.py")
        at.run()
    return at
