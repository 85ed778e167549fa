"""The quarterly PDF: an accessible rendering of the release, and nothing but the release."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from dashboards.report_pdf import advice_sections, cell_text, column_label, render_html, write_pdf

pytestmark = pytest.mark.unit


def release() -> dict[str, Any]:
    """A small release in the JSON contract's shape, with suppressed and missing cells."""
    return {
        "quarter": "2026Q3", "audience": "national", "run_id": 4,
        "disclosure": {"suppress_up_to": 7, "round_to": 5},
        "sections": [
            {"id": "summary", "title": "Summary: July to September 2026",
             "narrative": ["Incidents: 140 in the quarter, against 135 in the previous quarter."],
             "tables": [{"id": "headline", "title": "Headline figures",
                         "columns": ["measure", "value"], "count_columns": ["value"],
                         "rows": [["incidents", 140], ["incidents_previous_quarter", 135]]}]},
            {"id": "trends", "title": "National and regional trends", "narrative": [],
             "tables": [{"id": "incidents_by_area", "title": "Incidents by area",
                         "columns": ["area", "quarter", "change_on_previous_quarter_pct"],
                         "count_columns": ["quarter"],
                         "rows": [["All forces", 1250, 3.5], ["Wales", "[c]", None],
                                  ["London", 45, -12.0]]}]},
        ],
    }


@pytest.mark.parametrize(("name", "label"), [
    ("previous_4_quarters_pct", "Previous 4 quarters %"),
    ("incidents", "Incidents"),
    ("All forces", "All forces"),
    ("p90_ci_low", "90th percentile CI low"),
])
def test_column_labels_read_as_words(name: str, label: str) -> None:
    assert column_label(name) == label


@pytest.mark.parametrize(("value", "text"), [
    (1250, "1,250"), ("[c]", "[c]"), (None, "[x]"), (12.0, "12"), (3.25, "3.2"), (0, "0"),
])
def test_cells_print_as_published(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_html_is_accessible_and_holds_the_release() -> None:
    html = render_html(release())
    assert '<html lang="en-GB">' in html
    assert "<title>Crimes against MPs, candidates and their staff: July to September 2026" in html
    assert html.count('<th scope="col"') == 2 + 3
    assert '<th scope="row">All forces</th>' in html
    assert "Incidents previous quarter" in html
    assert "Incidents: 140 in the quarter, against 135 in the previous quarter." in html
    for text in ("1,250", "[c]", "[x]", "-12", "3.5"):
        assert f">{text}</td>" in html
    headings = re.findall(r"<h([1-3])", html)
    assert headings[0] == "1" and all(int(b) - int(a) <= 1 for a, b in itertools.pairwise(headings))


def test_advice_is_dated_markdown_with_the_referral_steps() -> None:
    advice = advice_sections()
    assert [a["id"] for a in advice] == ["advice-01-context", "advice-02-offences",
                                         "advice-03-referral"]
    for section in advice:
        assert re.search(r"Last reviewed: \d{1,2} \w+ 20\d\d", section["html"])
    assert "refer" in advice[2]["title"].lower() and "<ol>" in advice[2]["html"]


def test_the_pdf_is_tagged_titled_in_english_and_prints_every_number(tmp_path: Path) -> None:
    body = release()
    path = write_pdf(body, tmp_path / "national.pdf")
    reader = PdfReader(path)
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en-GB"
    assert reader.metadata is not None
    assert reader.metadata.title == ("Crimes against MPs, candidates and their staff: "
                                     "July to September 2026")
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = re.sub(r"\s+", " ", text)
    for section in [*body["sections"], *advice_sections()]:
        assert section["title"] in flat
    for section in body["sections"]:
        for table in section["tables"]:
            for row in table["rows"]:
                for value in row[1:]:
                    assert cell_text(value) in flat
    assert "OFFICIAL-SENSITIVE" in flat
    assert re.search(r"Page 3 of \d+", flat)
