"""Every page, as every role: it runs, and what it renders respects the role.

Checked on the data the page hands to the browser (its dataframes and metrics), not on its
text: a force user never receives an incident of another force, nor a count of 1 to 7 (or a
count not rounded to 5) in a row about another force; an NPCC lead receives no incident at
all. Which columns hold counts is read from the label (reference figures such as the number
of constituencies or files are not counts of incidents)."""

from __future__ import annotations

import numbers
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from etl.reference import forces
from etl.schema import app_audit_event
from tests.dashboards.app.conftest import PAGES, ROLES, run_page

pytestmark = pytest.mark.functional

FORBIDDEN = {("returns", "npcc"), ("admin", "npcc"), ("admin", "force:kent"),
             ("admin", "force:west-yorkshire")}
NOT_COUNTS = re.compile(r"constituenc|\bfiles?\b|\bseries\b|\bforces\b|month|quarter|period|"
                        r"days|\brate|%|ratio|score|expected|upper|bound|residual|\bci\b|"
                        r"\brow\b|\bz\b|year|simulations", re.IGNORECASE)
INCIDENT_ID = re.compile(r"^([a-z][a-z-]+):[A-Za-z0-9/._-]+$")


def _forces() -> dict[str, str]:
    """force_id → name, and the names as the release prints them."""
    frame = forces()
    return dict(zip(frame["force_id"], frame["force_name"], strict=True))


def _frames(at: Any) -> list[Any]:
    return [element.value for element in at.dataframe]


def _leaks(frames: list[Any], own: str | None, names: dict[str, str]) -> list[str]:
    """What a viewer of force `own` (None: NPCC) received that they must not."""
    problems = []
    others = {fid for fid in names if fid != own}
    other_names = {names[f] for f in others} | others
    for frame in frames:
        columns = [str(c) for c in frame.columns]
        for row in frame.itertuples(index=False):
            cells = list(row)
            for cell in cells:
                found = INCIDENT_ID.match(cell) if isinstance(cell, str) else None
                if found and found[1] in names and found[1] != own:
                    problems.append(f"incident {cell} in a frame with {columns}")
            if not any(isinstance(c, str) and c.strip() in other_names for c in cells):
                continue
            for column, cell in zip(columns, cells, strict=True):
                if NOT_COUNTS.search(column) or isinstance(cell, bool):
                    continue
                if isinstance(cell, numbers.Real) and cell == cell and float(cell).is_integer():
                    value = int(cell)
                    if 1 <= value <= 7 or value % 5:
                        problems.append(f"count {value} in column {column!r} of a row about "
                                        f"another force: {cells}")
    return problems


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_for_every_role_and_keeps_to_it(
        app_env: Path, app_engine: Engine, page: str, role: str) -> None:
    at = run_page(page, role)
    assert not at.exception, [e.message for e in at.exception]
    if (page, role) in FORBIDDEN:
        assert at.error, "a forbidden page must say so"
        with app_engine.connect() as conn:
            refused = conn.execute(select(app_audit_event.c.page).where(
                (app_audit_event.c.action == "refused")
                & (app_audit_event.c.user_name == f"test-{role}"))).scalars().all()
        assert page in refused
        assert not _frames(at)
        return
    assert not at.error, [e.value for e in at.error]
    if role == "national":
        return
    own = role.split(":", 1)[1] if role.startswith("force:") else None
    assert _leaks(_frames(at), own, _forces()) == []


def test_signed_out_sees_only_the_sign_in_form(app_env: Path) -> None:
    at = run_page(None, None)
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not _frames(at) and not at.metric


def test_sign_in_checks_the_password_and_audits(app_env: Path, app_engine: Engine) -> None:
    from dashboards.access import add_user

    add_user(app_env, "kent-lead", "force:kent", "correct horse battery")
    at = run_page(None, None)
    at.text_input[0].input("kent-lead")
    at.text_input[1].input("wrong password!!")
    at.button[0].click().run()
    assert at.error and "not right" in at.error[0].value
    at.text_input[1].input("correct horse battery")
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["plait_viewer"].role == "force:kent"
    with app_engine.connect() as conn:
        actions = conn.execute(select(app_audit_event.c.action).where(
            app_audit_event.c.user_name.in_(["kent-lead", "(not signed in)"]))).scalars().all()
    assert "sign_in" in actions and "refused" in actions


def test_the_leak_check_catches_what_it_looks_for() -> None:
    import pandas as pd

    names = _forces()
    kent, essex = names["kent"], names["essex"]
    clean = pd.DataFrame({"Force": [kent, essex], "Incidents": [3, 15],
                          "Constituencies": [17, 18]})
    assert _leaks([clean], "kent", names) == []
    assert len(_leaks([clean.assign(Incidents=[3, 4])], "kent", names)) == 1
    assert len(_leaks([clean.assign(Incidents=[3, 12])], "kent", names)) == 1
    assert len(_leaks([pd.DataFrame({"Incident": ["essex:E1"]})], "kent", names)) == 1
    assert _leaks([pd.DataFrame({"Incident": ["kent:K1"]})], "kent", names) == []
    assert len(_leaks([pd.DataFrame({"Incident": ["kent:K1"]})], None, names)) == 1
