"""The answer key: what was planted where, so tests and model evaluations can score against it.

Row numbers are the ones a user sees (CSV and XLSX: header is row 1, first record row 2;
JSON lines: first line is row 1), the same numbering ingest reports. Canonical fields are
the intended values, also for dirty rows, so a test can tell what a row should have been.

Files: `incidents.csv` (one row per written row), `dirty_rows.csv`, `transfers.csv`,
`series.csv`, `exceedances.csv` and `exceedance_months.csv`, `pii.csv` (every raw sensitive
value written), `manifest.json` (arguments, files with their SHA-256: the mark ingest checks
without a key, `etl.synth_mark`; totals), and `intelligence.json`: what the
quarterly release's statistics must find in the plant quarter (`etl.synth.intelligence`):
`{"quarter": "2026Q3", "quarter_start", "quarter_end", "repeat_victim": {"person_id",
"force_id", "victim_role", "planted_count", "quarter_count"}, "platform_shift": {"channel",
"platform", "weights_before", "weights_in_quarter", "in_quarter", "previous_four_quarters"},
"emerging_term": {"term", "planted_count", "sentence", "channels", "share"},
"outcome_delay": {"offence_group", "from", "to", "median_days", "factor", "as_of",
"incident_count", "open_count_at_end"}}`; a plant not made is null, all of them when the
span has fewer than five complete quarters. Its counts are crimes: a transfer's first
record (`transfer_role` origin) is not counted again.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from etl.synth.dirt import Line
from etl.synth.exceedances import Episode
from etl.synth.series import Offender

INCIDENT_COLUMNS = (
    "file", "row", "force_id", "force_ref", "crime_id", "reported_date", "offence_group",
    "channel", "victim_role", "constituency_code", "series_id", "campaign_id",
    "exceedance_id", "dirty_kind", "transfer_role",
    "occurred_date", "hate_strand", "platform", "outcome", "outcome_date", "person_id",
)
DIRTY_COLUMNS = ("file", "row", "force_id", "force_ref", "field", "kind", "value")
TRANSFER_COLUMNS = ("crime_id", "from_force_id", "from_force_ref", "to_force_id", "to_force_ref")
SERIES_COLUMNS = ("series_id", "kind", "campaign_id", "n_incidents", "n_forces", "forces",
                  "channel", "platform", "signature", "targeting")
EXCEEDANCE_COLUMNS = ("exceedance_id", "level", "unit", "offence_group", "channel",
                      "start_month", "end_month", "baseline_expected", "planted_extra")
EXCEEDANCE_MONTH_COLUMNS = ("exceedance_id", "month", "baseline_expected", "planted_extra")
PII_COLUMNS = ("kind", "value")


def first_row(fmt: str) -> int:
    return 1 if fmt == "jsonl" else 2


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])


def incident_rows(file: str, fmt: str, ref_column: str, lines: list[Line]) -> list[list[object]]:
    """One truth row per written row: where it is, what it should mean, what was planted in it."""
    out: list[list[object]] = []
    for n, line in enumerate(lines, start=first_row(fmt)):
        i = line.incident
        out.append([
            file, n, i.force_id, line.cells[ref_column] or "", i.crime_id, i.day.isoformat(),
            i.offence_group, i.channel, i.victim.role, i.victim.constituency.code, i.series_id,
            i.campaign_id, i.exceedance_id, line.dirt.kind if line.dirt else "",
            i.transfer_role, i.occurred.date().isoformat() if i.occurred else "",
            i.hate_strand or "", i.platform or "", i.outcome,
            i.outcome_date.isoformat() if i.outcome_date else "", i.victim.person.person_id,
        ])
    return out


def dirty_rows(file: str, fmt: str, ref_column: str, lines: list[Line]) -> list[list[object]]:
    """The planted faults, by the row number ingest reports."""
    return [
        [file, n, line.incident.force_id, line.cells[ref_column] or "", line.dirt.field,
         line.dirt.kind, line.dirt.value]
        for n, line in enumerate(lines, start=first_row(fmt)) if line.dirt
    ]


def series_rows(offenders: list[Offender]) -> list[list[object]]:
    """Offenders and campaign senders, with the forces their crimes fell in."""
    out: list[list[object]] = []
    for o in offenders:
        forces = sorted({i.force_id for i in o.incidents})
        out.append([o.series_id, o.kind, o.campaign_id, len(o.incidents), len(forces),
                    ";".join(forces), o.channel, o.platform or "", o.signature, o.targeting])
    return out


def exceedance_rows(episodes: list[Episode], months: list[str]) -> list[list[object]]:
    """One row per episode: totals over its months (per month in exceedance_months.csv)."""
    return [
        [e.exceedance_id, e.level, e.unit, e.offence_group, e.channel, months[e.months[0]],
         months[e.months[-1]], round(sum(e.baseline), 2), sum(e.extra)]
        for e in episodes
    ]


def exceedance_month_rows(episodes: list[Episode], months: list[str]) -> list[list[object]]:
    return [
        [e.exceedance_id, months[m], round(b, 3), x]
        for e in episodes for m, b, x in zip(e.months, e.baseline, e.extra, strict=True)
    ]


def write_json(path: Path, document: dict[str, object]) -> None:
    """The manifest and intelligence.json: indented, keys in the order given, so diffable."""
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
