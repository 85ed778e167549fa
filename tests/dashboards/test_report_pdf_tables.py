"""Every number printed in the PDF comes from the JSON release of the same quarter and audience.

The tables are read back from the PDF's tag structure (`tests.dashboards.pdf_tables`), the
tables a screen reader announces, and compared cell by cell with the release that
`plait report --format json` writes for the same quarter and audience: the national report, and
a force's (which prints fewer rows of the national funnel tables). The extractor itself is
proven on small hand-made tables, one of them broken across pages with its header repeated.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject
from typer.testing import CliRunner

from dashboards.cli import app
from dashboards.report_pdf import cell_text, column_label, printed_rows, row_label
from tests.dashboards.pdf_tables import tables_in_pdf

runner = CliRunner()
QUARTER = "2025Q2"
FORCE, FORCE_LABEL = "kent", "Kent Police"
Report = tuple[dict[str, Any], list[list[list[str]]]]
"""A release as `plait report --format json` writes it, and the tables read from its PDF."""


def _squash(text: str) -> str:
    return " ".join(text.split())


def _printed_table(table: dict[str, Any], force_label: str | None) -> list[list[str]]:
    """The rows the report should print of a release table: header row first."""
    rows, _ = printed_rows(table, force_label)
    words = table["id"].endswith("emerging_terms")  # the terms are printed as people wrote them
    body = [[row_label(v) if i == 0 and isinstance(v, str) and not words else cell_text(v)
             for i, v in enumerate(row)] for row in rows]
    return [[_squash(column_label(c)) for c in table["columns"]],
            *[[_squash(text) for text in row] for row in body]]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    """The national and one force's release (JSON) and the tables of its report (PDF), of a
    synthetic quarter; both written by `plait report`."""
    tmp = tmp_path_factory.mktemp("report_pdf_tables")
    url = f"sqlite:///{tmp / 'warehouse.db'}"
    extracts = tmp / "extracts"
    for args in (["synth", "--out", str(extracts), "--seed", "4", "--start", "2023-01",
                  "--end", "2025-06", "--scale", "0.5"],
                 ["ingest", str(extracts), "--db", url],
                 ["analyse", "--db", url]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args[0], result.output)
    out: dict[str, Report] = {}
    for name, audience in (("national", []), (FORCE, ["--force", FORCE])):
        paths = {}
        for fmt in ("json", "pdf"):
            paths[fmt] = tmp / f"{name}.{fmt}"
            result = runner.invoke(app, ["report", "--quarter", QUARTER, *audience, "--db", url,
                                         "--format", fmt, "--out", str(paths[fmt])])
            assert result.exit_code == 0, (name, fmt, result.output)
        out[name] = (json.loads(paths["json"].read_text(encoding="utf-8")),
                     tables_in_pdf(paths["pdf"]))
    return out


@pytest.mark.functional
@pytest.mark.parametrize("name", ["national", FORCE])
def test_every_table_in_the_pdf_is_its_release_table(
    reports: dict[str, Report], name: str
) -> None:
    release, got = reports[name]
    assert release["quarter"] == QUARTER
    assert release["audience"] == ("national" if name == "national" else f"force:{FORCE}")
    force_label = None if name == "national" else FORCE_LABEL
    if force_label is not None:
        assert any(s["title"].startswith(f"{force_label} against") for s in release["sections"])
    tables = [t for s in release["sections"] for t in s["tables"] if t["rows"]]
    expected = [_printed_table(t, force_label) for t in tables]

    assert len(got) == len(tables), [t["id"] for t in tables]
    for table, want, have in zip(tables, expected, got, strict=True):
        where = f"{name}: table {table['id']!r}"
        assert have[0] == [column_label(c) for c in table["columns"]], where
        assert have[1:] == want[1:], where
        width = len(table["columns"])
        assert all(len(row) == width for row in have), where
        assert sum(map(len, have)) == width * len(want), where  # no cell dropped or added
    if force_label is not None:  # the force's report lists fewer funnel rows, and says so
        funnels = [t for t in tables if t["id"] in ("incidents_funnel", "charge_rate_funnel")]
        assert funnels and all(len(printed_rows(t, force_label)[0]) < len(t["rows"])
                               for t in funnels)


@pytest.mark.functional
@pytest.mark.parametrize("name", ["national", FORCE])
def test_no_count_cell_in_the_pdf_is_an_unsuppressed_small_count(
    reports: dict[str, Report], name: str
) -> None:
    release, got = reports[name]
    smallest = release["disclosure"]["suppress_up_to"]
    assert smallest == 7
    tables = [t for s in release["sections"] for t in s["tables"] if t["rows"]]
    assert len(got) == len(tables)
    checked = 0
    for table, have in zip(tables, got, strict=True):
        for column in table["count_columns"]:
            i = table["columns"].index(column)
            for row in have[1:]:
                if re.fullmatch(r"\d[\d,]*", row[i]):
                    checked += 1
                    assert not 1 <= int(row[i].replace(",", "")) <= smallest, (
                        name, table["id"], row)
                else:
                    assert row[i] in ("[c]", "[x]"), (name, table["id"], row)
    assert checked > 0


# The extractor, on tables made by hand ---------------------------------------------------

PAGE = """<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><title>Tables</title>
<style>
  @page {{ size: A6; margin: 10mm; @top-left {{ content: "Running head"; }} }}
  body {{ font: 9pt "DejaVu Sans", sans-serif; }}
  thead {{ display: table-header-group; }}
  tr {{ page-break-inside: avoid; }}
