"""Charts from release tables: they render, suppressed cells are never zeros or numbers, the
alt text is written from the published data, and funnel limits are the binomial (charge rate)
and Poisson (incidence) quantiles."""

from __future__ import annotations

import copy
import re
from typing import Any

import numpy as np
import pytest
from scipy.stats import binom, poisson

from dashboards.charts import (
    OKABE_ITO,
    Chart,
    charge_rate_funnel,
    incidence_funnel,
    mix_comparison,
    quarterly_trend,
    to_svg,
)

pytestmark = pytest.mark.unit

C = "[c]"
QUARTERS = [f"{y}Q{q}" for y, q in [(2024, 4), *[(2025, q) for q in (1, 2, 3, 4)],
                                    *[(2026, q) for q in (1, 2, 3)]]]
HIDDEN = 6
"""The true count behind the suppressed cell: it must never reach the chart or its alt text."""

FORCE_RAW = [15, 20, HIDDEN, 25, 30, 20, 15, 25]
REGION_RAW = [40, 45, 50, 55, 60, 45, 40, 50]
NATION_RAW = [160, 150, 165, 170, 175, 160, 155, 140]


def _published(count: int) -> int | str:
    return C if 1 <= count <= 7 else count


def trend_table() -> dict[str, Any]:
    return {
        "id": "incidents_by_quarter",
        "title": "Incidents reported by quarter",
        "columns": ["quarter", "Kent Police", "South East", "All forces"],
        "count_columns": ["Kent Police", "South East", "All forces"],
        "rows": [[q, _published(f), r, n]
                 for q, f, r, n in zip(QUARTERS, FORCE_RAW, REGION_RAW, NATION_RAW, strict=True)],
    }


def national_trend_table() -> dict[str, Any]:
    return {
        "id": "incidents_by_quarter",
        "title": "Incidents reported by quarter",
        "columns": ["quarter", "All forces"],
        "count_columns": ["All forces"],
        "rows": [[q, n] for q, n in zip(QUARTERS, NATION_RAW, strict=True)],
    }


def funnel_table() -> dict[str, Any]:
    return {
        "id": "charge_rate_funnel",
        "title": "Charge rate by force against the national rate (funnel plot)",
        "columns": ["force", "charged", "incidents", "rate_pct", "position"],
        "count_columns": ["charged", "incidents"],
        "rows": [
            ["Dorset Police", 0, 10, 0.0, "within the limits"],
            ["Kent Police", C, 25, C, None],
            ["Metropolitan Police Service", 200, 800, 25.0, "above the 99.8% limit"],
            ["Surrey Police", 20, 150, 13.3, "within the limits"],
            ["Thames Valley Police", 10, 200, 5.0, "below the 95% limit"],
            ["Wiltshire Police", None, None, None, None],
        ],
    }


NATIONAL_RATE = 1.5
"""Incidents per constituency, all forces."""


def incidence_table() -> dict[str, Any]:
    return {
        "id": "incidents_funnel",
        "title": "Incidents per constituency by force, 12 months to March 2026 (national rate "
                 "1.50)",
        "columns": ["force", "incidents", "constituencies", "incidents_per_constituency",
                    "position"],
        "count_columns": ["incidents"],
        "rows": [
            ["Bedfordshire Police", C, 6, None, None],
            ["Cambridgeshire Constabulary", 15, 8, 1.88, "above the 95% limit"],
            ["Dyfed-Powys Police", 0, 4, 0.0, "within the limits"],
            ["Kent Police", 27, 18, 1.5, "within the limits"],
            ["Metropolitan Police Service", 180, 75, 2.4, "above the 99.8% limit"],
            ["Surrey Police", None, 11, None, None],
            ["Thames Valley Police", 14, 19, 0.74, "below the 95% limit"],
        ],
    }


def mix_table() -> dict[str, Any]:
    return {
        "id": "channel_mix",
        "title": "How incidents were made: this quarter against the previous 4",
        "columns": ["channel", "quarter", "quarter_pct", "previous_4_quarters",
                    "previous_4_quarters_pct", "adjusted_residual"],
        "count_columns": ["quarter", "previous_4_quarters"],
        "rows": [
            ["Email", 50, 50.0, 200, 40.0, 1.2],
            ["Social media", 40, 40.0, 250, 50.0, -1.0],
            ["Letter", C, C, 50, 10.0, None],
            ["In person", C, C, C, C, None],
        ],
    }


