"""Each force's house style: how its records system writes the same canonical crime.

A style is drawn once per force from the seed: which wording it uses for each channel,
role, outcome and hate strand (value_wordings.csv, plus the mapping's own `[values]`),
which offence titles or Home Office codes (offence_taxonomy.csv; code forces are those
whose offence column is named "...Code", and some pad codes to `008R`), how it writes
"not a hate crime", how its crime references look, and whether it writes Welsh for part of
its rows. Rendering a crime in a style gives the row exactly as the extract holds it, and
the raw sensitive values in it, which the truth must list.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

from etl import reference
from etl.mapping import ForceMapping
from etl.synth.dates import render
from etl.synth.incident import Incident
from etl.synth.summaries import X_REBRAND

Cell = str | int | None

WELSH_FORCES = frozenset({"north-wales", "dyfed-powys", "gwent", "south-wales"})
WELSH_WORDINGS = frozenset({
    "E-bost", "Llythyr", "Cyfryngau cymdeithasol", "Ffôn", "Wyneb yn wyneb", "Anhysbys",
    "Aelod Seneddol", "Ymgeisydd", "Staff aelod", "Teulu", "Cynghorydd", "O dan ymchwiliad",
    "Trosglwyddwyd", "Cyfathrebu maleisus", "Aflonyddu", "Stelcian", "Bygythiad i ladd",
    "Difrod troseddol",
})
ONLINE_SAFETY_ACT = dt.date(2024, 1, 31)
# Home Office codes a code force records for each group (weights), and for aggravated ones.
CODES: dict[str, dict[str, float]] = {
    "malicious_communications": {"8R": 1.0},
    "harassment": {"8L": 1.0},
    "stalking": {"8Q": 1.0},
    "threats_to_kill": {"3B": 1.0},
    "public_order": {"9A": 0.8, "66": 0.15, "62A": 0.05},
    "criminal_damage": {"58B": 0.45, "58A": 0.25, "58C": 0.15, "58D": 0.1, "59": 0.05},
    "assault": {"105A": 0.7, "8N": 0.3},
    "burglary_or_trespass": {"28E": 0.5, "30C": 0.5},
    "other": {"39": 0.4, "49": 0.4, "53A": 0.2},
}
AGGRAVATED_CODES = {"harassment": "8M", "public_order": "9B", "criminal_damage": "58J",
                    "assault": "105B"}
ATHENA_PNC = {"essex": 42, "kent": 46, "norfolk": 36, "suffolk": 37, "bedfordshire": 40,
              "cambridgeshire": 35, "hertfordshire": 41, "warwickshire": 23, "west-mercia": 22}
EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {
    "Athena": ("OIC",), "Connect": ("Officer in case",), "Niche RMS (City)": ("Officer in case",),
    "PoliceWorks": ("oic_collar",),
}
# Five-digit references (Athena, City) leave less room than six- or seven-digit ones.
REF_ROOM = {"Athena": 90_000, "Niche RMS (City)": 90_000}


def uses_ho_codes(mapping: ForceMapping) -> bool:
    return "code" in mapping.columns["offence"].lower()


def writes_constituency_code(mapping: ForceMapping) -> bool:
    column = mapping.columns.get("constituency", "")
    return "code" in column.lower()


def identifier_kind(column: str) -> str | None:
    """Which identifier a separate column holds, or None for a combined column."""
    name = column.lower()
    if "email" in name:
        return "email"
    if "phone" in name or "telephone" in name:
        return "phone"
    if any(w in name for w in ("social", "online", "handle")):
        return "handle"
    return None


def force_abbreviation(force_id: str) -> str:
    parts = [p for p in force_id.split("-") if p not in ("and", "of")]
    if len(parts) == 1:
        return parts[0][:3].upper()
    return "".join(p[0] for p in parts).upper()


@cache
def _taxonomy() -> tuple[tuple[str, str, str, str | None], ...]:
    rows = reference.offence_taxonomy().iter_rows(named=True)
    return tuple((r["wording"], r["ho_code"] or "", r["offence_group"], r["hate_strand"])
                 for r in rows)


@cache
def _value_wordings() -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in reference.value_wordings().iter_rows(named=True):
        out[r["field"]][r["value"]].append(r["wording"])
    return out


@dataclass(frozen=True)
class ForceStyle:
    """How one force writes; drawn once from the seed, then applied to every row."""

    mapping: ForceMapping
    uses_codes: bool
    code_padding: float
    constituency_codes: bool
    welsh_share: float
    offence_words: dict[tuple[str, bool], tuple[str, ...]]
    welsh_offence: dict[str, str]
    values: dict[str, dict[str, str]]
    welsh_values: dict[str, dict[str, str]]
    not_hate: str | None
    handle_at: bool
    says_twitter: bool
    extra_columns: tuple[str, ...]

    @property
    def force_id(self) -> str:
        return self.mapping.force_id

    @property
    def header(self) -> tuple[str, ...]:
        return (*self.mapping.source_columns, *self.extra_columns)

    def value(self, field: str, canonical: str, rng: random.Random) -> str:
        """The force's wording for a canonical value; Welsh forces write Welsh on some rows."""
        welsh = self.welsh_values.get(field, {}).get(canonical)
        if welsh and rng.random() < self.welsh_share:
            return welsh
        return self.values[field][canonical]

    def offence(self, incident: Incident, rng: random.Random) -> str:
        """A Home Office code (sometimes zero-padded) or one of the force's offence titles."""
        group = incident.offence_group
        if self.uses_codes:
            code = AGGRAVATED_CODES.get(group) if incident.aggravated else None
            if code is None:
                table = CODES[group]
                code = rng.choices(list(table), weights=list(table.values()))[0]
            if rng.random() < self.code_padding:
                digits = len(code) - len(code.lstrip("0123456789"))
                code = "0" * max(0, 3 - digits) + code
            return code
        if group in self.welsh_offence and not incident.aggravated and (
                rng.random() < self.welsh_share):
            return self.welsh_offence[group]
        words = self.offence_words.get((group, incident.aggravated)) or self.offence_words[
            (group, False)]
        reported = incident.reported.date() if incident.reported else incident.day
        usable = [w for w in words if reported >= ONLINE_SAFETY_ACT or "Online Safety" not in w]
        return rng.choice(usable or list(words))


