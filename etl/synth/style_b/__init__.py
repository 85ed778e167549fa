"""Style b: synthetic extracts designed apart from the default style, to test it honestly.

`plait synth --style b` writes the same files as the default style (every force's extract
in its own layout, through the same house styles and writers; `truth/` with the same
files and columns) but plants its incidents by different rules, so that a linkage model
designed and fitted on one style can be measured on the other. Each rule below breaks a
convention of the default style (issue 11), for the reason given.

- **Signatures are not a closing quotation.** Four in five repeat senders have a phrase (a
  signature with their own mark, or a slogan); it appears in 30-90 % of their incidents,
  and where it appears the officer may put it in double or single quotes, leave it
  unquoted, write it in capitals or as a hashtag, paraphrase it with other words of the
  same meaning, or give a fragment, anywhere in the text. Summaries are written by
  officers, who quote as they like. (`phrases`, `summaries`)
- **Series victims are of every role.** Repeat senders fix on one person (an MP, a
  caseworker, a spouse, a councillor, a candidate, a volunteer) and their circle, one MP's
  household, a party, a region, or anyone; the first six fix on one role each, so every
  role is always a series victim. PLaIT's figures count all of these. (`plants`, `victims`)
- **Ordinary incidents quote freely.** A lone sender's summary quotes a stock line of
  abuse in 40 % of cases and a common demand of the day ("stop the boats") in 8 %, in any
  form, so a quotation is not a series marker; phrases are built from shared parts ("tick
  tock"), so fragments are stock while whole phrases stay distinct.
- **Frequency does not mean stock.** The first burst quotes one slogan word for word in
  more than 50 of its 66-84 incidents within three weeks (50 is where the default style
  calls a phrase stock), while a slogan group's phrase is shared by 10-16 unrelated
  senders and quoted by fewer than 50 incidents. Neither count nor quotation decides.
- **Keys are partial and not only the series'.** Series show keys in 20-50 % of their
  incidents (at least one), often a different key each time (email here, handle there),
  accounts rotate after suspensions (same handle stem), a third of lone senders leave a
  key of their own, two relay addresses are shared by unrelated senders (stock keys, each
  used by more than 50 incidents whenever used), and key pairs share exactly one key and
  nothing else.
- **Mass events link nobody.** 200-350 unrelated senders write on one day about one
  trigger, mostly to MPs and their staff, quoting one slogan in varied forms, about half
  with keys of their own: the hard negative of a campaign, not a series.
- **Scale keeps offenders apart.** Names, addresses, handles and phrases are handed out
  once each from spaces that hold millions (phones, the one scarce kind, are given more
  rarely at large scales), so at a million incidents no key is shared by two senders
  except the relays, and no two senders share a whole phrase unless planted to.

Volumes follow police-data.md's public figures (`volumes`); planted incidents take the
place of background ones in their month, except mass events, which come on top. There are
no planted exceedances, transfers are ordinary (about 1 % of lone senders' crimes are
first recorded by another force, mostly the Met, and passed on), and about 1 % of
ordinary rows are made dirty as in the default style. The truth adds `plants.csv` (per
written row: sender, kind, phrase form, keys revealed) and `phenomena.json` (each planted
phenomenon).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter, defaultdict
from pathlib import Path

from etl.mapping import all_mappings
from etl.periods import month_end, month_label, parse_month
from etl.synth import dirt
from etl.synth import truth as truth_files
from etl.synth.dates import TODAY
from etl.synth.dirt import Line
from etl.synth.generator import SynthSummary, _check, extract_name
from etl.synth.house_style import CODES, ForceStyle, assign_refs, render_row, style_for
from etl.synth.incident import Incident
from etl.synth.sampling import stream
from etl.synth.style_b import plants, records, volumes
from etl.synth.style_b.identities import RELAYS, Registry, phone_share
from etl.synth.style_b.phrases import Phrasebook
from etl.synth.style_b.summaries import Officers
from etl.synth.style_b.victims import Victims
from etl.synth.writers import write_extract
from etl.synth_mark import mark_entry

REFERENCE_VOLUME = 4_700.0
# Forces that record Home Office codes have none for these: they record the nearest.
CODE_FALLBACK = {"communications_act": "malicious_communications", "hoax": "other"}
TRANSFER_SHARE = 0.012
PLANT_COLUMNS = ("file", "row", "force_id", "force_ref", "crime_id", "offender_id",
                 "offender_kind", "series_id", "campaign_id", "phrase_kind", "phrase_form",
                 "keys_revealed", "key_kinds")


def _s(seed: int, name: str) -> random.Random:
    return stream(seed, f"style-b:{name}")


def generate(out: Path, seed: int = 7, start: str = "2016-01", end: str = "2026-09",
             scale: float = 1.0) -> SynthSummary:
    """Write style b's extracts and `OUT/truth/` (same layout as the default style)."""
    _check(start, end, scale)
    out = Path(out)
    first = parse_month(start)
    last = min(month_end(parse_month(end)), TODAY)
    styles = {m.force_id: style_for(m, _s(seed, f"house:{m.force_id}")) for m in all_mappings()}
    officers = {f: Officers.draw(_s(seed, f"officers:{f}")) for f in styles}
    month_targets = volumes.targets(first, last, scale, _s(seed, "volumes"))
    volume = float(sum(month_targets.values()))
    relative = volume / REFERENCE_VOLUME
    registry = Registry(_s(seed, "identities"))
    world = plants.World(
        victims=Victims(_s(seed, "victims"), registry, frozenset(styles)),
        registry=registry, phrases=Phrasebook(_s(seed, "phrases")), first=first, last=last,
        phone_share=phone_share(0.03 * volume))
    plants.bursts(world, _s(seed, "bursts"), max(1, round(2 * relative)))
    plants.repeat_offenders(world, _s(seed, "offenders"), plants.SERIES_SHARE * volume)
    plants.slogan_groups(world, _s(seed, "slogans"), max(1, round(2 * relative)))
    plants.key_pairs(world, _s(seed, "key-pairs"), max(3, round(15 * relative)))
    planted = Counter(month_label(c.day) for s in world.senders for c in s.cases)
    plants.mass_events(world, _s(seed, "mass"), max(1, round(2 * relative)))
    lone_rng = _s(seed, "lone")
    for month, target in month_targets.items():
        month_first = max(first, parse_month(month))
        span_days = (min(last, month_end(month_first)) - month_first).days
        for _ in range(max(0, target - planted[month])):
            day = month_first + dt.timedelta(days=lone_rng.randint(0, span_days))
            plants.background(world, lone_rng, day)
    cases = [c for s in world.senders for c in s.cases]
    for c in cases:
        if styles[c.force_id].uses_codes and c.offence_group not in CODES:
            c.offence_group = CODE_FALLBACK[c.offence_group]
    detail_rng = _s(seed, "records")
    incidents = [records.build(detail_rng, c, officers[c.force_id]) for c in cases]
    origin_of = {id(i): c for i, c in zip(incidents, cases, strict=True)}
    origins = _transfers(incidents, _s(seed, "transfers"), styles, origin_of, first)
    receivers = sorted((i for i in incidents if i.transfer_role != "origin"),
                       key=lambda i: (i.reported, i.force_id, i.victim.person.person_id))
    for n, incident in enumerate(receivers, start=1):
        incident.crime_id = f"C{n:07d}"
    for o in origins:
        assert o.partner is not None
        o.crime_id = o.partner.crime_id
    lines, pii = _render(seed, styles, incidents)
    dirty = dirt.plant(styles, lines, _s(seed, "dirt"))
    (out / "truth").mkdir(parents=True, exist_ok=True)
    files = []
    for force, style in styles.items():
        path = out / extract_name(force, start, end, style.mapping.format)
        write_extract(path, style.mapping, style.header, [ln.cells for ln in lines[force]])
        files.append(path)
    series = [s for s in world.senders if s.series_id]
    summary = SynthSummary(
        out=out, files=tuple(files), rows_total=sum(len(v) for v in lines.values()),
        rows_by_force={f: len(v) for f, v in lines.items()}, crimes=len(receivers),
        dirty=len(dirty), transfers=len(origins), series=len(series),
        campaigns=len({s.campaign_id for s in world.senders if s.campaign_id}), exceedances=0)
    _write_truth(out / "truth", seed, start, end, scale, first, last, styles, lines, pii,
                 summary, world, origins, origin_of, incidents)
    return summary


