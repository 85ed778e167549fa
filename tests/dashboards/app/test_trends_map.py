"""The Trends and Map pages as a PLaIT analyst, an NPCC lead and Kent's force lead: they run,
another series or colouring can be chosen, and what they hand to the browser keeps to the role.

Checked on the frames and widget options the page renders: a non-national viewer is offered
no other force's series, and every count it receives about the nation, a region or another
force is published ("[c]", or a multiple of 5 outside 1..7); Kent's own series is exact. The
charts are drawn from the data functions' outputs, which `tests/dashboards/test_data_trends.py`
checks role by role."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from analytics.disclosure import SUPPRESSED, is_published
from etl.reference import forces
from etl.schema import out_exceedance
from tests.dashboards.app.conftest import run_page

pytestmark = pytest.mark.functional

ROLES = ("national", "npcc", "force:kent")
COUNT_COLUMNS = ("Observed", "Current", "Previous", "Incidents")


def _names() -> dict[str, str]:
    frame = forces()
    return dict(zip(frame["force_id"], frame["force_name"], strict=True))


def _published(cell: Any) -> bool:
    if cell == SUPPRESSED:
        return True
    if isinstance(cell, str):
        return cell.isdigit() and is_published(int(cell))
    return isinstance(cell, int | float) and float(cell).is_integer() and is_published(int(cell))


def _leaks(at: Any, own: str | None, skip: int = 0) -> list[str]:
    """Counts about anything but the viewer's own force that are not published, and rows
    naming another force outside the (disclosure-controlled) funnel table; the first `skip`
    frames (the viewer's own series) are left out. An empty cell (NaN) is no count."""
    names = _names()
    others = {n for f, n in names.items() if f != own}
    problems = []
    for element in at.dataframe[skip:]:
        frame = element.value
        funnel = "Constituencies" in frame.columns
        for row in frame.to_dict("records"):
            about_other = any(isinstance(v, str) and v in others for v in row.values())
            if about_other and not funnel and "Force" not in frame.columns:
                problems.append(f"a row about another force: {row}")
            for column in COUNT_COLUMNS:
                cell = row.get(column)
                if cell is None or cell != cell:
                    continue
                if not _published(cell):
                    problems.append(f"{column} {row[column]!r} not published: {row}")
    return problems


def _freq_box(at: Any) -> Any:
    return next(s for s in at.selectbox if s.key.startswith("trends_frequency"))


@pytest.mark.parametrize("role", ROLES)
def test_trends_page_switches_series_and_keeps_to_the_role(app_env: Path, role: str) -> None:
    at = run_page("trends", role)
    assert not at.exception, [e.message for e in at.exception]
    names = _names()
    areas = at.selectbox(key="trends_area").options
    others = {n for f, n in names.items() if f != "kent"}
    if role == "national":
        assert "West Yorkshire Police" in areas and "Kent Police" in areas
    else:
        assert not set(areas) & others
        assert ("Kent Police" in areas) == (role == "force:kent")
    assert at.subheader[0].value == "All forces: all incidents"

    at.selectbox(key="trends_what").select("By phone").run()
    frequency = _freq_box(at)
    assert frequency.options == (["Monthly", "Quarterly"] if role == "national"
                                 else ["Quarterly"])
    frequency.select("quarter").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.subheader[0].value == "All forces: by phone"
    series = at.dataframe[0].value
    assert list(series["Period"]) == ["2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    if role == "national":
        assert all(isinstance(v, int) for v in series["Observed"])
    else:
        assert all(_published(v) for v in series["Observed"])

    at.selectbox(key="trends_area").select("London").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.subheader[0].value.startswith("London: ")
    whats = at.selectbox(key="trends_what").options
    assert (len(whats) == 19) == (role == "national")
    if role != "national":
        assert _leaks(at, "kent" if role == "force:kent" else None) == []


def test_kent_sees_its_own_series_exactly(app_env: Path, app_engine: Engine) -> None:
    at = run_page("trends", "force:kent")
    at.selectbox(key="trends_area").select("Kent Police").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.subheader[0].value == "Kent Police: all incidents"
    assert _freq_box(at).options == ["Monthly", "Quarterly"]
    shown = at.dataframe[0].value
    table = out_exceedance
    with app_engine.connect() as conn:
        stored = conn.execute(select(table.c.observed_count).where(
            (table.c.series_id == "force:kent|all:all") & (table.c.frequency == "month"))
            .order_by(table.c.period)).scalars().all()
    assert list(shown["Observed"]) == list(stored)
    assert any(1 <= v <= 7 for v in stored)  # exact small counts: this is the own force
    assert len(at.dataframe) == 4 and _leaks(at, "kent", skip=3) == []


@pytest.mark.parametrize("role", ROLES)
def test_map_page_colours_by_what_the_role_may_see(app_env: Path, role: str) -> None:
    at = run_page("map", role)
    assert not at.exception, [e.message for e in at.exception]
    measure = at.selectbox(key="map_measure")
    assert len(measure.options) == (4 if role == "national" else 2)
    frame = at.dataframe[0].value
    assert frame.columns[0] == "Force"
    assert frame.shape[0] > 30

    measure.select("force_position").run()
    assert not at.exception, [e.message for e in at.exception]
    positions = set(at.dataframe[0].value.iloc[:, 1])
    assert positions <= {"within the limits", "above the 95% limit", "below the 95% limit",
                         "above the 99.8% limit", "below the 99.8% limit", "not assessed",
                         "suppressed"}
    if role == "national":
        at.selectbox(key="map_measure").select("constituency_count").run()
        assert not at.exception, [e.message for e in at.exception]
        counts = at.dataframe[0].value
        assert counts.columns[0] == "Constituency" and counts.shape[0] > 100
    else:
        assert "suppressed" in positions
        assert all("Constituency" not in e.value.columns for e in at.dataframe)
        assert _leaks(at, "kent" if role == "force:kent" else None) == []