def style_for(mapping: ForceMapping, rng: random.Random) -> ForceStyle:
    """Draw a force's house style (its choices stay fixed for every row it writes)."""
    force = mapping.force_id
    welsh = force in WELSH_FORCES
    system = mapping.records_system
    codes = uses_ho_codes(mapping)
    offence_words: dict[tuple[str, bool], tuple[str, ...]] = {}
    by_group: dict[tuple[str, bool], list[str]] = defaultdict(list)
    welsh_offence: dict[str, str] = {}
    for wording, _code, group, strand in _taxonomy():
        if wording in WELSH_WORDINGS:
            if welsh:
                welsh_offence[group] = wording
            continue
        by_group[(group, strand is not None)].append(wording)
    for key, words in by_group.items():
        plain = [w for w in words if "Online Safety" not in w]
        chosen = [rng.choice(plain or words)]
        extra = [w for w in words if w not in chosen]
        if extra and rng.random() < 0.6:
            chosen.append(rng.choice(extra))
        if key[0] == "communications_act":
            chosen += [w for w in words if "Online Safety" in w and w not in chosen][:1]
        offence_words[key] = tuple(chosen)
    values: dict[str, dict[str, str]] = {}
    welsh_values: dict[str, dict[str, str]] = defaultdict(dict)
    extra_words: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for field, own in mapping.values.items():
        for wording, canonical in own.items():
            extra_words[field][canonical].append(wording)
    for field, known in _value_wordings().items():
        values[field] = {}
        for canonical, wordings in known.items():
            english = [w for w in wordings if w not in WELSH_WORDINGS]
            if welsh:
                for w in wordings:
                    if w in WELSH_WORDINGS:
                        welsh_values[field][canonical] = w
            english += [w for w in extra_words[field][canonical] if w not in WELSH_WORDINGS]
            if system == "PoliceWorks":
                values[field][canonical] = canonical
                continue
            human = [w for w in english if w != canonical] or english
            if system == "Athena" and field == "outcome":
                coded = [w for w in human if w.startswith("OC")]
                human = coded or human
            values[field][canonical] = rng.choice(human)
    return ForceStyle(
        mapping=mapping,
        uses_codes=codes,
        code_padding=rng.choice((0.0, 0.0, 0.3, 1.0)) if codes else 0.0,
        constituency_codes=writes_constituency_code(mapping),
        welsh_share=0.3 if welsh else 0.0,
        offence_words=offence_words,
        welsh_offence=welsh_offence,
        values=values,
        welsh_values=dict(welsh_values),
        not_hate=rng.choice((None, "None", "N")),
        handle_at=rng.random() < 0.5,
        says_twitter=rng.random() < 0.5,
        extra_columns=EXTRA_COLUMNS.get(system, ()),
    )


