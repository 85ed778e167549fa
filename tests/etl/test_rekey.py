"""Key rotation (issue 13): `plait rekey` changes every keyed hash in the warehouse and keeps
every link between incidents, those loaded before it and those loaded after, on SQLite and
PostgreSQL; ingest refuses a key that is not the warehouse's."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from dashboards.cli import app
from etl.ingest import ingest_paths
from etl.key_rotation import WrongKeyError, rekey
from etl.schema import core_incident, core_reject, meta_pseudonym_key, metadata
from etl.synth import generate
from etl.warehouse import make_engine, migrate
from tests.conftest import fresh_warehouse_url

pytestmark = pytest.mark.integration
TODAY = dt.date(2026, 11, 28)
OLD, NEW, NEWER = b"old-key-of-the-force-0123456789", b"new-key-0123456789abcdef", b"third"
HASH = re.compile(r"\b(?:v[0-9a-f]{20}|[0-9a-f]{32})\b")


@pytest.fixture(scope="module")
def halves(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], list[Path]]:
    """A synthetic country's returns in two halves: loaded before and after the rotation."""
    out = tmp_path_factory.mktemp("rekey-synth")
    generate(out, seed=9, start="2024-01", end="2025-12", scale=1.0)
    files = sorted(p for p in out.iterdir() if p.is_file())
    return files[::2], files[1::2]


