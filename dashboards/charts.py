"""Chart specifications shared by the quarterly PDF and the dashboard, built from release tables.

A chart is drawn only from a published release table (`analytics.release`), never from a
query, so it can show nothing the tables do not: a suppressed cell ("[c]") is a gap or is
left out, never a zero, and the alt text quotes only published numbers. Alt text is written
from the same data, as the Analysis Function's guidance on charts asks (say the chart type,
what it shows, the range and the main points). Colours are the Okabe–Ito palette (Okabe &
Ito 2008, "Color Universal Design"), and every series also has its own dash pattern or point
shape, so charts read in greyscale print and without colour vision. No title is drawn
inside the SVG: the report prints it as a heading.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import vl_convert as vlc

from analytics.disclosure import SUPPRESSED, SUPPRESSION_THRESHOLD
from analytics.funnel import funnel_curve
from analytics.investigation import binomial_limits

WIDTH = 460
"""Pixels: the text width of an A4 page in the report at 96 dpi, less margins."""

OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
"""Okabe–Ito colours, darkest and most distinct first, so 2 or 3 series differ in greyscale."""

DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [12, 4], [4, 2, 1, 2], [1, 3]]
SHAPES = ["circle", "square", "triangle-up", "diamond", "cross", "triangle-down", "wedge"]

FUNNEL_LIMITS = {"95% limits": "limit95", "99.8% limits": "limit998"}
FUNNEL_GRID_POINTS = 120

_FONT = {"labelFontSize": 13, "titleFontSize": 14}
_STACKED = alt.Legend(direction="vertical")
_LEVEL_TITLE = alt.Axis(titleAngle=0, titleAnchor="end", titleAlign="right", titleBaseline="bottom",
                        titleX=0, titleY=-6)
"""A category axis's title written level above its labels, so a long one is not cut off."""
_GAPS = (f"Suppressed quarters are gaps (counts of 1 to {SUPPRESSION_THRESHOLD}, and any that "
         "would reveal them, are not published).")


@dataclass(frozen=True)
class Chart:
    """A chart's Vega-Lite spec and the alt text that goes with it wherever it is shown."""

    id: str
    spec: alt.TopLevelMixin
    alt_text: str


