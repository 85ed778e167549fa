"""Shared fixtures: a fresh warehouse on every backend the project claims (SQLite, PostgreSQL).

PostgreSQL tests each get their own schema in the `test` database (search_path set on the
connection), so they run in parallel with nothing left behind. Set
PLAIT_TEST_POSTGRES_URL to point elsewhere.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from etl.warehouse import make_engine, migrate

POSTGRES_URL = os.environ.get(
    "PLAIT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
FIXTURES = Path(__file__).parent / "fixtures"
TEST_KEY = b"plait-test-key"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def fresh_warehouse_url(backend: str, folder: Path) -> Iterator[str]:
    """Yield the URL of an empty warehouse on `backend`, then clean it away."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'warehouse.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def warehouse_url(backend: str, tmp_path: Path) -> Iterator[str]:
    yield from fresh_warehouse_url(backend, tmp_path)


@pytest.fixture
def engine(warehouse_url: str) -> Iterator[Engine]:
    eng = make_engine(warehouse_url)
    migrate(eng)
    yield eng
    eng.dispose()