def data_rows(chart: Chart) -> list[dict[str, Any]]:
    """Every inline data row of the spec, wherever Altair put it (data or datasets)."""
    rows: list[dict[str, Any]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("values"), list):
                rows.extend(node["values"])
            for key, value in node.items():
                if key == "datasets":
                    for values in value.values():
                        rows.extend(values)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(chart.spec.to_dict())
    return rows


def has_number(text: str, number: int | float) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(f'{number:g}')}(?![\w]|\.\d)", text) is not None


CASES = [
    (lambda: quarterly_trend(trend_table()), ["Quarter", "Incidents"]),
    (lambda: quarterly_trend(national_trend_table()), ["Quarter", "Incidents"]),
    (lambda: charge_rate_funnel(funnel_table(), 15.0),
     ["Incidents (log scale)", "Charged or summonsed (%)"]),
    (lambda: mix_comparison(mix_table()), ["Share of incidents (%)", "How the incident was made"]),
    (lambda: incidence_funnel(incidence_table(), NATIONAL_RATE),
     ["Constituencies (log scale)", "Incidents per constituency"]),
]
IDS = ["trend", "national", "funnel", "mix", "incidence"]


@pytest.mark.parametrize(("build", "axis_titles"), CASES, ids=IDS)
def test_renders_to_svg_with_axis_titles_and_no_title(build, axis_titles) -> None:
    chart = build()
    svg = to_svg(chart)
    assert svg.startswith("<svg")
    for title in axis_titles:
        assert f">{title}<" in svg.replace("&amp;", "&")
    assert "Incidents reported by quarter" not in svg
    assert "funnel plot" not in svg
    assert "against the previous 4" not in svg
    assert chart.alt_text


@pytest.mark.parametrize("build", [c[0] for c in CASES], ids=IDS)
def test_same_input_same_svg(build) -> None:
    assert to_svg(build()) == to_svg(build())


def test_chart_does_not_change_its_table() -> None:
    table = trend_table()
    before = copy.deepcopy(table)
    quarterly_trend(table)
    assert table == before


def test_trend_suppressed_quarter_is_a_gap_not_zero() -> None:
    rows = data_rows(quarterly_trend(trend_table()))
    suppressed_q = QUARTERS[FORCE_RAW.index(HIDDEN)]
    kent = {r["quarter"]: r["incidents"] for r in rows if r["area"] == "Kent Police"}
    assert kent[suppressed_q] is None
    assert all(v is not None for q, v in kent.items() if q != suppressed_q)
    assert not any(r["incidents"] in (C, 0, HIDDEN) for r in rows)
    assert len(rows) == 3 * len(QUARTERS)


def test_trend_series_differ_without_colour() -> None:
    encoding = quarterly_trend(trend_table()).spec.to_dict()["encoding"]
    dashes = encoding["strokeDash"]["scale"]["range"]
    shapes = encoding["shape"]["scale"]["range"]
    colours = encoding["color"]["scale"]["range"]
    assert len({tuple(d) for d in dashes}) == len(dashes) == 3
    assert len(set(shapes)) == 3
    assert set(colours) <= set(OKABE_ITO)


def test_trend_alt_text_quotes_first_last_and_highest_published_values() -> None:
    table = trend_table()
    text = quarterly_trend(table).alt_text
    assert text.startswith("Line chart: incidents per quarter")
    assert f"{QUARTERS[0]} to {QUARTERS[-1]}" in text
    for i, area in enumerate(table["columns"][1:], start=1):
        published = [(r[0], r[i]) for r in table["rows"] if isinstance(r[i], int)]
        top_q, top_v = max(published, key=lambda qv: qv[1])
        assert f"{area}: from {published[0][1]} to {published[-1][1]}, highest {top_v} in {top_q}" \
            in text
    assert "gaps" in text


def test_alt_texts_never_quote_a_suppressed_value() -> None:
    texts = [quarterly_trend(trend_table()).alt_text,
             charge_rate_funnel(funnel_table(), 15.0).alt_text,
             mix_comparison(mix_table()).alt_text,
             incidence_funnel(incidence_table(), NATIONAL_RATE).alt_text]
    for text in texts:
        assert C not in text
        assert "None" not in text
    assert not has_number(texts[0], HIDDEN)
    assert "Kent Police" not in texts[1]
    assert "Letter: this quarter not published, 10% in the previous 4." in texts[2]
    assert "In person" in texts[2] and not has_number(texts[2], 0)
    assert "Bedfordshire Police" not in texts[3] and not has_number(texts[3], 6)