def quarterly_trend(table: dict[str, Any]) -> Chart:
    """Line chart of incidents per quarter, one line per area column of the table.

    A suppressed or missing count is kept as a null so the line breaks there (Vega-Lite's
    `break-paths-filter-domains`) rather than being dropped, which would join its
    neighbours, or drawn as 0, which would be a false number.
    """
    columns = list(table["columns"])
    areas = columns[1:]
    quarters = [str(row[0]) for row in table["rows"]]
    values = [
        {"quarter": str(row[0]), "area": area, "incidents": _number(row[i + 1])}
        for row in table["rows"] for i, area in enumerate(areas)
    ]
    series = alt.Color("area:N", title="Area", sort=areas,
                       scale=alt.Scale(domain=areas, range=OKABE_ITO[: len(areas)]))
    spec = (
        alt.Chart(alt.Data(values=values))
        .mark_line(invalid="break-paths-filter-domains", strokeWidth=2,
                   point=alt.OverlayMarkDef(size=50, filled=True))
        .encode(
            x=alt.X("quarter:O", title="Quarter", sort=quarters, axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("incidents:Q", title="Incidents", scale=alt.Scale(zero=True)),
            color=series,
            strokeDash=alt.StrokeDash("area:N", title="Area", sort=areas,
                                      scale=alt.Scale(domain=areas, range=DASHES[: len(areas)])),
            shape=alt.Shape("area:N", title="Area", sort=areas,
                            scale=alt.Scale(domain=areas, range=SHAPES[: len(areas)])),
            tooltip=[alt.Tooltip("area:N", title="Area"), alt.Tooltip("quarter:O", title="Quarter"),
                     alt.Tooltip("incidents:Q", title="Incidents")],
        )
        .properties(width=WIDTH, height=260)
    )
    return Chart(table["id"], _configure(spec), _trend_alt_text(table))


def charge_rate_funnel(table: dict[str, Any], national_rate_pct: float) -> Chart:
    """Funnel plot: each force's charge rate against its number of incidents.

    Only forces whose rate and incidents are both published are plotted. The limits are
    exact binomial around the national rate θ0 (`analytics.investigation.binomial_limits`
    with φ = 1: the p-quantile from `scipy.stats.binom.ppf`, smoothed between integers by
    Spiegelhalter's 2005 interpolation, over n), on a geometric grid of whole-number
    denominators. The release table does not carry φ, so where the analysis widened the
    limits for over-dispersion the table's `position` column, not these curves, is the
    finding; the alt text reports `position`.
    """
    points = _funnel_points(table)
    grid = _funnel_grid([p["incidents"] for p in points])
    curves = _funnel_curves(national_rate_pct, grid)
    spec = _funnel_spec(
        curves, points, x=("incidents", "Incidents (log scale)"),
        y=("rate_pct", "Charged or summonsed (%)"), domain=[int(grid[0]), int(grid[-1])],
        tooltip=[alt.Tooltip("force:N", title="Force"),
                 alt.Tooltip("incidents:Q", title="Incidents"),
                 alt.Tooltip("rate_pct:Q", title="Charged or summonsed (%)"),
                 alt.Tooltip("position:N", title="Position")])
    alt_text = _funnel_alt_text(table, points, national_rate_pct)
    return Chart(table["id"], _configure(spec), alt_text)


def incidence_funnel(table: dict[str, Any], national_rate: float) -> Chart:
    """Funnel plot: each force's incidents per constituency against its number of constituencies.

    From the release table "incidents_funnel". Only forces whose incidents are published are
    plotted; a suppressed force is left out and is not named, even in the alt text. The limits
    are exact Poisson around the national rate θ0 (incidents per constituency), drawn by
    `analytics.funnel.funnel_curve` with φ = 1, the same computation its `funnel` uses: the
    p-quantile of Poisson(θ0·n) from `scipy.stats.poisson.ppf`, smoothed between integers by
    Spiegelhalter's 2005 interpolation (appendix A.1.1), divided by n. They are drawn over a
    geometric grid of denominators (a Poisson mean need not be a whole number). The release
    table does not carry φ, so where the analysis widened the limits for over-dispersion the
    table's `position` column, not these curves, is the finding; the alt text reports
    `position`.
    """
    points = _incidence_points(table)
    grid = _incidence_grid([p["constituencies"] for p in points])
    curves = _incidence_curves(national_rate, grid)
    spec = _funnel_spec(
        curves, points, x=("constituencies", "Constituencies (log scale)"),
        y=("incidents_per_constituency", "Incidents per constituency"),
        domain=[float(grid[0]), float(grid[-1])],
        tooltip=[alt.Tooltip("force:N", title="Force"),
                 alt.Tooltip("incidents:Q", title="Incidents"),
                 alt.Tooltip("constituencies:Q", title="Constituencies"),
                 alt.Tooltip("incidents_per_constituency:Q", title="Incidents per constituency"),
                 alt.Tooltip("position:N", title="Position")])
    alt_text = _incidence_alt_text(table, points, national_rate)
    return Chart(table["id"], _configure(spec), alt_text)


def mix_comparison(table: dict[str, Any]) -> Chart:
    """Paired horizontal bars: each category's share this quarter and in the previous 4.

    A suppressed share is left out (no bar), not drawn as 0; the alt text names it.
    """
    dimension = table["columns"][0]
    categories = [str(row[0]) for row in table["rows"]]
    periods = {"quarter_pct": "This quarter", "previous_4_quarters_pct": "Previous 4 quarters"}
    index = {c: table["columns"].index(c) for c in periods}
    values = [
        {"category": str(row[0]), "period": label, "share_pct": _number(row[index[col]])}
        for row in table["rows"] for col, label in periods.items()
        if _number(row[index[col]]) is not None
    ]
    shown = [c for c in categories if any(v["category"] == c for v in values)]
    order = list(periods.values())
    spec = (
        alt.Chart(alt.Data(values=values))
        .mark_bar(stroke="#000000", strokeWidth=0.5)
        .encode(
            y=alt.Y("category:N", title=_dimension_title(dimension), sort=shown,
                    scale=alt.Scale(domain=shown), axis=_LEVEL_TITLE),
            yOffset=alt.YOffset("period:N", sort=order, scale=alt.Scale(domain=order)),
            x=alt.X("share_pct:Q", title="Share of incidents (%)"),
            color=alt.Color("period:N", title="Period", sort=order, scale=alt.Scale(
                domain=order, range=[OKABE_ITO[0], OKABE_ITO[4]])),
            tooltip=[alt.Tooltip("category:N", title=_dimension_title(dimension)),
                     alt.Tooltip("period:N", title="Period"),
                     alt.Tooltip("share_pct:Q", title="Share (%)")],
        )
        .properties(width=WIDTH - 120, height=max(1, len(shown)) * 34)
    )
    return Chart(table["id"], _configure(spec), _mix_alt_text(table, dimension, categories))


def to_svg(chart: Chart) -> str:
    """The chart as SVG for the PDF: vl-convert renders it without a browser, and the same
    spec renders to the same bytes (tests check this)."""
    return str(vlc.vegalite_to_svg(chart.spec.to_json()))


def warm_up() -> None:
    """Start vl-convert's runtime with an empty chart, so that the first real one is quick."""
    vlc.vegalite_to_svg({"mark": "point", "data": {"values": []}})


def _configure(spec: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Text big enough to print: 13 and 14 px are about 10 and 10.5 pt when the SVG is placed
    at its natural 96 dpi size; the legend goes under the plot and there is no frame."""
    return (
        spec.configure(font="Helvetica, Arial, sans-serif")
        .configure_axis(**_FONT, titleFontWeight="normal")
        .configure_legend(**_FONT, titleFontWeight="normal", orient="bottom", symbolSize=80,
                          symbolStrokeWidth=2)
        .configure_view(stroke=None)
    )


def _number(cell: object) -> float | int | None:
    """A published number, or None for a suppressed ("[c]") or missing cell."""
    if cell is None or cell == SUPPRESSED or isinstance(cell, bool | str):
        return None
    if isinstance(cell, int | float) and math.isfinite(cell):
        return cell
    return None


def _count(value: float | int) -> str:
    return f"{value:,.0f}"


def _pct(value: float | int) -> str:
    return f"{round(float(value), 1):g}%"


def _trend_alt_text(table: dict[str, Any]) -> str:
    rows = table["rows"]
    if not rows:
        return "Line chart: incidents per quarter. There are no quarters to show."
    first_q, last_q = str(rows[0][0]), str(rows[-1][0])
    parts = [f"Line chart: incidents per quarter, {first_q} to {last_q}."]
    any_suppressed = False
    for i, area in enumerate(table["columns"][1:], start=1):
        cells = [(str(r[0]), r[i]) for r in rows]
        published = [(q, v) for q, c in cells if (v := _number(c)) is not None]
        suppressed = sum(1 for _, c in cells if c == SUPPRESSED)
        any_suppressed = any_suppressed or suppressed > 0
        if not published:
            parts.append(f"{area}: no quarter published.")
            continue
        (q0, v0), (q1, v1) = published[0], published[-1]
        top_q, top_v = max(published, key=lambda qv: qv[1])
        start = _count(v0) + ("" if q0 == first_q else f" in {q0}")
        end = _count(v1) + ("" if q1 == last_q else f" in {q1}")
        text = f"{area}: from {start} to {end}, highest {_count(top_v)} in {top_q}"
        if suppressed:
            text += f"; {suppressed} suppressed quarter{'s' if suppressed > 1 else ''}"
        parts.append(text + ".")
    if any_suppressed:
        parts.append(_GAPS)
    return " ".join(parts)


def _funnel_spec(curves: list[dict[str, Any]], points: list[dict[str, Any]],
                 x: tuple[str, str], y: tuple[str, str], domain: list[float | int],
                 tooltip: list[alt.Tooltip]) -> alt.LayerChart:
    """The national rate and limit lines (one dash pattern each) under the forces' points,
    coloured and shaped by their position, on a log x axis over the grid's range."""
    (x_field, x_title), (y_field, y_title) = x, y
    dash_domain = ["National rate", *FUNNEL_LIMITS]
    lines = (
        alt.Chart(alt.Data(values=curves))
        .mark_line(color="#444444", strokeWidth=1.5)
        .encode(
            x=alt.X(f"{x_field}:Q", title=x_title, scale=alt.Scale(
                type="log", domain=domain, nice=False)),
            y=alt.Y(f"{y_field}:Q", title=y_title),
            detail="curve:N",
            strokeDash=alt.StrokeDash("line:N", title="Lines", legend=_STACKED, scale=alt.Scale(
                domain=dash_domain, range=DASHES[: len(dash_domain)])),
        )
    )
    positions = _positions(points)
    dots = (
        alt.Chart(alt.Data(values=points))
        .mark_point(size=60, filled=True, stroke="#000000", strokeWidth=0.5, opacity=1)
        .encode(
            x=f"{x_field}:Q",
            y=f"{y_field}:Q",
            color=alt.Color("position:N", title="Force", legend=_STACKED, scale=alt.Scale(
                domain=positions, range=OKABE_ITO[: len(positions)])),
            shape=alt.Shape("position:N", title="Force", legend=_STACKED, scale=alt.Scale(
                domain=positions, range=SHAPES[: len(positions)])),
            tooltip=tooltip,
        )
    )
    return alt.layer(lines, dots).properties(width=WIDTH, height=300)


def _funnel_points(table: dict[str, Any]) -> list[dict[str, Any]]:
    col = {c: table["columns"].index(c) for c in ("force", "incidents", "rate_pct", "position")}
    points = []
    for row in table["rows"]:
        n, rate = _number(row[col["incidents"]]), _number(row[col["rate_pct"]])
        if n is None or rate is None or n <= 0:
            continue
        points.append({"force": str(row[col["force"]]), "incidents": n, "rate_pct": rate,
                       "position": row[col["position"]] or "not assessed"})
    return points


def _positions(points: list[dict[str, Any]]) -> list[str]:
    """Positions in a fixed reading order, so the same finding has the same colour and shape
    in every report."""
    known = ["within the limits", "above the 95% limit", "below the 95% limit",
             "above the 99.8% limit", "below the 99.8% limit", "not assessed"]
    seen = {p["position"] for p in points}
    return [p for p in known if p in seen] + sorted(seen - set(known))


def _funnel_grid(denominators: list[float | int]) -> np.ndarray:
    """Whole-number denominators (binomial n), spaced evenly on the log scale the plot uses,
    from half the smallest plotted force to a tenth past the largest."""
    low = max(5, int(min(denominators, default=10) // 2))
    high = max(low + 1, math.ceil(max(denominators, default=100) * 1.1))
    grid = np.geomspace(low, high, FUNNEL_GRID_POINTS)
    return np.unique(np.round(grid).astype(np.int64))


def _funnel_curves(national_rate_pct: float, grid: np.ndarray) -> list[dict[str, Any]]:
    """Long-form rows (incidents, rate_pct, line, curve) for the national rate and each
    limit's lower and upper curve, in percent."""
    theta = float(national_rate_pct) / 100.0
    limits = binomial_limits(theta, 1.0, grid.astype(np.float64))
    rows: list[dict[str, Any]] = [
        {"incidents": int(n), "rate_pct": float(national_rate_pct), "line": "National rate",
         "curve": "national"} for n in (grid[0], grid[-1])
    ]
    for label, name in FUNNEL_LIMITS.items():
        for side in ("low", "high"):
            rows += [{"incidents": int(n), "rate_pct": round(100.0 * float(v), 4), "line": label,
                      "curve": f"{name}_{side}"} for n, v in zip(grid, limits[f"{name}_{side}"],
                                                                  strict=True)]
    return rows


def _outside_sentence(points: list[dict[str, Any]],
                      describe: Callable[[dict[str, Any]], str]) -> list[str]:
    """The funnels' shared sentence: each force outside the limits, or that none is."""
    outside = [p for p in points if p["position"] not in ("within the limits", "not assessed")]
    if outside:
        return ["Outside the limits: " + "; ".join(describe(p) for p in outside) + "."]
    return ["No force is outside the 95% limits."] if points else []


def _funnel_alt_text(table: dict[str, Any], points: list[dict[str, Any]],
                     national_rate_pct: float) -> str:
    hidden = len(table["rows"]) - len(points)
    parts = [
        "Funnel plot: the percentage of incidents that led to a charge or summons, by force, "
        "against the number of incidents (log scale).",
        f"{len(points)} force{'s' if len(points) != 1 else ''} shown; the national rate is "
        f"{_pct(national_rate_pct)}, with 95% and 99.8% limits that narrow as the number of "
        "incidents grows.",
    ]
    parts += _outside_sentence(points, lambda p: (
        f"{p['force']}, {_pct(p['rate_pct'])} of {_count(p['incidents'])} incidents, "
        f"{p['position']}"))
    if hidden:
        parts.append(f"{hidden} force{'s are' if hidden != 1 else ' is'} not shown because "
                     "a count was suppressed or there were no incidents.")
    return " ".join(parts)


def _incidence_points(table: dict[str, Any]) -> list[dict[str, Any]]:
    cols = ("force", "incidents", "constituencies", "incidents_per_constituency", "position")
    col = {c: table["columns"].index(c) for c in cols}
    points = []
    for row in table["rows"]:
        incidents, n = _number(row[col["incidents"]]), _number(row[col["constituencies"]])
        per = _number(row[col["incidents_per_constituency"]])
        if incidents is None or per is None or n is None or n <= 0:
            continue
        points.append({"force": str(row[col["force"]]), "incidents": incidents,
                       "constituencies": n, "incidents_per_constituency": per,
                       "position": row[col["position"]] or "not assessed"})
    return points


def _incidence_grid(denominators: list[float | int]) -> np.ndarray:
    """Denominators spaced evenly on the log scale the plot uses, from half the smallest
    plotted force to a tenth past the largest, rounded to 3 decimals so a plotted curve's
    x is exactly the denominator its limits were computed at."""
    low = max(0.5, min(denominators, default=1) / 2)
    high = max(low * 2, max(denominators, default=80) * 1.1)
    return np.unique(np.round(np.geomspace(low, high, FUNNEL_GRID_POINTS), 3))


def _incidence_curves(national_rate: float, grid: np.ndarray) -> list[dict[str, Any]]:
    """Long-form rows (constituencies, incidents_per_constituency, line, curve) for the
    national rate and each limit's lower and upper curve."""
    limits = funnel_curve(national_rate, 1.0, grid)
    rows: list[dict[str, Any]] = [
        {"constituencies": float(n), "incidents_per_constituency": float(national_rate),
         "line": "National rate", "curve": "national"} for n in (grid[0], grid[-1])
    ]
    for label, name in FUNNEL_LIMITS.items():
        for side in ("low", "high"):
            rows += [{"constituencies": float(n), "incidents_per_constituency": round(float(v), 6),
                      "line": label, "curve": f"{name}_{side}"}
                     for n, v in zip(grid, limits[f"{name}_{side}"], strict=True)]
    return rows


def _per(value: float | int) -> str:
    return f"{float(value):.2f}"


def _incidence_alt_text(table: dict[str, Any], points: list[dict[str, Any]],
                        national_rate: float) -> str:
    col = table["columns"].index("incidents")
    suppressed = sum(1 for row in table["rows"] if row[col] == SUPPRESSED)
    unavailable = len(table["rows"]) - len(points) - suppressed
    parts = [
        "Funnel plot: incidents per constituency, by force, against the number of "
        "constituencies (log scale).",
        f"{len(points)} force{'s' if len(points) != 1 else ''} shown; the national rate is "
        f"{_per(national_rate)} incidents per constituency, with 95% and 99.8% limits that "
        "narrow as the number of constituencies grows.",
    ]
    parts += _outside_sentence(points, lambda p: (
        f"{p['force']}, {_per(p['incidents_per_constituency'])} per constituency "
        f"({_count(p['incidents'])} incidents in {_count(p['constituencies'])} "
        f"constituencies), {p['position']}"))
    if suppressed:
        parts.append(f"{suppressed} force{'s are' if suppressed != 1 else ' is'} not shown "
                     "because the count was suppressed.")
    if unavailable:
        parts.append(f"{unavailable} force{'s are' if unavailable != 1 else ' is'} not shown "
                     "because the count is not available.")
    return " ".join(parts)


def _dimension_title(dimension: str) -> str:
    return {"channel": "How the incident was made", "platform": "Platform"}.get(
        dimension, dimension.replace("_", " ").capitalize())


def _mix_alt_text(table: dict[str, Any], dimension: str, categories: list[str]) -> str:
    cols = table["columns"]
    now, before = cols.index("quarter_pct"), cols.index("previous_4_quarters_pct")
    noun = _dimension_title(dimension).lower()
    parts = [f"Bar chart: share of incidents by {noun}, this quarter against the previous "
             "4 quarters."]
    omitted = []
    for row in table["rows"]:
        a, b = _number(row[now]), _number(row[before])
        if a is None and b is None:
            omitted.append(str(row[0]))
            continue
        this = f"{_pct(a)} this quarter" if a is not None else "this quarter not published"
        prev = f"{_pct(b)} in the previous 4" if b is not None else "previous 4 not published"
        parts.append(f"{row[0]}: {this}, {prev}.")
    if omitted:
        parts.append(f"Not shown (not published): {', '.join(omitted)}.")
    if not categories:
        parts.append("There are no categories to show.")
    return " ".join(parts)


# --- Dashboard charts: one series' exceedances, and the hex map -------------------------------

EXCEEDANCE_LINES = ["Observed", "Expected", "Upper bound"]
ALARM_LABEL = "Above the upper bound (alarm)"
SUPPRESSED_GREY = "#BBBBBB"
"""Areas with nothing to colour (suppressed or not available): a light grey, darker than
the page, lighter than any category colour, so it reads as 'no value' without colour."""


def exceedance_chart(table: dict[str, Any]) -> Chart:
    """Line chart of one count series: observed, the Farrington expected count and its upper
    bound per period, with alarms (observed above the upper bound) marked by a large
    vermilion triangle.

    From a release-shaped table (columns period, observed, expected, upper_bound, alarm;
    `dashboards.data_trends.exceedance`), whose observed cells are counts or "[c]". A
    suppressed observed count is a gap in its line, never a 0; its alarm, which the release
    publishes too, is drawn at the upper bound (observed was above it) and says "[c]"; an
    alarm cell of "[c]" (withheld) is not drawn. An alarm is `True`, never merely truthy.
    Periods without a model fit (too little history) have no expected line there.
    """
    col = {c: table["columns"].index(c) for c in
           ("period", "observed", "expected", "upper_bound", "alarm")}
    rows = table["rows"]
    periods = [str(r[col["period"]]) for r in rows]
    lines = []
    alarms = []
    for r in rows:
        observed = _number(r[col["observed"]])
        values = (observed, _number(r[col["expected"]]), _number(r[col["upper_bound"]]))
        for name, value in zip(EXCEEDANCE_LINES, values, strict=True):
            lines.append({"period": str(r[col["period"]]), "line": name, "count": value})
        if r[col["alarm"]] is True:
            y = observed if observed is not None else values[2]
            if y is not None:
                alarms.append({"period": str(r[col["period"]]), "count": y,
                               "observed": str(r[col["observed"]]), "line": ALARM_LABEL,
                               "expected": values[1], "upper_bound": values[2]})
    keys = [*EXCEEDANCE_LINES, ALARM_LABEL]
    legend = alt.Legend(direction="vertical", labelLimit=320)

    def key(channel: type, values: list[Any]) -> Any:
        return channel("line:N", title="Key", legend=legend,
                       scale=alt.Scale(domain=keys, range=values))

    x = alt.X("period:O", title="Month" if table.get("frequency") != "quarter" else "Quarter",
              sort=periods, axis=alt.Axis(labelAngle=-45))
    base = (
        alt.Chart(alt.Data(values=lines))
        .mark_line(invalid="break-paths-filter-domains", strokeWidth=2,
                   point=alt.OverlayMarkDef(size=40, filled=True))
        .encode(
            x=x,
            y=alt.Y("count:Q", title="Incidents", scale=alt.Scale(zero=True)),
            color=key(alt.Color, [OKABE_ITO[0], "#666666", OKABE_ITO[4], OKABE_ITO[1]]),
            strokeDash=key(alt.StrokeDash, [*DASHES[:3], [1, 0]]),
            shape=key(alt.Shape, [*SHAPES[:3], "triangle-up"]),
            tooltip=[alt.Tooltip("period:O", title="Period"), alt.Tooltip("line:N", title="Line"),
                     alt.Tooltip("count:Q", title="Incidents", format=".1f")],
        )
    )
    marks = (
        alt.Chart(alt.Data(values=alarms))
        .mark_point(size=220, filled=True, opacity=1, stroke="#000000", strokeWidth=1)
        .encode(
            x=x, y="count:Q",
            color=key(alt.Color, [OKABE_ITO[0], "#666666", OKABE_ITO[4], OKABE_ITO[1]]),
            shape=key(alt.Shape, [*SHAPES[:3], "triangle-up"]),
            tooltip=[alt.Tooltip("period:O", title="Period"),
                     alt.Tooltip("observed:N", title="Observed"),
                     alt.Tooltip("expected:Q", title="Expected", format=".1f"),
                     alt.Tooltip("upper_bound:Q", title="Upper bound", format=".1f")],
        )
    )
    spec = alt.layer(base, marks).properties(width=WIDTH, height=280)
    return Chart(table["id"], _configure(spec), _exceedance_alt_text(table, periods))


def _exceedance_alt_text(table: dict[str, Any], periods: list[str]) -> str:
    col = {c: table["columns"].index(c) for c in ("observed", "expected", "upper_bound",
                                                  "alarm")}
    unit = "quarter" if table.get("frequency") == "quarter" else "month"
    rows = table["rows"]
    if not rows:
        return f"Line chart: {table['title']}. There are no {unit}s to show."
    parts = [f"Line chart: {table['title']}, incidents per {unit} from {periods[0]} to "
             f"{periods[-1]}, against the expected count and the Farrington upper bound."]
    published = [(p, v) for p, r in zip(periods, rows, strict=True)
                 if (v := _number(r[col["observed"]])) is not None]
    suppressed = sum(1 for r in rows if r[col["observed"]] == SUPPRESSED)
    if published:
        top_p, top_v = max(published, key=lambda pv: pv[1])
        parts.append(f"Observed from {_count(published[0][1])} in {published[0][0]} to "
                     f"{_count(published[-1][1])} in {published[-1][0]}, highest "
                     f"{_count(top_v)} in {top_p}.")
    else:
        parts.append("No observed count is published for this series.")
    expected = [v for r in rows if (v := _number(r[col["expected"]])) is not None]
    if expected:
        parts.append(f"Expected between {min(expected):.1f} and {max(expected):.1f} a {unit}.")
    alarmed = [p for p, r in zip(periods, rows, strict=True) if r[col["alarm"]] is True]
    withheld = sum(1 for r in rows if r[col["alarm"]] == SUPPRESSED)
    if alarmed:
        parts.append(f"Above the upper bound (alarm) in {len(alarmed)} {unit}"
                     f"{'s' if len(alarmed) > 1 else ''}: {', '.join(alarmed)}.")
    else:
        parts.append(f"No {unit} is above the upper bound.")
    if suppressed:
        parts.append(f"{suppressed} {unit}{'s are' if suppressed > 1 else ' is'} suppressed "
                     "and shown as gaps.")
    if withheld:
        parts.append(f"Whether the count was above the upper bound is not published for "
                     f"{withheld} {unit}{'s' if withheld > 1 else ''}.")
    return " ".join(parts)


def hex_map(table: dict[str, Any], title: str, *, quantitative: bool, by: str = "force",
            categories: dict[str, str] | None = None, highlight: str | None = None) -> Chart:
    """Hex cartogram of the 650 constituencies, each coloured by its row's `value`.

    From a table with columns constituency_code, constituency, force, col, row, value, shown
    (`dashboards.data_trends.map_values`). Numbers use viridis (perceptually uniform and
    readable with the common colour-vision deficiencies; Nuñez et al. 2018); categories take
    the colours given (`categories`: label → colour, in legend order), else Okabe–Ito. A
    hexagon with no value (suppressed or not available) is light grey and says so in the
    tooltip, never coloured as a zero.
    `by` says whether values belong to forces or to constituencies (the alt text names
    those). `highlight` (a force name) draws that force's hexagons with a black outline.
    """
    from dashboards import geo

    col = {c: i for i, c in enumerate(table["columns"])}
    rows = [{c: r[i] for c, i in col.items()} for r in table["rows"]]
    for r in rows:
        r["own"] = highlight is not None and r["force"] == highlight
    feats = geo.features(rows)
    projection = {"type": "identity", "reflectY": True}
    tooltip = [alt.Tooltip("properties.constituency:N", title="Constituency"),
               alt.Tooltip("properties.force:N", title="Force"),
               alt.Tooltip("properties.shown:N", title=title)]
    base = (alt.Chart(alt.Data(values=feats)).mark_geoshape(
        fill=SUPPRESSED_GREY, stroke="#FFFFFF", strokeWidth=0.4).encode(tooltip=tooltip)
        .project(**projection))
    coloured = [f for f in feats if f["properties"]["value"] is not None]
    if quantitative:
        colour = alt.Color("properties.value:Q", title=title, legend=alt.Legend(
            orient="bottom", gradientLength=300, titleLimit=WIDTH),
            scale=alt.Scale(scheme="viridis", reverse=True))
    else:
        seen = sorted({str(f["properties"]["value"]) for f in coloured})
        given = categories or dict(zip(seen, OKABE_ITO, strict=False))
        domain = [c for c in given if c in seen] + [c for c in seen if c not in given]
        colour = alt.Color("properties.value:N", title=title, legend=alt.Legend(
            direction="vertical", titleLimit=WIDTH), scale=alt.Scale(
            domain=domain, range=[given.get(c, "#000000") for c in domain]))
    values = (alt.Chart(alt.Data(values=coloured)).mark_geoshape(
        stroke="#FFFFFF", strokeWidth=0.4).encode(color=colour, tooltip=tooltip)
        .project(**projection))
    layers = [base, values]
    own = [f for f in feats if f["properties"]["own"]]
    if own:
        layers.append(alt.Chart(alt.Data(values=own)).mark_geoshape(
            filled=False, stroke="#000000", strokeWidth=1.6).project(**projection))
    spec = alt.layer(*layers).properties(width=WIDTH, height=int(WIDTH * 1.45))
    return Chart(table.get("id", "hex_map"), _configure(spec),
                 _hex_alt_text(rows, title, quantitative, by == "force", highlight))


def _hex_alt_text(rows: list[dict[str, Any]], title: str, quantitative: bool, by_force: bool,
                  highlight: str | None) -> str:
    parts = [f"Hex map: the {len(rows)} parliamentary constituencies as equal hexagons, "
             f"coloured by {title[0].lower() + title[1:]}."]
    areas: dict[str, Any] = {}
    for r in rows:
        name = r["force"] if by_force else r["constituency"]
        areas.setdefault(name, r["value"])
    valued = {a: v for a, v in areas.items() if v is not None}
    missing = sorted(a for a, v in areas.items() if v is None)
    noun = "force" if by_force else "constituency"
    if quantitative and valued:
        ranked = sorted(valued.items(), key=lambda av: (-float(av[1]), av[0]))
        top = "; ".join(f"{a} {float(v):g}" for a, v in ranked[:3])
        low = "; ".join(f"{a} {float(v):g}" for a, v in ranked[-3:][::-1])
        parts.append(f"Highest: {top}. Lowest: {low}.")
    elif valued:
        groups: dict[str, list[str]] = {}
        for a, v in sorted(valued.items()):
            groups.setdefault(str(v), []).append(a)
        for label, names in groups.items():
            shown = ", ".join(names) if len(names) <= 6 else f"{len(names)} {noun}s"
            parts.append(f"{label}: {shown}.")
    if missing:
        many = len(missing) != 1
        parts.append(f"{len(missing)} {noun}{'s' if many else ''} grey: suppressed or not "
                     "available.")
    if highlight:
        parts.append(f"{highlight} is outlined in black.")
    return " ".join(parts)
