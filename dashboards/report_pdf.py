"""The quarterly report as a PDF: the release (`analytics.release`) rendered, never queried.

HTML from a Jinja2 template and a print stylesheet, made into a tagged PDF/UA-1 by
WeasyPrint (stack.md section 4): `lang="en-GB"`, a document title, headings in order, table
header cells with `scope`, and every chart an SVG with alt text generated from its data.
Every number printed comes from the release JSON of the same quarter and audience; the
advice for forces is Markdown kept in `dashboards/advice/`, dated in its first line.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Callable
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markdown_it import MarkdownIt

from etl.periods import parse_quarter, quarter_name

# package data, through importlib.resources: an installed plait renders its reports too
TEMPLATES: Traversable = files("dashboards") / "templates"
ADVICE: Traversable = files("dashboards") / "advice"
NOT_AVAILABLE = "[x]"
LABELS = {
    "pct": "%", "ci": "CI", "p90": "90th percentile", "top": "top", "10pct": "10%",
}


def column_label(name: str) -> str:
    """`previous_4_quarters_pct` → "Previous 4 quarters %"; names made for people pass."""
    if not name.islower() or " " in name:
        return name
    words = [LABELS.get(w, w) for w in name.split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def row_label(value: str) -> str:
    """A row's label in sentence case: "under investigation" → "Under investigation"."""
    text = column_label(value)
    return text[:1].upper() + text[1:]


def cell_text(value: Any) -> str:
    """A published value as printed: 1,250; [c]; [x] for not available; 12.5."""
    if value is None:
        return NOT_AVAILABLE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"
    return str(value)


LINE_CHARACTERS = 86
"""How many characters of table text fit across the A4 text block: 174 mm at 8.8 pt DejaVu
Sans, about 1.95 mm a character (digits are 0.64 em), cell padding counted per column."""


def column_widths(headers: list[dict[str, Any]], rows: list[list[dict[str, Any]]]
                  ) -> list[float] | None:
    """Column widths in per cent of the table, or None when the words cannot all fit.

    The stylesheet lays tables out with `table-layout: fixed` when widths are given:
    WeasyPrint's automatic layout measures every cell twice and was a quarter of the time of a
    report (benchmarks/report). Every column first gets its longest word (a bold header's word
    counts 1.15 times), so no word is broken; the room left goes to the columns whose whole
    text is longer. A table whose words overfill the line keeps the automatic layout."""
    least, want = [], []
    for i, header in enumerate(headers):
        words = [w for row in rows for w in row[i]["text"].split()]
        word = max([len(w) * 1.15 for w in header["label"].split()] +
                   [len(w) for w in words], default=1)
        whole = max([len(row[i]["text"]) for row in rows] + [len(header["label"]) / 3],
                    default=1)
        least.append(word + 2.5)
        want.append(max(word, min(whole, 40 if i == 0 else 18)) + 2.5)
    room = LINE_CHARACTERS - sum(least)
    if room < 0:
        return None
    extra = [w - m for w, m in zip(want, least, strict=True)]
    share = min(1.0, room / sum(extra)) if sum(extra) else 0.0
    sizes = [m + e * share for m, e in zip(least, extra, strict=True)]
    total = sum(sizes)
    return [round(100 * size / total, 1) for size in sizes]


def _is_number(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)) or value in (
        "[c]", None)


def advice_sections() -> list[dict[str, Any]]:
    """The advice for forces, one section per Markdown file, in file-name order."""
    md = MarkdownIt("commonmark", {"html": False})
    out = []
    for path in sorted((p for p in ADVICE.iterdir() if p.name.endswith(".md")),
                       key=lambda p: p.name):
        text = path.read_text(encoding="utf-8")
        title, _, body = text.partition("\n")
        stem = path.name.removesuffix(".md")
        html = md.render(body).replace("<h2>", "<h3>").replace("</h2>", "</h3>")
        out.append({"id": f"advice-{stem}", "title": title.lstrip("# ").strip(),
                    "narrative": [], "tables": [], "html": html})
    return out


ChartMaker = Callable[[dict[str, Any]], tuple[str, str] | None]


_SVG_CACHE: dict[str, str] = {}
"""SVG by chart specification: the national charts are the same in all 47 reports of a
quarter, and `--all` renders them in a few long-lived worker processes."""


def report_charts(release: dict[str, Any]) -> dict[str, ChartMaker]:
    """The charts drawn above their tables, made from the tables alone (dashboards.charts)."""
    from dashboards import charts

    def svg(chart: charts.Chart) -> tuple[str, str]:
        key = chart.spec.to_json(validate=False, indent=None)
        if key not in _SVG_CACHE:
            _SVG_CACHE[key] = charts.to_svg(chart)
        return _SVG_CACHE[key], chart.alt_text

    national_rate = None
    for section in release["sections"]:
        for table in section["tables"]:
            if table["id"] == "charge_rate":
                for row in table["rows"]:
                    if row[0] == "All forces" and isinstance(row[3], int | float):
                        national_rate = float(row[3])

    def funnel(table: dict[str, Any]) -> tuple[str, str] | None:
        return None if national_rate is None else svg(
            charts.charge_rate_funnel(table, national_rate))

    def incidence(table: dict[str, Any]) -> tuple[str, str] | None:
        found = re.search(r"national rate ([\d.]+)", table["title"])
        return None if found is None else svg(
            charts.incidence_funnel(table, float(found[1])))

    trend: ChartMaker = lambda t: svg(charts.quarterly_trend(t))  # noqa: E731
    mix: ChartMaker = lambda t: svg(charts.mix_comparison(t))  # noqa: E731
    return {"incidents_by_quarter": trend, "force_incidents_by_quarter": trend,
            "channel_mix": mix, "platform_mix": mix, "charge_rate_funnel": funnel,
            "incidents_funnel": incidence}