</style></head>
<body>{body}</body></html>"""


def _render(body: str, path: Path) -> Path:
    from weasyprint import HTML

    HTML(string=PAGE.format(body=body)).write_pdf(path, pdf_variant="pdf/ua-1", pdf_tags=True)
    return path


def _table(header: list[str] | None, rows: list[list[str]]) -> str:
    head = "" if header is None else (
        "<thead><tr>" + "".join(f'<th scope="col">{h}</th>' for h in header) + "</tr></thead>")
    body = "".join("<tr>" + f'<th scope="row">{r[0]}</th>' + "".join(
        f"<td>{c}</td>" for c in r[1:]) + "</tr>" for r in rows)
    return f"<table>{head}<tbody>{body}</tbody></table>"


def _table_elements(path: Path) -> list[bool]:
    """The structure tree's `Table` elements (one per page a table is on): has it a `THead`?"""
    def walk(node: Any) -> list[bool]:
        node = node.get_object()
        if not isinstance(node, DictionaryObject) or "/K" not in node:
            return []
        kids = node["/K"]
        kids = list(kids) if isinstance(kids, ArrayObject) else [kids]
        if node.get("/S") == "/Table":
            return [any(isinstance(k.get_object(), DictionaryObject)
                        and k.get_object().get("/S") == "/THead" for k in kids)]
        return [found for kid in kids for found in walk(kid)]

    return walk(PdfReader(path).trailer["/Root"]["/StructTreeRoot"])


@pytest.mark.unit
def test_the_extractor_reads_cells_through_the_tags(tmp_path: Path) -> None:
    header = ["Area", "Number of incidents", "Change on the previous quarter %"]
    rows = [["Yorkshire and the Humber", "1,250", "−3.5"], ["Wales", "[c]", "[x]"],
            ["Île-de-France & Co", "12", "£4.2"]]
    body = (f"<h1>Tables</h1><h2>First</h2>{_table(header, rows)}"
            f"<p>Between the tables.</p>{_table(['Area', 'Count'], [['Total', '7']])}"
            f"{_table(['Area', 'Count'], [['Total', '8']])}"  # same header, same page
            "<p>No table here: <b>1,250</b></p>")
    path = _render(body, tmp_path / "small.pdf")
    assert tables_in_pdf(path) == [[header, *rows], [["Area", "Count"], ["Total", "7"]],
                                   [["Area", "Count"], ["Total", "8"]]]


@pytest.mark.unit
def test_a_table_broken_across_pages_comes_back_whole(tmp_path: Path) -> None:
    header = ["Force", "Incidents"]
    rows = [[f"Force number {i} with a long name", f"{i * 1000:,}"] for i in range(1, 61)]
    bare = [[f"Bare {i}", str(i)] for i in range(1, 41)]
    same_header = [["Another", "5"]]
    body = (f"<h1>Long</h1><h2>Continued</h2>{_table(header, rows)}"
            f"<p>A table with no header row:</p>{_table(None, bare)}"
            f"<h2>Same header, new table</h2>{_table(header, same_header)}")
    path = _render(body, tmp_path / "long.pdf")
    assert len(PdfReader(path).pages) >= 4
    elements = _table_elements(path)  # one per page a table is on
    assert elements.count(True) >= 1 + 2 and elements.count(False) >= 2  # both split
    got = tables_in_pdf(path)
    assert got == [[header, *rows], bare, [header, *same_header]]
