"""The dashboard's audit log: who saw incident-level data, uploaded or downloaded what, when.

One row per event in `app_audit_event`, written in its own transaction so that the record
survives whatever the page does next. The detail names the data (a force, a series, a file
name, a report), never a value from it: the log is itself read by the Admin page.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy import Engine, insert, select

from dashboards.access import Viewer
from etl.schema import app_audit_event

ACTIONS = ("sign_in", "sign_out", "view_incidents", "upload", "download", "refused")


def record(engine: Engine, viewer: Viewer | None, action: str, page: str, detail: str = ""
           ) -> None:
    """Write one event now."""
    if action not in ACTIONS:
        raise ValueError(f"audit action {action!r}: expected one of {', '.join(ACTIONS)}")
    with engine.begin() as conn:
        conn.execute(insert(app_audit_event).values(
            at=dt.datetime.now(dt.UTC), user_name=viewer.name if viewer else "(not signed in)",
            role=viewer.role if viewer else "", action=action, page=page[:40],
            detail=detail[:2000]))


def events(engine: Engine, limit: int = 500) -> pl.DataFrame:
    """The latest events, newest first."""
    query = select(app_audit_event).order_by(app_audit_event.c.event_id.desc()).limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    schema = {"event_id": pl.Int64, "at": pl.Datetime("us", "UTC"), "user_name": pl.String,
              "role": pl.String, "action": pl.String, "page": pl.String, "detail": pl.String}
    return pl.DataFrame([dict(r) for r in rows], schema=schema, orient="row")
