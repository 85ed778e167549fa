"""Dirty rows: about 1 % of rows, one problem each, the only invalid rows in the data.

Each kind is a fault real extracts have: a blank required cell, a date that cannot exist
(31 February, month 13, the year 2099, an offence that happened after it was reported), an
offence or value wording in no reference list, coordinates outside the UK, and a row
exported twice. Problems are planted in the written cells, in the force's own format, so
ingest meets them exactly as it would in a real file; the truth records the canonical field
and the raw value. Only ordinary crimes are made dirty: never a series member, a planted
exceedance crime or half of a transfer.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from etl.synth.dates import EXCEL_SERIAL, excel_serial, render, render_parts
from etl.synth.house_style import Cell, ForceStyle
from etl.synth.incident import Incident
from etl.synth.sampling import cumulative, pick

SHARE = 0.01
KINDS = ("missing_field", "impossible_date", "unknown_offence", "unknown_value",
         "bad_coordinates", "exact_duplicate")
UNKNOWN_OFFENCES = ("Suspicious package report", "Miscellaneous", "Admin - see notes",
                    "Concern for welfare", "Lost property")
UNKNOWN_CODES = ("999Z", "12Z")
UNKNOWN_VALUES = {
    "channel": ("Fax", "Carrier pigeon", "See notes", "Graffiti tag"),
    "victim_role": ("Journalist", "Constituent", "Peer", "Mayor"),
}
OUTSIDE_UK = ((48.8566, 2.3522), (40.7128, -74.006), (40.4168, -3.7038), (-33.8688, 151.2093),
              (-0.1276, 51.5072))


@dataclass(frozen=True)
class Dirt:
    """What is wrong with a row: the canonical field, and the raw value written."""

    kind: str
    field: str
    value: str


@dataclass(eq=False)
class Line:
    """A data row of an extract, with the crime it came from and its planted fault."""

    cells: dict[str, Cell]
    incident: Incident
    dirt: Dirt | None = None
    copied: bool = False


def _eligible(style: ForceStyle, line: Line, kind: str) -> bool:
    """Dirt goes only on ordinary rows, once each, and coordinates only where a point is written."""
    if line.dirt is not None or line.copied or not line.incident.is_plain:
        return False
    if kind == "bad_coordinates":
        column = style.mapping.columns.get("latitude")
        return column is not None and line.cells.get(column) is not None
    return True


def plant(styles: dict[str, ForceStyle], lines: dict[str, list[Line]],
          rng: random.Random) -> list[Line]:
    """Choose ~1 % of rows across forces, cycling through the kinds so each appears.

    Forces are drawn with weight √rows, so small forces get dirt too, in every format.
    """
    total = sum(len(v) for v in lines.values())
    wanted = max(len(KINDS), round(SHARE * total)) if total >= 200 else round(SHARE * total)
    order = list(KINDS)
    rng.shuffle(order)
    forces = sorted(lines)
    candidates = {
        (kind, f): [ln for ln in lines[f] if _eligible(styles[f], ln, kind)]
        for kind in ("missing_field", "bad_coordinates") for f in forces
    }
    planted: list[Line] = []
    for n in range(wanted):
        kind = order[n % len(order)]
        pool_kind = "bad_coordinates" if kind == "bad_coordinates" else "missing_field"
        usable = [f for f in forces if candidates[(pool_kind, f)]]
        if not usable:
            continue
        force = pick(rng, usable,
                     cumulative([math.sqrt(len(candidates[(pool_kind, f)])) for f in usable]))
        pool = candidates[(pool_kind, force)]
        line = pool.pop(rng.randrange(len(pool)))
        while not _eligible(styles[force], line, kind) and pool:
            line = pool.pop(rng.randrange(len(pool)))
        if not _eligible(styles[force], line, kind):
            continue
        line.dirt = _spoil(styles[force], line, kind, rng)
        if kind == "exact_duplicate":
            copy = Line(dict(line.cells), line.incident, line.dirt, copied=True)
            line.dirt, line.copied = None, True
            rows = lines[force]
            at = rows.index(line)
            where = at + 1 if rng.random() < 0.5 else rng.randint(at + 1, len(rows))
            rows.insert(where, copy)
            planted.append(copy)
        else:
            planted.append(line)
    return planted


def _spoil(style: ForceStyle, line: Line, kind: str, rng: random.Random) -> Dirt:
    """Write one fault into the row's cells and say which canonical field it is in."""
    cols = style.mapping.columns
    cells = line.cells
    if kind == "missing_field":
        field = rng.choice(("force_ref", "reported_date", "offence"))
        cells[cols[field]] = None
        return Dirt(kind, field, "")
    if kind == "impossible_date":
        field, value = _impossible_date(style, line.incident, rng)
        cells[cols[field]] = value
        return Dirt(kind, field, str(value))
    if kind == "unknown_offence":
        pool = (*UNKNOWN_CODES, *UNKNOWN_OFFENCES[:2]) if style.uses_codes else UNKNOWN_OFFENCES
        value = rng.choice(pool)
        cells[cols["offence"]] = value
        return Dirt(kind, "offence", value)
    if kind == "unknown_value":
        field = rng.choice(("channel", "victim_role"))
        value = rng.choice(UNKNOWN_VALUES[field])
        cells[cols[field]] = value
        return Dirt(kind, field, value)
    if kind == "bad_coordinates":
        lat, lon = rng.choice(OUTSIDE_UK)
        cells[cols["latitude"]] = f"{lat:.6f}"
        cells[cols["longitude"]] = f"{lon:.6f}"
        return Dirt(kind, "latitude", f"{lat:.6f}")
    if kind == "exact_duplicate":
        return Dirt(kind, "force_ref", line.incident.force_ref)
    raise ValueError(kind)


def _impossible_date(style: ForceStyle, incident: Incident,
                     rng: random.Random) -> tuple[str, Cell]:
    """A date the force's format can hold but the calendar or the case cannot."""
    fmt = style.mapping.date_format
    reported = incident.reported
    assert reported is not None
    later = reported + dt.timedelta(days=rng.randint(2, 30))
    options: list[tuple[str, Cell]] = [("occurred_date", render(fmt, later))]
    if fmt == EXCEL_SERIAL:
        options.append(("reported_date", excel_serial(dt.date(2099, reported.month,
                                                                min(reported.day, 28)))))
    else:
        h, mi, s = reported.hour, reported.minute, reported.second
        options.append(("reported_date", render_parts(fmt, reported.year, 2, rng.choice(
            (30, 31)), h, mi, s)))
        if "%m" in fmt:
            options.append(("reported_date", render_parts(fmt, reported.year, 13,
                                                          min(reported.day, 28), h, mi, s)))
        if "%Y" in fmt:
            options.append((rng.choice(("reported_date", "occurred_date")), render_parts(
                fmt, 2099, reported.month, min(reported.day, 28), h, mi, s)))
    return rng.choice(options)