FUNNEL_TABLES = ("incidents_funnel", "charge_rate_funnel")
"""National funnel tables: every force. A force's report draws them all in the chart and lists
the forces a reader acts on (outside the limits, and its own), as the national report lists
all; printing 44 rows twice more was a fifth of the time of each force's report."""


def printed_rows(table: dict[str, Any], force_label: str | None
                 ) -> tuple[list[list[Any]], str | None]:
    """The rows a report prints of a release table, and a note when it prints fewer."""
    if force_label is None or table["id"] not in FUNNEL_TABLES:
        return table["rows"], None
    position = table["columns"].index("position")
    rows = [row for row in table["rows"] if row[0] == force_label
            or row[position] not in (None, "within the limits")]
    if len(rows) == len(table["rows"]):
        return rows, None
    return rows, (f"Listed: forces outside the limits, and {force_label}. The chart shows every "
                  "force with a rate; the national report lists them all.")


def svg_data_uri(svg: str) -> str:
    """The chart as an image address: an `<img>` carries its alt text into the PDF's tags
    (WeasyPrint gives an inline SVG none) and keeps the SVG's nodes out of the HTML's style
    cascade. (A WeasyPrint image cache shared across reports doubled a worker's memory and
    saved no time: benchmarks/report.)"""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def render_html(release: dict[str, Any], charts: dict[str, ChartMaker] | None = None,
                created: dt.date | None = None) -> str:
    """The report's HTML. `charts` maps a table id to a function giving (svg, alt text)."""
    charts = charts or {}
    quarter = parse_quarter(release["quarter"])
    audience = release["audience"]
    audience_label = "All forces (national report)" if audience == "national" else (
        _force_label(release))
    sections = []
    for section in [*release["sections"], *advice_sections()]:
        tables = []
        for table in section["tables"]:
            headers = [{"label": column_label(c), "num": i > 0 and all(
                _is_number(r[i]) for r in table["rows"])} for i, c in enumerate(table["columns"])]
            printed, note = printed_rows(table, None if audience == "national"
                                         else audience_label)
            words = table["id"].endswith("emerging_terms")  # the words as people wrote them
            rows = [[{"text": row_label(v) if i == 0 and isinstance(v, str) and not words
                      else cell_text(v), "num": headers[i]["num"]} for i, v in enumerate(row)]
                    for row in printed]
            chart = None
            maker = charts.get(table["id"])
            if maker is not None and table["rows"]:
                made = maker(table)
                if made is not None:
                    chart = {"src": svg_data_uri(made[0]), "alt": made[1]}
            widths = column_widths(headers, rows)
            tables.append({"title": table["title"], "headers": headers, "rows": rows,
                           "chart": chart, "note": note, "widths": widths})
        sections.append({"id": section["id"], "title": section["title"],
                         "narrative": section["narrative"], "tables": tables,
                         "html": section.get("html")})
    env = Environment(loader=PackageLoader("dashboards", "templates"),
                      autoescape=select_autoescape())
    title = f"Crimes against MPs, candidates and their staff: {quarter_name(quarter)}"
    return env.get_template("report.html.j2").render(
        title=title,
        subtitle=f"PLaIT quarterly report, {release['quarter']}: {audience_label}",
        running_title=f"PLaIT quarterly report {release['quarter']}, {audience_label}",
        audience_label=audience_label,
        period=quarter_name(quarter),
        run_id=release["run_id"],
        created=(created or dt.date.today()).isoformat(),
        suppress_up_to=release["disclosure"]["suppress_up_to"],
        round_to=release["disclosure"]["round_to"],
        sections=sections,
    )


def _force_label(release: dict[str, Any]) -> str:
    """The force's name, as the release's force section titles it."""
    for section in release["sections"]:
        if section["id"] == "force":
            return section["title"].split(" against its region")[0]
    return release["audience"].split(":", 1)[1]


def write_pdf(release: dict[str, Any], path: Path,
              charts: dict[str, ChartMaker] | None = None) -> Path:
    """Render the release to a tagged PDF/UA-1 file at `path`."""
    from weasyprint import CSS, HTML

    html = render_html(release, report_charts(release) if charts is None else charts)
    path.parent.mkdir(parents=True, exist_ok=True)
    HTML(string=html, base_url=str(TEMPLATES)).write_pdf(
        path, stylesheets=[CSS(string=(TEMPLATES / "report.css").read_text(encoding="utf-8"))],
        pdf_variant="pdf/ua-1", pdf_tags=True)
    return path