def assign_refs(style: ForceStyle, incidents: list[Incident], rng: random.Random) -> None:
    """Crime references in the force's own pattern, rising through each year, never reused."""
    system = style.mapping.records_system
    abbr = force_abbreviation(style.force_id)
    per_year: dict[int, int] = defaultdict(int)
    for i in incidents:
        per_year[i.day.year] += 1
    room = REF_ROOM.get(system, 900_000)
    counters: dict[int, int] = {}
    for i in incidents:
        year = i.day.year
        gap = max(1, min(1500, room // (per_year[year] + 1) - 1))
        if year not in counters:
            counters[year] = rng.randint(1, gap)
        else:
            counters[year] += rng.randint(1, gap)
        seq, yy = counters[year], year % 100
        if system == "Connect":
            i.force_ref = (f"CRIS/{seq:07d}/{yy:02d}" if year < 2022
                           else f"01/{seq:06d}/{yy:02d}")
        elif system == "Athena":
            i.force_ref = f"{ATHENA_PNC.get(style.force_id, 99)}/{seq:05d}/{yy:02d}"
        elif system == "Niche RMS (City)":
            i.force_ref = f"COL-{yy:02d}-{seq:05d}"
        elif system == "Niche RMS (bilingual)":
            i.force_ref = f"{abbr}/{seq:06d}/{yy:02d}"
        elif system == "legacy CRS":
            i.force_ref = f"CR{yy:02d}/{seq:06d}"
        elif system == "PoliceWorks":
            i.force_ref = f"PW/{year}/{seq:07d}"
        else:
            i.force_ref = f"{abbr}-{yy:02d}-{seq:06d}"


def render_row(style: ForceStyle, incident: Incident,
               rng: random.Random) -> tuple[dict[str, Cell], list[tuple[str, str]]]:
    """The row as the extract holds it, and the raw sensitive values written in it."""
    m = style.mapping
    cols = m.columns
    fmt = m.date_format
    assert incident.reported is not None
    row: dict[str, Cell] = dict.fromkeys(style.header)
    pii: list[tuple[str, str]] = list(incident.summary_pii)
    row[cols["force_ref"]] = incident.force_ref
    row[cols["reported_date"]] = render(fmt, incident.reported)
    if "occurred_date" in cols and incident.occurred:
        row[cols["occurred_date"]] = render(fmt, incident.occurred)
    if "outcome_date" in cols and incident.outcome_date:
        o = incident.outcome_date
        moment = dt.datetime(o.year, o.month, o.day, rng.randint(8, 18), rng.randrange(60))
        row[cols["outcome_date"]] = render(fmt, moment)
    row[cols["offence"]] = style.offence(incident, rng)
    if "hate_strand" in cols:
        row[cols["hate_strand"]] = (style.value("hate_strand", incident.hate_strand, rng)
                                    if incident.hate_strand else style.not_hate)
    row[cols["channel"]] = style.value("channel", incident.channel, rng)
    if "platform" in cols and incident.platform:
        twitter = (style.says_twitter and incident.platform == "X"
                   and incident.day < X_REBRAND)
        row[cols["platform"]] = "Twitter" if twitter else incident.platform
    row[cols["victim_role"]] = style.value("victim_role", incident.victim.role, rng)
    if "victim_name" in cols:
        row[cols["victim_name"]] = incident.victim_name
        pii.append(("victim_name", incident.victim_name))
    if "constituency" in cols:
        seat = incident.victim.constituency
        row[cols["constituency"]] = seat.code if style.constituency_codes else seat.name
    if "latitude" in cols and incident.latitude is not None:
        row[cols["latitude"]] = f"{incident.latitude:.6f}"
        row[cols["longitude"]] = f"{incident.longitude:.6f}"
    if "postcode" in cols and incident.postcode and incident.channel == "in_person":
        row[cols["postcode"]] = incident.postcode
        pii.append(("postcode", incident.postcode))
    if "suspect_name" in cols and incident.suspect_name:
        row[cols["suspect_name"]] = incident.suspect_name
        pii.append(("suspect_name", incident.suspect_name))
    row[cols["summary"]] = incident.summary
    row[cols["outcome"]] = style.value("outcome", incident.outcome, rng)
    _identifiers(style, incident, row, pii)
    for column in style.extra_columns:
        row[column] = _officer(style.mapping.records_system, rng)
    return row, pii


def _identifiers(style: ForceStyle, incident: Incident, row: dict[str, Cell],
                 pii: list[tuple[str, str]]) -> None:
    """Identifiers in their own columns, or joined with '; ' in one (handles with '@')."""
    columns = style.mapping.suspect_identifier_columns
    kinds = {c: identifier_kind(c) for c in columns}
    separate = len(columns) > 1 and all(kinds.values())
    cells: dict[str, list[str]] = defaultdict(list)
    for kind, value in incident.identifiers:
        pii.append((kind, value))
        if separate:
            column = next(c for c, k in kinds.items() if k == kind)
            text = f"@{value}" if kind == "handle" and style.handle_at else value
        else:
            column = columns[0]
            text = f"@{value}" if kind == "handle" else value
        if text not in cells[column]:
            cells[column].append(text)
    for column, texts in cells.items():
        row[column] = "; ".join(texts)


def _officer(system: str, rng: random.Random) -> str:
    if system == "Connect":
        return f"{rng.randint(100000, 299999)}"
    if system == "PoliceWorks":
        return f"{rng.randint(1000, 9999)}"
    return f"PC {rng.randint(100, 9999)}"
