"""`generate`: every force's synthetic extract, in its own layout, plus the truth.

The steps run in a fixed order, each on its own seeded random stream, so a seed gives the
same bytes every time: invented victims; ordinary crimes from the calibrated rate model;
planted exceedances; details of each crime (with the plant quarter's platform shift and
outcome delay); planted series and campaigns (which replace ordinary crimes); the plant
quarter's repeat victim (who replaces ordinary crimes too) and emerging term; transfers;
crime references; rows in each force's house style; dirty rows; files; truth
(`etl.synth.intelligence` explains the plant quarter).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from etl.mapping import all_mappings
from etl.periods import month_end, month_label, parse_month
from etl.synth import (
    crimes,
    dirt,
    exceedances,
    intelligence,
    series,
    transfers,
    truth,
    volumes,
)
from etl.synth.dates import EARLIEST, TODAY
from etl.synth.dirt import Line
from etl.synth.geography import force_regions
from etl.synth.house_style import (
    WELSH_FORCES,
    ForceStyle,
    assign_refs,
    render_row,
    style_for,
)
from etl.synth.incident import CrimeBook, Incident
from etl.synth.names import Identities
from etl.synth.population import Population
from etl.synth.sampling import stream
from etl.synth.writers import write_extract
from etl.synth_mark import mark_entry


@dataclass(frozen=True)
class SynthSummary:
    """What was written, for the CLI's table and for tests."""

    out: Path
    files: tuple[Path, ...]
    rows_total: int
    rows_by_force: dict[str, int] = field(default_factory=dict)
    crimes: int = 0
    dirty: int = 0
    transfers: int = 0
    series: int = 0
    campaigns: int = 0
    exceedances: int = 0


def _check(start: str, end: str, scale: float) -> None:
    """Refuse a span or scale that cannot be generated, before anything is written."""
    first, last = parse_month(start), parse_month(end)
    if first < EARLIEST:
        raise ValueError(f"start {start} is before {month_label(EARLIEST)}: PLaIT data begin "
                         "in 2016")
    if last > TODAY.replace(day=1):
        raise ValueError(f"end {end} is after the current month {month_label(TODAY)}")
    if last < first:
        raise ValueError(f"end {end} is before start {start}")
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number, not {scale}")


@dataclass
class _Planted:
    """Everything generated before rendering: the crimes and what was planted among them."""

    model: volumes.RateModel
    styles: dict[str, ForceStyle]
    live: list[Incident]
    crimes: int
    episodes: list[exceedances.Episode]
    offenders: list[series.Offender]
    senders: list[series.Offender]
    origins: list[Incident]
    plan: intelligence.Plan | None
    repeat: intelligence.RepeatVictim | None


def generate(out: Path, seed: int = 7, start: str = "2016-01", end: str = "2026-09",
             scale: float = 1.0) -> SynthSummary:
    """Write `OUT/{force_id}_{start}_{end}.{csv|xlsx|jsonl}` for every mapping and `OUT/truth/`.

    Raises ValueError for a span outside 2016-01..the current month or a scale that is not
    positive, before anything is written.
    """
    _check(start, end, scale)
    out = Path(out)
    span = crimes.Span(parse_month(start), min(month_end(parse_month(end)), TODAY))
    planted = _plant(seed, span, scale)
    lines, pii = _render(seed, planted)
    dirty = dirt.plant(planted.styles, lines, stream(seed, "dirt"))
    (out / "truth").mkdir(parents=True, exist_ok=True)
    files = _write_extracts(out, start, end, planted.styles, lines)
    summary = SynthSummary(
        out=out,
        files=tuple(files),
        rows_total=sum(len(v) for v in lines.values()),
        rows_by_force={force: len(rows) for force, rows in lines.items()},
        crimes=planted.crimes,
        dirty=len(dirty),
        transfers=len(planted.origins),
        series=len(planted.offenders),
        campaigns=len({s.campaign_id for s in planted.senders}),
        exceedances=len(planted.episodes),
    )
    _write_truth(out / "truth", seed, start, end, scale, span, planted, lines, pii, summary)
    return summary


def _plant(seed: int, span: crimes.Span, scale: float) -> _Planted:
    """Victims, ordinary crimes, then everything planted among them, in a fixed order."""
    ids = Identities(stream(seed, "identities"))
    population = Population(stream(seed, "population"), ids)
    styles = {m.force_id: style_for(m, stream(seed, f"style:{m.force_id}"))
              for m in all_mappings()}
    code_forces = frozenset(f for f, s in styles.items() if s.uses_codes)
    model = volumes.RateModel(population, span.first, span.last, scale, code_forces)
    book = CrimeBook(force_regions())
    volumes.background(model, stream(seed, "background"), book)
    episodes = exceedances.plan(model, stream(seed, "exceedance-plan"))
    exceedances.plant(model, stream(seed, "exceedances"), book, episodes)
    plan = intelligence.plan_for(span)
    details = stream(seed, "details")
    for incident in book.incidents:
        crimes.fill(incident, details, ids, span, welsh=incident.force_id in WELSH_FORCES,
                    plan=plan)
    offenders = series.offenders(model, stream(seed, "series"), ids, book, span, WELSH_FORCES,
                                 plan=plan)
    senders = series.campaigns(model, stream(seed, "campaigns"), ids, book, span,
                               first_series=len(offenders), plan=plan)
    repeat = intelligence.plant_repeat_victim(
        plan, model, book, stream(seed, "plants:repeat-victim"), ids, span) if plan else None
    if plan:
        intelligence.plant_term(plan, book.incidents, stream(seed, "plants:term"))
    origins = transfers.plant(book, stream(seed, "transfers"), span, sorted(styles),
                              code_forces, {f: s.mapping.encoding for f, s in styles.items()})
    live = book.live()
    receivers = sorted((i for i in live if i.transfer_role != "origin"),
                       key=lambda i: (i.reported, i.force_id))
    for n, incident in enumerate(receivers, start=1):
        incident.crime_id = f"C{n:07d}"
    for origin in origins:
        assert origin.partner is not None
        origin.crime_id = origin.partner.crime_id
    return _Planted(model, styles, live, len(receivers), episodes, offenders, senders, origins,
                    plan, repeat)