def test_trend_alt_text_names_the_quarter_when_an_end_is_suppressed() -> None:
    table = national_trend_table()
    table["columns"].append("Dorset Police")
    for i, row in enumerate(table["rows"]):
        row.append(C if i in (0, len(QUARTERS) - 1) else 10 * i)
    table["rows"][3][2] = C
    text = quarterly_trend(table).alt_text
    assert (f"Dorset Police: from 10 in {QUARTERS[1]} to 60 in {QUARTERS[-2]}, highest 60 in "
            f"{QUARTERS[-2]}; 3 suppressed quarters.") in text
    assert not has_number(text, 30)
    for row in table["rows"]:
        row[2] = C
    assert "Dorset Police: no quarter published." in quarterly_trend(table).alt_text


def test_funnel_plots_only_forces_with_rate_and_incidents_published() -> None:
    chart = charge_rate_funnel(funnel_table(), 15.0)
    forces = {r["force"]: r for r in data_rows(chart) if "force" in r}
    published = [r for r in funnel_table()["rows"]
                 if isinstance(r[2], int) and isinstance(r[3], float)]
    assert set(forces) == {r[0] for r in published}
    for force, _, incidents, rate, _ in published:
        assert (forces[force]["incidents"], forces[force]["rate_pct"]) == (incidents, rate)
    assert "2 forces are not shown" in chart.alt_text
    assert "Metropolitan Police Service, 25% of 800 incidents, above the 99.8% limit" \
        in chart.alt_text
    assert "the national rate is 15%" in chart.alt_text


def funnel_curves(national: float) -> dict[str, dict[int, float]]:
    rows = data_rows(charge_rate_funnel(funnel_table(), national))
    curves: dict[str, dict[int, float]] = {}
    for r in rows:
        if "curve" in r:
            curves.setdefault(r["curve"], {})[r["incidents"]] = r["rate_pct"]
    return curves


def test_funnel_limits_narrow_as_the_denominator_grows() -> None:
    curves = funnel_curves(15.0)
    for name in ("limit95", "limit998"):
        low, high = curves[f"{name}_low"], curves[f"{name}_high"]
        grid = sorted(high)
        width = {n: high[n] - low[n] for n in grid}
        for n in grid:
            for m in grid:
                if m >= 4 * n:
                    assert width[m] < width[n], (name, n, m)
        assert all(low[n] <= 15.0 <= high[n] for n in grid)
    assert all(curves["limit998_high"][n] >= curves["limit95_high"][n] for n in grid)
    assert set(curves["national"].values()) == {15.0}


