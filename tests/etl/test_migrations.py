"""The migrations build exactly the schema that etl/schema.py declares, up and down."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from etl.schema import core_incident, metadata, raw_source_file
from etl.warehouse import alembic_config, load_reference, make_engine, migrate

pytestmark = pytest.mark.integration


def test_no_difference_between_migrations_and_schema(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_upgrade_downgrade_upgrade(warehouse_url: str) -> None:
    engine = make_engine(warehouse_url)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        command.downgrade(cfg, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_restatement_migration_keeps_loaded_rows_as_their_first_version(
        warehouse_url: str) -> None:
    """0008 on a warehouse holding a file and an incident: the incident becomes version 1,
    the file has 0 updated rows, the new check holds and bites, and on SQLite (whose table
    rebuild needs foreign keys off) they are on again and still hold."""
    engine = make_engine(warehouse_url)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0007")
    with engine.begin() as conn:
        load_reference(conn)
        conn.execute(text(
            "INSERT INTO raw_source_file (file_name, file_path, content_sha256, kind, force_id, "
            "read_count, loaded_count, duplicate_count, rejected_count, loaded_at) VALUES "
            "('kent_2026-09.csv', '/x/kent_2026-09.csv', 'ab', 'force_return', 'kent', 2, 1, "
            "0, 1, '2026-10-02 09:00:00')"))
        conn.execute(text(
            "INSERT INTO core_incident (incident_id, force_id, force_ref, reported_date, "
            "offence_group, channel, victim_role, suspect_keys, summary, outcome, "
            "is_duplicate, source_file_id, source_row) VALUES ('kent:1', 'kent', '1', "
            "'2026-09-03', 'harassment', 'email', 'mp', '', 'Emails.', 'charged', false, 1, 2)"))
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(select(core_incident.c.version, core_incident.c.changed_fields)
                            ).all() == [(1, None)]
        assert conn.execute(select(raw_source_file.c.updated_count)).scalar_one() == 0
        if engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(update(raw_source_file).values(updated_count=1))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(update(core_incident).values(source_file_id=99))
    engine.dispose()