def _writable(style: ForceStyle, incident: Incident) -> bool:
    """Whether a force's file encoding can hold the names a record carries (a Welsh seat's
    name in a cp1252 extract cannot)."""
    texts = (incident.victim.constituency.name, incident.victim_name, incident.summary,
             incident.suspect_name or "")
    try:
        for text in texts:
            text.encode(style.mapping.encoding)
    except UnicodeEncodeError:
        return False
    return True


def _transfers(incidents: list[Incident], rng: random.Random, styles: dict[str, ForceStyle],
               origin_of: dict[int, plants.Case], first: dt.date) -> list[Incident]:
    """A lone sender's crime first recorded by the Met (reported at Westminster) or another
    force, closed there as transferred and recorded again by the right one (only crimes
    every force can record: code forces have no code for a hoax or a s127 offence)."""
    origins: list[Incident] = []
    forces = sorted({i.force_id for i in incidents})
    for incident in list(incidents):
        if (incident.origin != "background" or incident.venue != "local"
                or rng.random() >= TRANSFER_SHARE or incident.offence_group not in CODES):
            continue
        other = "metropolitan" if incident.force_id != "metropolitan" and rng.random() < 0.6 \
            else rng.choice([f for f in forces if f != incident.force_id])
        if not _writable(styles[other], incident):
            continue
        assert incident.reported is not None
        lag = dt.timedelta(days=rng.randint(0, 14), hours=rng.randint(0, 8))
        earlier = max(incident.reported - lag, dt.datetime.combine(first, dt.time(9)))
        origin = Incident(day=earlier.date(), force_id=other, victim=incident.victim,
                          venue=incident.venue, offence_group=incident.offence_group,
                          channel=incident.channel, origin="background",
                          transfer_role="origin", partner=incident,
                          campaign_id=incident.campaign_id)
        origin.reported = earlier
        origin.occurred = incident.occurred if incident.occurred and \
            incident.occurred <= earlier else None
        origin.hate_strand, origin.aggravated = incident.hate_strand, incident.aggravated
        origin.platform, origin.summary = incident.platform, incident.summary
        origin.summary_pii = list(incident.summary_pii)
        origin.identifiers, origin.suspect_name = list(incident.identifiers), \
            incident.suspect_name
        origin.victim_name = incident.victim_name
        origin.latitude, origin.longitude = incident.latitude, incident.longitude
        origin.outcome, origin.outcome_date = "transferred", incident.reported.date()
        incident.transfer_role, incident.partner = "receiver", origin
        origins.append(origin)
        origin_of[id(origin)] = origin_of[id(incident)]
        incidents.append(origin)
    return origins