@pytest.mark.parametrize("national", [15.0, 32.5])
def test_funnel_limits_are_binomial_quantiles(national: float) -> None:
    curves = funnel_curves(national)
    theta = national / 100
    grid = sorted(curves["limit95_high"])
    for n in (grid[len(grid) // 2], grid[-1]):
        for name, side, p in (("limit95", "low", 0.025), ("limit95", "high", 0.975),
                              ("limit998", "low", 0.001), ("limit998", "high", 0.999)):
            r_p = binom.ppf(p, n, theta)
            drawn = curves[f"{name}_{side}"][n] / 100 * n
            assert r_p - 1 <= drawn + 1e-6 and drawn <= r_p + 1e-6
            at, below = binom.cdf(r_p, n, theta), binom.cdf(r_p - 1, n, theta)
            alpha = (at - p) / (at - below)
            assert drawn == pytest.approx(r_p - alpha, abs=1e-4 * n)
    assert np.isfinite(list(curves["limit998_low"].values())).all()


def test_mix_omits_suppressed_shares() -> None:
    chart = mix_comparison(mix_table())
    rows = data_rows(chart)
    shares = {(r["category"], r["period"]): r["share_pct"] for r in rows}
    assert shares == {
        ("Email", "This quarter"): 50.0, ("Email", "Previous 4 quarters"): 40.0,
        ("Social media", "This quarter"): 40.0, ("Social media", "Previous 4 quarters"): 50.0,
        ("Letter", "Previous 4 quarters"): 10.0,
    }
    assert "Email: 50% this quarter, 40% in the previous 4." in chart.alt_text
    assert "Not shown (not published): In person." in chart.alt_text


def test_incidence_funnel_plots_only_forces_with_published_incidents() -> None:
    chart = incidence_funnel(incidence_table(), NATIONAL_RATE)
    rows = data_rows(chart)
    forces = {r["force"]: r for r in rows if "force" in r}
    published = [r for r in incidence_table()["rows"] if isinstance(r[1], int)]
    assert set(forces) == {r[0] for r in published}
    for force, incidents, constituencies, per, position in published:
        assert forces[force] == {"force": force, "incidents": incidents,
                                 "constituencies": constituencies,
                                 "incidents_per_constituency": per, "position": position}
    assert not any(C in r.values() or "Bedfordshire Police" in r.values() for r in rows)
    assert "Bedfordshire" not in chart.spec.to_json()


def test_incidence_funnel_alt_text_from_published_data() -> None:
    text = incidence_funnel(incidence_table(), NATIONAL_RATE).alt_text
    assert text.startswith("Funnel plot: incidents per constituency, by force")
    assert "5 forces shown; the national rate is 1.50 incidents per constituency" in text
    assert ("Outside the limits: Cambridgeshire Constabulary, 1.88 per constituency "
            "(15 incidents in 8 constituencies), above the 95% limit; "
            "Metropolitan Police Service, 2.40 per constituency (180 incidents in 75 "
            "constituencies), above the 99.8% limit; Thames Valley Police, 0.74 per "
            "constituency (14 incidents in 19 constituencies), below the 95% limit.") in text
    assert "Kent Police" not in text and "Dyfed-Powys" not in text
    assert "1 force is not shown because the count was suppressed." in text
    assert "1 force is not shown because the count is not available." in text
    assert "Surrey Police" not in text


def test_incidence_funnel_alt_text_when_every_force_is_within_or_suppressed() -> None:
    table = incidence_table()
    table["rows"] = [r for r in table["rows"] if r[4] in ("within the limits", None)]
    table["rows"].append(["Essex Police", C, 18, None, None])
    text = incidence_funnel(table, NATIONAL_RATE).alt_text
    assert "2 forces shown" in text
    assert "No force is outside the 95% limits." in text
    assert "2 forces are not shown because the count was suppressed." in text
    assert "Essex" not in text and "Bedfordshire" not in text


def incidence_curves(national: float) -> dict[str, dict[float, float]]:
    rows = data_rows(incidence_funnel(incidence_table(), national))
    curves: dict[str, dict[float, float]] = {}
    for r in rows:
        if "curve" in r:
            curves.setdefault(r["curve"], {})[r["constituencies"]] = r["incidents_per_constituency"]
    return curves


def test_incidence_funnel_grid_covers_the_forces_and_limits_narrow() -> None:
    curves = incidence_curves(NATIONAL_RATE)
    grid = sorted(curves["limit95_high"])
    assert grid[0] <= 4 / 2 and grid[-1] >= 75
    assert set(curves["national"].values()) == {NATIONAL_RATE}
    for name in ("limit95", "limit998"):
        low, high = curves[f"{name}_low"], curves[f"{name}_high"]
        assert all(low[n] <= NATIONAL_RATE <= high[n] for n in grid)
        assert high[grid[-1]] - low[grid[-1]] < high[grid[0]] - low[grid[0]]
    assert all(curves["limit998_high"][n] >= curves["limit95_high"][n] for n in grid)


@pytest.mark.parametrize("national", [NATIONAL_RATE, 0.3])
def test_incidence_funnel_limits_are_poisson_quantiles(national: float) -> None:
    """Independently of analytics.funnel: y_p = poisson.ppf(p, θ0·n); the drawn limit times n
    lies between y_p − 1 and y_p, at y_p − α (Spiegelhalter 2005, appendix A.1.1), floored
    at 0."""
    curves = incidence_curves(national)
    grid = sorted(curves["limit95_high"])
    for n in (grid[len(grid) // 4], grid[-1]):
        mean = national * n
        for name, side, p in (("limit95", "low", 0.025), ("limit95", "high", 0.975),
                              ("limit998", "low", 0.001), ("limit998", "high", 0.999)):
            y_p = poisson.ppf(p, mean)
            drawn = curves[f"{name}_{side}"][n] * n
            assert y_p - 1 - 1e-6 <= drawn <= y_p + 1e-6, (name, side, n)
            at, below = poisson.cdf(y_p, mean), poisson.cdf(y_p - 1, mean)
            expected = max(y_p - (at - p) / (at - below), 0.0)
            assert drawn == pytest.approx(expected, abs=1e-5 * n)
    assert np.isfinite([v for c in curves.values() for v in c.values()]).all()