def _render(seed: int, planted: _Planted) -> tuple[dict[str, list[Line]],
                                                   set[tuple[str, str]]]:
    """Each force's rows in date order, with its references, and every raw value written."""
    by_force: dict[str, list[Incident]] = defaultdict(list)
    for incident in planted.live:
        by_force[incident.force_id].append(incident)
    lines: dict[str, list[Line]] = {}
    pii: set[tuple[str, str]] = set()
    for force, style in planted.styles.items():
        incidents = sorted(by_force.get(force, []), key=lambda i: (i.reported, i.crime_id))
        assign_refs(style, incidents, stream(seed, f"refs:{force}"))
        render_rng = stream(seed, f"render:{force}")
        lines[force] = []
        for incident in incidents:
            cells, written = render_row(style, incident, render_rng)
            lines[force].append(Line(cells, incident))
            pii.update(written)
    return lines, pii


def extract_name(force_id: str, start: str, end: str, fmt: str) -> str:
    return f"{force_id}_{start}_{end}.{fmt}"


def _write_extracts(out: Path, start: str, end: str, styles: dict[str, ForceStyle],
                    lines: dict[str, list[Line]]) -> list[Path]:
    files = []
    for force, style in styles.items():
        path = out / extract_name(force, start, end, style.mapping.format)
        write_extract(path, style.mapping, style.header, [ln.cells for ln in lines[force]])
        files.append(path)
    return files


def _write_truth(folder: Path, seed: int, start: str, end: str, scale: float,
                 span: crimes.Span, planted: _Planted, lines: dict[str, list[Line]],
                 pii: set[tuple[str, str]], summary: SynthSummary) -> None:
    """The truth files and the manifest, in the layout truth.py documents."""
    incident_rows: list[list[object]] = []
    dirty_rows: list[list[object]] = []
    manifest_files: list[dict[str, object]] = []
    for force, style in planted.styles.items():
        m = style.mapping
        name = extract_name(force, start, end, m.format)
        ref = m.columns["force_ref"]
        incident_rows += truth.incident_rows(name, m.format, ref, lines[force])
        dirty_rows += truth.dirty_rows(name, m.format, ref, lines[force])
        manifest_files.append({"file": name, "force_id": force, "format": m.format,
                               "rows": len(lines[force]), **mark_entry(folder.parent / name)})
    months = planted.model.months
    truth.write_csv(folder / "incidents.csv", truth.INCIDENT_COLUMNS, incident_rows)
    truth.write_csv(folder / "dirty_rows.csv", truth.DIRTY_COLUMNS, dirty_rows)
    truth.write_csv(folder / "transfers.csv", truth.TRANSFER_COLUMNS, [
        [o.crime_id, o.force_id, o.force_ref, o.partner.force_id, o.partner.force_ref]
        for o in sorted(planted.origins, key=lambda o: o.crime_id) if o.partner
    ])
    truth.write_csv(folder / "series.csv", truth.SERIES_COLUMNS,
                    truth.series_rows([*planted.offenders, *planted.senders]))
    truth.write_csv(folder / "exceedances.csv", truth.EXCEEDANCE_COLUMNS,
                    truth.exceedance_rows(planted.episodes, months))
    truth.write_csv(folder / "exceedance_months.csv", truth.EXCEEDANCE_MONTH_COLUMNS,
                    truth.exceedance_month_rows(planted.episodes, months))
    truth.write_csv(folder / "pii.csv", truth.PII_COLUMNS, sorted(pii))
    truth.write_json(folder / "intelligence.json",
                         intelligence.truth(planted.plan, planted.repeat, planted.live, span))
    truth.write_json(folder / "manifest.json", {
        "generator": "etl.synth",
        "seed": seed, "start": start, "end": end, "scale": float(scale),
        "period": {"first": span.first.isoformat(), "last": span.last.isoformat(),
                   "today": TODAY.isoformat()},
        "files": manifest_files,
        "intelligence": {"file": "intelligence.json",
                         "quarter": planted.plan.quarter if planted.plan else None},
        "totals": {
            "rows": summary.rows_total, "crimes": summary.crimes, "dirty": summary.dirty,
            "transfers": summary.transfers, "offender_series": summary.series,
            "campaigns": summary.campaigns, "campaign_senders": len(planted.senders),
            "exceedances": summary.exceedances, "pii_values": len(pii),
        },
    })