def _render(seed: int, styles: dict[str, ForceStyle], incidents: list[Incident]
            ) -> tuple[dict[str, list[Line]], set[tuple[str, str]]]:
    by_force: dict[str, list[Incident]] = defaultdict(list)
    for i in incidents:
        by_force[i.force_id].append(i)
    lines: dict[str, list[Line]] = {}
    pii: set[tuple[str, str]] = set()
    for force, style in styles.items():
        mine = sorted(by_force.get(force, []), key=lambda i: (i.reported, i.crime_id))
        assign_refs(style, mine, _s(seed, f"refs:{force}"))
        rng = _s(seed, f"render:{force}")
        lines[force] = []
        for incident in mine:
            cells, written = render_row(style, incident, rng)
            lines[force].append(Line(cells, incident))
            pii.update(written)
    return lines, pii


def _write_truth(folder: Path, seed: int, start: str, end: str, scale: float,
                 first: dt.date, last: dt.date, styles: dict[str, ForceStyle],
                 lines: dict[str, list[Line]], pii: set[tuple[str, str]],
                 summary: SynthSummary, world: plants.World, origins: list[Incident],
                 origin_of: dict[int, plants.Case], built: list[Incident]) -> None:
    incident_rows: list[list[object]] = []
    dirty_rows: list[list[object]] = []
    plant_rows: list[list[object]] = []
    manifest_files: list[dict[str, object]] = []
    for force, style in styles.items():
        m = style.mapping
        name = extract_name(force, start, end, m.format)
        ref = m.columns["force_ref"]
        incident_rows += truth_files.incident_rows(name, m.format, ref, lines[force])
        dirty_rows += truth_files.dirty_rows(name, m.format, ref, lines[force])
        manifest_files.append({"file": name, "force_id": force, "format": m.format,
                               "rows": len(lines[force]), **mark_entry(folder.parent / name)})
        for n, line in enumerate(lines[force], start=truth_files.first_row(m.format)):
            case = origin_of[id(line.incident)]
            s = case.sender
            plant_rows.append([
                name, n, force, line.cells[ref] or "", line.incident.crime_id, s.offender_id,
                s.kind, s.series_id, case.campaign_id, s.phrase_kind if case.form else "",
                case.form, len(case.keys), ";".join(sorted({k for k, _ in case.keys})),
            ])
    truth_files.write_csv(folder / "incidents.csv", truth_files.INCIDENT_COLUMNS, incident_rows)
    truth_files.write_csv(folder / "dirty_rows.csv", truth_files.DIRTY_COLUMNS, dirty_rows)
    truth_files.write_csv(folder / "transfers.csv", truth_files.TRANSFER_COLUMNS, [
        [o.crime_id, o.force_id, o.force_ref, o.partner.force_id, o.partner.force_ref]
        for o in sorted(origins, key=lambda o: o.crime_id) if o.partner
    ])
    platforms: dict[int, set[str]] = defaultdict(set)
    for incident in built:
        if incident.platform and incident.transfer_role != "origin":
            platforms[id(origin_of[id(incident)].sender)].add(incident.platform)
    truth_files.write_csv(folder / "series.csv", truth_files.SERIES_COLUMNS,
                          _series_rows(world, platforms))
    truth_files.write_csv(folder / "exceedances.csv", truth_files.EXCEEDANCE_COLUMNS, [])
    truth_files.write_csv(folder / "exceedance_months.csv",
                          truth_files.EXCEEDANCE_MONTH_COLUMNS, [])
    truth_files.write_csv(folder / "pii.csv", truth_files.PII_COLUMNS, sorted(pii))
    truth_files.write_csv(folder / "plants.csv", PLANT_COLUMNS, plant_rows)
    truth_files.write_json(folder / "intelligence.json", {
        "quarter": None, "quarter_start": None, "repeat_victim": None,
        "platform_shift": None, "emerging_term": None, "outcome_delay": None})
    truth_files.write_json(folder / "phenomena.json", _phenomena(world))
    kinds = Counter(s.kind for s in world.senders)
    truth_files.write_json(folder / "manifest.json", {
        "generator": "etl.synth.style_b", "style": "b",
        "seed": seed, "start": start, "end": end, "scale": float(scale),
        "period": {"first": first.isoformat(), "last": last.isoformat(),
                   "today": TODAY.isoformat()},
        "files": manifest_files,
        "intelligence": {"file": "intelligence.json", "quarter": None},
        "totals": {
            "rows": summary.rows_total, "crimes": summary.crimes, "dirty": summary.dirty,
            "transfers": summary.transfers, "offender_series": summary.series,
            "campaigns": summary.campaigns,
            "campaign_senders": sum(1 for s in world.senders if s.campaign_id),
            "exceedances": 0, "pii_values": len(pii),
            "senders": dict(sorted(kinds.items())),
            "mass_event_incidents": sum(len(s.cases) for s in world.senders
                                        if s.kind == "mass_sender"),
        },
    })