@pytest.fixture
def engines(backend: str, tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    """Two fresh warehouses: the one re-keyed and a control that never is."""
    urls = [fresh_warehouse_url(backend, tmp_path / name) for name in ("a", "b")]
    made = []
    for url in urls:
        (tmp_path / "a").mkdir(exist_ok=True)
        (tmp_path / "b").mkdir(exist_ok=True)
        engine = make_engine(next(url))
        migrate(engine)
        made.append(engine)
    yield made[0], made[1]
    for engine, url in zip(made, urls, strict=True):
        engine.dispose()
        next(url, None)


def _incidents(engine: Engine) -> pl.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(select(core_incident.c.incident_id, core_incident.c.victim_id,
                                   core_incident.c.suspect_keys)).all()
    return pl.DataFrame(rows, schema={"incident_id": pl.String, "victim_id": pl.String,
                                      "suspect_keys": pl.String}, orient="row")


def _raw_rows(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [r for (r,) in conn.execute(select(core_reject.c.raw_row)
                                           .order_by(core_reject.c.reject_id))]


def _every_keyed_value(engine: Engine) -> set[str]:
    """Every victim id and suspect key in every table that holds them (current incidents,
    their earlier versions, any table added later with these columns)."""
    out: set[str] = set()
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for name in ("victim_id", "suspect_keys"):
                if name in table.c:
                    for (value,) in conn.execute(select(table.c[name])):
                        out.update(v for v in (value or "").split(";") if v)
    return out


def _links(incidents: pl.DataFrame) -> set[frozenset[str]]:
    """Incidents grouped by each shared victim id and each shared suspect key: the links
    linkage and repeat-victim counts stand on (the hash values themselves do not matter)."""
    keys = incidents.select("incident_id", pl.col("suspect_keys").str.split(";")
                            .alias("key")).explode("key").filter(pl.col("key") != "")
    victims = incidents.select("incident_id", pl.col("victim_id").alias("key")).drop_nulls()
    groups = pl.concat([keys, victims]).group_by("key").agg("incident_id")
    return {frozenset(g) for g in groups["incident_id"].to_list() if len(g) > 1}


def test_rekey_changes_every_hash_and_keeps_every_link(
        engines: tuple[Engine, Engine], halves: tuple[list[Path], list[Path]]) -> None:
    rotated, control = engines
    first, second = halves
    ingest_paths(first, rotated, OLD, today=TODAY)
    ingest_paths([*first, *second], control, OLD, today=TODAY)
    before, raws_before = _incidents(rotated), _raw_rows(rotated)
    every_before = _every_keyed_value(rotated)
    assert before["victim_id"].drop_nulls().len() > 300 and len(raws_before) >= 3

    report = rekey(rotated, OLD, NEW)
    after, raws_after = _incidents(rotated), _raw_rows(rotated)
    assert report.changed["core_incident.victim_id"] > 0
    both = before.join(after, on="incident_id", suffix="_new")
    assert both.height == before.height
    victims = both.drop_nulls("victim_id")
    assert (victims["victim_id"] != victims["victim_id_new"]).all()
    old_keys = set(";".join(before["suspect_keys"]).split(";")) - {""}
    new_keys = set(";".join(after["suspect_keys"]).split(";")) - {""}
    assert len(old_keys) == len(new_keys) > 100 and not old_keys & new_keys
    old_in_text = {h for r in raws_before for h in HASH.findall(r)}
    assert old_in_text and not old_in_text & {h for r in raws_after for h in HASH.findall(r)}
    assert _links(after) == _links(before)
    assert {"core_incident.victim_id", "core_reject.raw_row"} <= set(report.changed)
    every_after = _every_keyed_value(rotated)
    assert len(every_after) == len(every_before) and not every_after & every_before

    # loaded after the rotation with the new key: linked exactly as if nothing had changed
    ingest_paths(second, rotated, NEW, today=TODAY)
    assert _links(_incidents(rotated)) == _links(_incidents(control))
    assert any(len({i.split(":")[0] for i in g}) > 1 for g in _links(_incidents(control)))
    with pytest.raises(WrongKeyError, match="another PLAIT_PSEUDONYM_KEY"):
        ingest_paths(second, rotated, OLD, today=TODAY)

    rekey(rotated, NEW, NEWER)  # a second rotation wraps once more
    assert _links(_incidents(rotated)) == _links(_incidents(control))
    with rotated.connect() as conn:
        chain = conn.execute(select(meta_pseudonym_key).order_by("position")).mappings().all()
    assert [r["retired_key"] for r in chain] == [OLD.hex(), NEW.hex(), None]


def test_rekey_refuses_a_wrong_old_key_and_changes_nothing(
        engines: tuple[Engine, Engine], halves: tuple[list[Path], list[Path]]) -> None:
    engine, _ = engines
    ingest_paths(halves[0][:3], engine, OLD, today=TODAY)
    before = _incidents(engine)
    with pytest.raises(WrongKeyError):
        rekey(engine, NEW, NEWER)
    assert _incidents(engine).equals(before)


@pytest.mark.functional
def test_plait_rekey_reads_keys_from_the_environment(
        tmp_path: Path, halves: tuple[list[Path], list[Path]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'plait.db'}"
    engine = make_engine(url)
    migrate(engine)
    ingest_paths(halves[0][:3], engine, OLD, today=TODAY)
    before = _incidents(engine)
    runner = CliRunner()
    monkeypatch.setenv("PLAIT_OLD", OLD.decode())
    monkeypatch.setenv("PLAIT_NEW", NEW.decode())
    wrong = runner.invoke(app, ["rekey", "--new-key-env", "PLAIT_NEW", "--db", url])
    assert wrong.exit_code == 2 and "another PLAIT_PSEUDONYM_KEY" in wrong.output
    missing = runner.invoke(app, ["rekey", "--old-key-env", "PLAIT_OLD", "--new-key-env",
                                  "PLAIT_UNSET", "--db", url])
    assert missing.exit_code == 2 and "PLAIT_UNSET is not set" in missing.output
    done = runner.invoke(app, ["rekey", "--old-key-env", "PLAIT_OLD", "--new-key-env",
                               "PLAIT_NEW", "--db", url])
    assert done.exit_code == 0, done.output
    assert "core_incident.victim_id" in done.output
    after = _incidents(engine)
    assert _links(after) == _links(before) and not after["victim_id"].equals(
        before["victim_id"])
    engine.dispose()
