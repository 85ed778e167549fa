"""The `plait` command end to end: synth → ingest → reconciliation, and failures by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dashboards.cli import app

pytestmark = pytest.mark.functional
runner = CliRunner()


def test_synth_then_ingest_prints_and_writes_the_reconciliation(
    tmp_path: Path, warehouse_url: str
) -> None:
    out = tmp_path / "extracts"
    result = runner.invoke(app, ["synth", "--out", str(out), "--seed", "3", "--start", "2023-01",
                                 "--end", "2024-12", "--scale", "0.3"])
    assert result.exit_code == 0, result.output
    report = tmp_path / "report.json"
    result = runner.invoke(app, ["ingest", str(out), "--db", warehouse_url,
                                 "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "read = loaded + updated + duplicate + rejected" in result.output
    rows = json.loads(report.read_text())
    assert len(rows) == 45
    assert set(rows[0]) == {"file", "kind", "force_id", "status", "read", "loaded",
                            "updated", "duplicate", "rejected", "error"}
    assert {r["status"] for r in rows} == {"loaded"}
    assert all(r["read"] == r["loaded"] + r["updated"] + r["duplicate"] + r["rejected"]
               for r in rows)

    again = runner.invoke(app, ["ingest", str(out), "--db", warehouse_url,
                                "--report", str(report)])
    assert again.exit_code == 0
    assert {r["status"] for r in json.loads(report.read_text())} == {"skipped"}


def test_a_file_that_cannot_be_read_exits_non_zero_naming_it(
    tmp_path: Path, warehouse_url: str
) -> None:
    bad = tmp_path / "2024-01-kent-street.csv"
    header = (b"Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
              b"LSOA name,Crime type,Last outcome category,Context\n")
    bad.write_bytes(header + b",2024-01,Kent Police,Kent Police,\xff\xfe,,,,,,,\n")
    report = tmp_path / "report.json"
    result = runner.invoke(app, ["ingest", str(bad), "--db", warehouse_url,
                                 "--report", str(report)])
    assert result.exit_code == 1
    assert str(bad) in result.output
    [row] = json.loads(report.read_text())
    assert row["status"] == "failed" and "utf-8" in row["error"]


def test_detect_writes_the_contract_csv(tmp_path: Path) -> None:
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(11)
    counts = rng.poisson(9, 132)
    counts[-1] = 45
    periods = [f"{2015 + i // 12}-{i % 12 + 1:02d}" for i in range(132)]
    source = tmp_path / "counts.csv"
    pl.DataFrame({"series_id": "s", "period": periods, "count": counts}).write_csv(source)
    out = tmp_path / "out.csv"

    result = runner.invoke(app, ["detect", "--counts", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text().splitlines()
    assert text[0] == "series_id,period,observed,expected,upperbound,alarm,method"
    assert len(text) == 13
    assert text[-1].startswith("s,2025-12,45,") and text[-1].endswith(",true,farrington")
    assert all(line.split(",")[5] in ("true", "false") for line in text[1:])

    bad_method = runner.invoke(app, ["detect", "--counts", str(source), "--out", str(out),
                                     "--method", "cusum"])
    assert bad_method.exit_code == 2
    broken = tmp_path / "broken.csv"
    broken.write_text("series_id,period,count\ns,2024-01,-3\n")
    bad_file = runner.invoke(app, ["detect", "--counts", str(broken), "--out", str(out)])
    assert bad_file.exit_code == 1
    assert "row 2, field count" in bad_file.output


def _incident_rows() -> list[dict[str, str]]:
    """Four incidents of one sender (one key, one signed phrase) among eight unrelated."""
    rows = []
    for i in range(12):
        in_series = i < 4
        rows.append({
            "incident_id": f"force{i % 3}:{i}", "force_id": f"force{i % 3}", "force_ref": str(i),
            "reported_date": f"2025-03-{i + 1:02d}" if in_series else f"20{14 + i}-0{1 + i % 9}-15",
            "channel": "email" if in_series else ("letter", "phone", "in_person")[i % 3],
            "platform": "", "victim_role": "mp", "victim_id": f"v{i}",
            "suspect_keys": "k1" if in_series else "",
            "summary": ('Email signed "Democracy dies in silence - N.O.T.A."' if in_series
                        else ("Graffiti on the office window", "Abusive call about bins",
                              "Shouted at during a surgery", "Card left on the car",
                              "Complaint escalated to threats", "Voicemail in capitals",
                              "Leaflet defaced and posted back", "Caller refused to give name"
                              )[i - 4]),
        })
    return rows


def test_link_writes_one_row_per_incident(tmp_path: Path) -> None:
    import polars as pl

    rows = _incident_rows()
    source = tmp_path / "incidents.csv"
    pl.DataFrame(rows).write_csv(source)
    out = tmp_path / "series.csv"
    result = runner.invoke(app, ["link", "--incidents", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    got = pl.read_csv(out)
    assert got.columns == ["incident_id", "series_id", "score"]
    assert sorted(got["incident_id"].to_list()) == sorted(r["incident_id"] for r in rows)
    series = got.filter(pl.col("incident_id").is_in([r["incident_id"] for r in rows[:4]]))
    assert series["series_id"].n_unique() == 1
    assert got["series_id"].n_unique() == 1 + 8


def test_link_attaches_new_incidents_to_stored_series(tmp_path: Path) -> None:
    import polars as pl

    rows = _incident_rows()
    first = tmp_path / "first.csv"
    pl.DataFrame(rows[1:]).write_csv(first)
    stored = tmp_path / "stored.csv"
    assert runner.invoke(app, ["link", "--incidents", str(first), "--out", str(stored)]
                         ).exit_code == 0
    everything = tmp_path / "all.csv"
    pl.DataFrame(rows).write_csv(everything)
    out = tmp_path / "attached.csv"
    result = runner.invoke(app, ["link", "--incidents", str(everything), "--series",
                                 str(stored), "--out", str(out)])
    assert result.exit_code == 0, result.output
    before = pl.read_csv(stored)
    after = pl.read_csv(out)
    assert after.height == len(rows)
    kept = before.join(after, on="incident_id", suffix="_after")
    assert (kept["series_id"] == kept["series_id_after"]).all()
    series_of = dict(zip(after["incident_id"], after["series_id"], strict=True))
    assert series_of[rows[0]["incident_id"]] == series_of[rows[1]["incident_id"]]


def test_similar_lists_the_seeds_series_first(tmp_path: Path) -> None:
    import polars as pl

    rows = _incident_rows()
    source = tmp_path / "incidents.csv"
    pl.DataFrame(rows).write_csv(source)
    out = tmp_path / "like.csv"
    result = runner.invoke(app, ["similar", "--incidents", str(source), "--seed",
                                 rows[0]["incident_id"], "--seed", rows[1]["incident_id"],
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    ranked = pl.read_csv(out)
    assert ranked["incident_id"].head(2).sort().to_list() == sorted(
        r["incident_id"] for r in rows[2:4])
    assert "shared suspect key" in ranked["why"][0]
    missing = runner.invoke(app, ["similar", "--incidents", str(source), "--seed", "nope:1"])
    assert missing.exit_code == 1
    assert "not found: nope:1" in missing.output


def test_report_writes_the_national_and_every_force_release(
    tmp_path: Path, warehouse_url: str
) -> None:
    out = tmp_path / "extracts"
    assert runner.invoke(app, ["synth", "--out", str(out), "--seed", "4", "--start", "2023-01",
                               "--end", "2025-06", "--scale", "0.5"]).exit_code == 0
    assert runner.invoke(app, ["ingest", str(out), "--db", warehouse_url]).exit_code == 0
    early = runner.invoke(app, ["report", "--quarter", "2025Q2", "--db", warehouse_url,
                                "--format", "json", "--out", str(tmp_path / "n.json")])
    assert early.exit_code == 1 and "plait analyse --as-of 2025-06" in early.output
    analysed = runner.invoke(app, ["analyse", "--db", warehouse_url])
    assert analysed.exit_code == 0, analysed.output
    assert "of note" in analysed.output and "emerging_term" in analysed.output

    national = tmp_path / "national.json"
    result = runner.invoke(app, ["report", "--quarter", "2025Q2", "--db", warehouse_url,
                                 "--format", "json", "--out", str(national)])
    assert result.exit_code == 0, result.output
    body = json.loads(national.read_text())
    assert body["quarter"] == "2025Q2" and body["audience"] == "national"
    assert [s["id"] for s in body["sections"]][:2] == ["summary", "trends"]

    folder = tmp_path / "all"
    result = runner.invoke(app, ["report", "--quarter", "2025Q2", "--all", "--db",
                                 warehouse_url, "--format", "json", "--out", str(folder)])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in folder.glob("*.json"))
    assert "national.json" in files and "kent.json" in files and len(files) == 47
    kent = json.loads((folder / "kent.json").read_text())
    assert kent["audience"] == "force:kent"
    assert json.loads((folder / "national.json").read_text())["sections"] == body["sections"]

    if "sqlite" in warehouse_url:
        _check_pdfs(tmp_path, warehouse_url, out, body)

    for args, code in ((["--quarter", "2025Q5"], 2), (["--quarter", "2025Q2", "--force",
                                                        "atlantis"], 1),
                       (["--quarter", "2024Q4"], 1), (["--quarter", "2025Q2", "--format",
                                                        "docx"], 2)):
        bad = runner.invoke(app, ["report", *args, "--db", warehouse_url, "--out",
                                  str(tmp_path / "x.json")])
        assert bad.exit_code == code, (args, bad.output)


def _check_pdfs(tmp_path: Path, warehouse_url: str, extracts: Path, national: dict) -> None:  # type: ignore[type-arg]
    """Every report as a PDF: tagged, titled, English; the national one prints its release's
    section titles and count cells; no planted personal value in any of them."""
    import csv
    import re

    from pypdf import PdfReader

    from dashboards.report_pdf import cell_text

    folder = tmp_path / "pdf"
    result = runner.invoke(app, ["report", "--quarter", "2025Q2", "--all", "--db",
                                 warehouse_url, "--format", "pdf", "--out", str(folder)])
    assert result.exit_code == 0, result.output
    pdfs = sorted(folder.glob("*.pdf"))
    assert len(pdfs) == 47
    with (extracts / "truth" / "pii.csv").open(encoding="utf-8") as fh:
        pii = {r["value"].lower() for r in csv.DictReader(fh) if len(r["value"]) >= 5}
    for path in pdfs:
        reader = PdfReader(path)
        root = reader.trailer["/Root"]
        assert bool(root["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in root
        assert root["/Lang"] == "en-GB"
        text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))
        assert [v for v in pii if v in text.lower()] == [], path.name
        if path.name == "national.pdf":
            _compare_golden_text(path)
            for section in national["sections"]:
                assert section["title"] in text
                for table in section["tables"]:
                    for column in table["count_columns"]:
                        i = table["columns"].index(column)
                        for row in table["rows"]:
                            assert cell_text(row[i]) in text, (table["id"], row)


GOLDEN = Path(__file__).parent / "golden" / "report_2025Q2_national.txt"


def _compare_golden_text(pdf: Path) -> None:
    """`pdftotext -layout` of the national report against the golden text for this synth seed
    (never the PDF bytes, which carry ids and times). PLAIT_UPDATE_GOLDEN=1 rewrites it."""
    import os
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed; .ci/run installs it")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    if os.environ.get("PLAIT_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")