def _series_rows(world: plants.World, platforms: dict[int, set[str]]) -> list[list[object]]:
    """One row per sender with two or more incidents (channel and platform: every one they
    used, `;`-joined; signature: their phrase as they write it)."""
    out: list[list[object]] = []
    for s in world.senders:
        if not s.series_id:
            continue
        forces = sorted({c.force_id for c in s.cases})
        channels = sorted({c.channel for c in s.cases})
        used = sorted(platforms.get(id(s), set()))
        phrase = s.phrase.verbatim if s.phrase else ""
        out.append([s.series_id, s.kind, s.campaign_id, len(s.cases), len(forces),
                    ";".join(forces), ";".join(channels), ";".join(used), phrase,
                    s.targeting])
    return out


def _phenomena(world: plants.World) -> dict[str, object]:
    """Each planted phenomenon, as the acceptance tests and evaluations look for it."""
    by_kind: dict[str, list[plants.Sender]] = defaultdict(list)
    for s in world.senders:
        by_kind[s.kind].append(s)
    groups: dict[str, list[plants.Sender]] = defaultdict(list)
    for s in by_kind["slogan_user"]:
        groups[s.campaign_id].append(s)
    events: dict[str, list[plants.Sender]] = defaultdict(list)
    for s in by_kind["mass_sender"]:
        events[s.campaign_id].append(s)

    def reveal(s: plants.Sender) -> float:
        return round(sum(c.revealed for c in s.cases) / len(s.cases), 3)

    series = [s for s in world.senders if s.series_id]
    return {
        "bursts": [{
            "series_id": s.series_id, "n_incidents": len(s.cases),
            "first": min(c.day for c in s.cases).isoformat(),
            "last": max(c.day for c in s.cases).isoformat(),
            "days": (max(c.day for c in s.cases) - min(c.day for c in s.cases)).days + 1,
            "slogan": s.phrase.verbatim if s.phrase else "",
            "quoted": sum(bool(c.form) for c in s.cases), "key_share": reveal(s),
            "forces": len({c.force_id for c in s.cases}),
        } for s in by_kind["burst"]],
        "slogan_groups": [{
            "campaign_id": cid, "slogan": members[0].phrase.verbatim if members[0].phrase
            else "", "senders": len(members), "incidents": sum(len(m.cases) for m in members),
            "quoted": sum(bool(c.form) for m in members for c in m.cases),
        } for cid, members in groups.items()],
        "mass_events": [{
            "campaign_id": cid, "day": members[0].cases[0].day.isoformat(),
            "senders": len(members), "slogan": members[0].phrase.verbatim
            if members[0].phrase else "",
            "with_keys": sum(bool(m.cases[0].keys) for m in members),
        } for cid, members in events.items()],
        "key_pairs": [{
            "series_id": s.series_id, "key_kind": s.identifiers()[0][0],
            "gap_days": (s.cases[1].day - s.cases[0].day).days,
        } for s in by_kind["key_pair"]],
        "series_key_share": {
            "min": min((reveal(s) for s in series if s.kind in ("offender", "burst")),
                       default=None),
            "max": max((reveal(s) for s in series if s.kind in ("offender", "burst")),
                       default=None),
        },
        "series_roles": dict(sorted(Counter(c.member.role for s in series
                                            for c in s.cases).items())),
        "stock_keys": {r: sum(("email", r) in c.keys for s in world.senders for c in s.cases)
                       for r in RELAYS},
        "lone_with_keys": sum(bool(s.cases[0].keys) for s in by_kind["lone"]),
        "lone": len(by_kind["lone"]),
        "series_sizes": dict(sorted(Counter(len(s.cases) for s in series).items())),
        "expected_series_size": round(plants.mean_size(), 2),
        "phone_share": round(world.phone_share, 3),
        "relative_volume": round(math.fsum(len(s.cases) for s in world.senders
                                           if s.kind != "mass_sender") / REFERENCE_VOLUME, 3),
    }
