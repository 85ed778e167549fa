"""Every count a quarter's releases can publish, keyed, with the sums that tie them together.

Disclosure control must see a quarter's publications whole: the national release and every
force's release are shared with all forces, so a cell suppressed in one must not be
recoverable from another. The counts of all of them are therefore gathered here into one
`CellBook` and protected once (`disclosure.protect`); each release then shows a subset of
the same published values, and a subset of a safe publication is safe (fewer published
values only widen what an attacker can infer).

Keys are tuples whose first item names the family:
- `("q", level, unit, dimension, category, period)`: incidents reported in a quarter;
  breakdowns by offence group and channel for the nation only, totals for regions and forces
  (force and region breakdowns are nearly all single figures: stack.md 6.4 says combine
  before suppressing);
- `("p4", level, unit, dimension, category)`: the same pooled over the four quarters before
  the report quarter;
- `("plat", level, unit, platform, "current" | "previous")`: platform counts;
- `("rv", level, unit, period | "previous", measure)`: repeat victimisation counts;
- `("hate", level, unit, strand, "current" | "previous")`;
- `("sm", level, unit, platform, measure)`: suspect identified and closed, per platform;
- `("term", level, unit, term, "current" | "previous")`;
- `("out", level, unit, outcome | "total")`: outcomes of the 12 months to the quarter's end;
- `("km", level, unit, offence_group, "open")`: open cases in that window;
- `("series", series_id)` and `("alarm", series_id, period)`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

import polars as pl

from analytics.disclosure import Published, Relation, protect
from etl.periods import add_quarters

Key = tuple[Hashable, ...]
TREND_QUARTERS = 8
"""Quarters shown in trend tables: the report quarter and the seven before it."""


@dataclass
class CellBook:
    """True counts by key and the additive relations between them."""

    values: dict[Key, int] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)
    mismatches: list[Key] = field(default_factory=list)
    aliases: dict[Key, Key] = field(default_factory=dict)

    def add(self, key: Key, value: int) -> None:
        """Record a count; the same quantity reached from two tables must agree."""
        value = int(value)
        if key in self.values and self.values[key] != value:
            raise ValueError(f"cell {key!r}: two sources disagree ({self.values[key]} and "
                             f"{value})")
        self.values[key] = value

    def relate(self, total: Key, parts: Iterable[Key]) -> None:
        """`total` == sum of `parts`, when every key is held (and there are parts).

        A declared sum that does not hold is a bug in a statistic, not a relation: it is
        left out of the audit and kept in `mismatches`, which the tests require empty."""
        parts = tuple(p for p in parts if p != total)
        if total in self.values and parts and all(p in self.values for p in parts):
            if sum(self.values[p] for p in parts) != self.values[total]:
                self.mismatches.append(total)
                return
            self.relations.append(Relation(total, parts))

    def relate_geography(self, forces: pl.DataFrame, key: Callable[[str, str], Key]) -> None:
        """The nation is the sum of its regions, a region the sum of its forces."""
        regions = forces.group_by("police_region").agg(pl.col("force_id").sort())
        self.relate(key("national", "all"), [key("region", r) for r, _ in regions.iter_rows()])
        for region, members in regions.iter_rows():
            self.relate(key("region", region), [key("force", f) for f in members])

    def merge(self, alias: Key, target: Key) -> None:
        """`alias` is the same quantity as `target` (checked): one cell, shown twice.

        Two cells that are always equal but audited apart would each need suppressing
        whenever the other is, so they are audited as one and published alike."""
        if self.values[alias] != self.values[target]:
            raise ValueError(f"cells {alias!r} and {target!r} differ: not one quantity")
        del self.values[alias]
        self.aliases[alias] = target

    def audited_relations(self) -> list[Relation]:
        """The relations with merged cells replaced by their target, without repeats."""
        seen: set[tuple[Key, tuple[Key, ...]]] = set()
        out = []
        for rel in self.relations:
            total = self.aliases.get(rel.total, rel.total)
            parts = tuple(self.aliases.get(p, p) for p in rel.parts)
            if parts == (total,) or (total, parts) in seen:
                continue
            seen.add((total, parts))
            out.append(Relation(total, parts))
        return out

    def protect(self) -> dict[Key, Published]:
        """Published values (merged cells included); the national headline counts are kept
        published unless nothing else can protect a small count (`protect`'s `keep`)."""
        keep = {k for k in self.values if k[:3] in (("q", "national", "all"),
                                                    ("p4", "national", "all"))
                and k[3] == "all"} | {("out", "national", "all", "total")}
        published = protect(self.values, self.audited_relations(), keep=keep)
        return published | {a: published[t] for a, t in self.aliases.items()}


def quarter_cells(book: CellBook, counts: pl.DataFrame, forces: pl.DataFrame,
                  quarter: dt.date) -> None:
    """Incidents per quarter for the trend tables, and the previous four pooled."""
    periods = [add_quarters(quarter, -k) for k in range(TREND_QUARTERS)]
    previous = periods[1:5]
    kept = counts.filter(
        pl.col("period").is_in(periods)
        & ((pl.col("level") == "national") | (pl.col("dimension") == "all")))
    for row in kept.iter_rows(named=True):
        book.add(("q", row["level"], row["unit"], row["dimension"], row["category"],
                  row["period"]), row["incident_count"])
    pooled = (kept.filter(pl.col("period").is_in(previous))
              .group_by("level", "unit", "dimension", "category")
              .agg(pl.col("incident_count").sum()))
    for row in pooled.iter_rows(named=True):
        book.add(("p4", row["level"], row["unit"], row["dimension"], row["category"]),
                 row["incident_count"])
    categories = kept.filter(pl.col("level") == "national").group_by("dimension").agg(
        pl.col("category").unique().sort())
    regions = forces.group_by("police_region").agg(pl.col("force_id").sort())
    for period in [*periods, None]:
        def key(level: str, unit: str, dimension: str = "all", category: str = "all",
                p: dt.date | None = period) -> Key:
            return ("q", level, unit, dimension, category, p) if p else (
                "p4", level, unit, dimension, category)
        for dimension, cats in categories.iter_rows():
            if dimension != "all":
                book.relate(key("national", "all"),
                            [key("national", "all", dimension, c) for c in cats])
        book.relate(key("national", "all"), [key("region", r) for r, _ in regions.iter_rows()])
        for region, members in regions.iter_rows():
            book.relate(key("region", region), [key("force", f) for f in members])
    for row in pooled.iter_rows(named=True):
        total = ("p4", row["level"], row["unit"], row["dimension"], row["category"])
        book.relate(total, [("q", *total[1:], p) for p in previous])


def platform_cells(book: CellBook, shift: pl.DataFrame, forces: pl.DataFrame) -> None:
    """Platform counts this quarter and over the previous four, national and regional."""
    plat = shift.filter((pl.col("dimension") == "platform")
                        & pl.col("level").is_in(["national", "region"]))
    for row in plat.iter_rows(named=True):
        for side in ("current", "previous"):
            book.add(("plat", row["level"], row["unit"], row["category"], side),
                     row[f"{side}_count"])
    for row in plat.unique(["level", "unit"]).iter_rows(named=True):
        parts = plat.filter((pl.col("level") == row["level"])
                            & (pl.col("unit") == row["unit"]))["category"]
        for side in ("current", "previous"):
            total = ("plat", row["level"], row["unit"], "all", side)
            book.add(total, row[f"{side}_total_count"])
            book.relate(total, [("plat", row["level"], row["unit"], c, side) for c in parts])
    for platform in [*plat["category"].unique().sort(), "all"]:
        for side in ("current", "previous"):
            book.relate_geography(forces, lambda lv, u, p=platform, sd=side: (
                "plat", lv, u, p, sd))


def repeat_victim_cells(book: CellBook, rows: pl.DataFrame, quarter: dt.date,
                        forces: pl.DataFrame) -> None:
    """Incidents with a victim, repeat victims and incidents on the most-targeted tenth.

    Only incidents add up across areas and quarters; victims do not (one victim can be in
    two forces' records, and in several quarters), so only incidents get relations."""
    measures = ("incident_count", "victim_count", "repeat_victim_count",
                "top_decile_incident_count")
    for row in rows.iter_rows(named=True):
        side = "current" if row["period"] == quarter else row["period"]
        for m in measures:
            book.add(("rv", row["level"], row["unit"], side, m), row[m])
    previous = rows.filter(pl.col("period") != quarter)
    periods = previous["period"].unique().sort().to_list()
    pooled = previous.group_by("level", "unit").agg(
        pl.col(m).sum() for m in ("incident_count", "top_decile_incident_count"))
    for row in pooled.iter_rows(named=True):
        for m in ("incident_count", "top_decile_incident_count"):
            total = ("rv", row["level"], row["unit"], "previous", m)
            book.add(total, row[m])
            book.relate(total, [("rv", row["level"], row["unit"], p, m) for p in periods])
    for side in ["current", "previous", *periods]:
        book.relate_geography(forces, lambda lv, u, sd=side: ("rv", lv, u, sd,
                                                              "incident_count"))


def hate_cells(book: CellBook, rows: pl.DataFrame, quarter: dt.date,
               forces: pl.DataFrame) -> None:
    """Hate-related incidents by strand, this quarter and the previous four pooled."""
    current = rows.filter(pl.col("period") == quarter)
    pooled = rows.filter(pl.col("period") != quarter).group_by(
        "level", "unit", "hate_strand").agg(pl.col("hate_count").sum())
    for side, frame in (("current", current), ("previous", pooled)):
        for row in frame.iter_rows(named=True):
            book.add(("hate", row["level"], row["unit"], row["hate_strand"], side),
                     row["hate_count"])
        for (level, unit), group in frame.group_by("level", "unit"):
            strands = [s for s in group["hate_strand"] if s != "any"]
            book.relate(("hate", level, unit, "any", side),
                        [("hate", level, unit, s, side) for s in strands])
        for strand in frame["hate_strand"].unique().to_list():
            book.relate_geography(forces, lambda lv, u, st=strand, sd=side: (
                "hate", lv, u, st, sd))


SOCIAL_MEDIA_MEASURES = ("report_count", "suspect_identified_count", "closed_count")


def social_media_cells(book: CellBook, rows: pl.DataFrame, forces: pl.DataFrame) -> None:
    """Reports, suspect identified and closed counts per platform."""
    for row in rows.iter_rows(named=True):
        for m in SOCIAL_MEDIA_MEASURES:
            book.add(("sm", row["level"], row["unit"], row["platform"], m), row[m])
    for (level, unit), group in rows.group_by("level", "unit"):
        parts = [p for p in group["platform"] if p != "all"]
        for m in SOCIAL_MEDIA_MEASURES:
            book.relate(("sm", level, unit, "all", m), [("sm", level, unit, p, m) for p in parts])
    for platform in rows["platform"].unique().to_list():
        for m in SOCIAL_MEDIA_MEASURES:
            book.relate_geography(forces, lambda lv, u, p=platform, mm=m: ("sm", lv, u, p, mm))


def term_cells(book: CellBook, terms: pl.DataFrame) -> None:
    """Emerging terms' incident counts; a term's count adds up across areas only where every
    region lists it, which `relate` checks by requiring every part."""
    for row in terms.iter_rows(named=True):
        for side in ("current", "previous"):
            book.add(("term", row["level"], row["unit"], row["term"], side),
                     row[f"{side}_count"])


def outcome_cells(book: CellBook, outcomes: pl.DataFrame, forces: pl.DataFrame) -> None:
    """Outcomes of the incidents reported in the 12 months to the quarter's end."""
    for row in outcomes.iter_rows(named=True):
        book.add(("out", row["level"], row["unit"], row["outcome"]), row["incident_count"])
        book.add(("out", row["level"], row["unit"], "total"), row["total_count"])
    names = outcomes["outcome"].unique().sort().to_list()
    for level, unit in outcomes.select("level", "unit").unique().iter_rows():
        book.relate(("out", level, unit, "total"), [("out", level, unit, o) for o in names])
    for outcome in [*names, "total"]:
        book.relate_geography(forces, lambda lv, u, o=outcome: ("out", lv, u, o))


def km_cells(book: CellBook, km: pl.DataFrame, forces: pl.DataFrame) -> None:
    """Incidents and open cases by offence group; the "all" totals are the outcome table's."""
    groups = [g for g in km["offence_group"].unique().sort() if g != "all"]
    for row in km.iter_rows(named=True):
        if row["offence_group"] == "all":
            continue
        book.add(("km", row["level"], row["unit"], row["offence_group"], "incidents"),
                 row["incident_count"])
        book.add(("km", row["level"], row["unit"], row["offence_group"], "open"),
                 row["open_count"])
    for level, unit in km.select("level", "unit").unique().iter_rows():
        book.relate(("out", level, unit, "total"),
                    [("km", level, unit, g, "incidents") for g in groups])
        book.relate(("out", level, unit, "under_investigation"),
                    [("km", level, unit, g, "open") for g in groups])
    for group in groups:
        for what in ("incidents", "open"):
            book.relate_geography(forces, lambda lv, u, g=group, w=what: ("km", lv, u, g, w))


def series_cells(book: CellBook, active: pl.DataFrame) -> None:
    """Incidents of each cross-border series active in the quarter."""
    for row in active.iter_rows(named=True):
        book.add(("series", row["series_id"]), row["incident_count"])


def alarm_cells(book: CellBook, months: pl.DataFrame, quarter: dt.date) -> None:
    """Observed counts of the monthly series with an alarm in the quarter, for all three of
    its months, tied to the series' quarterly count where the release holds one (otherwise
    two published months and a quarter would give the third away)."""
    for row in months.iter_rows(named=True):
        book.add(("alarm", row["series_id"], row["period"]), row["observed_count"])
    for (series_id, level, unit, dimension, category), group in months.group_by(
            "series_id", "level", "unit", "dimension", "category"):
        book.relate(("q", level, unit, dimension, category, quarter),
                    [("alarm", series_id, p) for p in group["period"]])


def cross_family_relations(book: CellBook, quarter: dt.date) -> None:
    """Sums that hold between families, so the audit sees what a reader could combine:
    - the 12-month outcome total is the sum of its 4 quarters, and so is each offence group's
      Kaplan–Meier incident count (nationally, where groups are published by quarter);
    - a quarter's incidents are those with a victim plus those without (`novictim`, a cell
      no table shows: the audit treating it as published only makes it stricter);
    - a platform's social-media reports are its platform-mix count.
    """
    window = [add_quarters(quarter, -k) for k in range(4)]
    areas = {(k[1], k[2]) for k in book.values if k[0] == "out"}
    for level, unit in areas:
        book.relate(("out", level, unit, "total"),
                    [("q", level, unit, "all", "all", p) for p in window])
    for key in [k for k in book.values if k[0] == "km" and k[1] == "national"
                and k[4] == "incidents"]:
        book.relate(key, [("q", "national", "all", "offence_group", key[3], p)
                          for p in window])
    for key in [k for k in book.values if k[0] == "rv" and k[4] == "incident_count"]:
        _, level, unit, side, _ = key
        period = quarter if side == "current" else side
        total = ("q", level, unit, "all", "all", period)
        if side == "previous":
            total = ("p4", level, unit, "all", "all")
        if total not in book.values:
            continue
        if book.values[total] == book.values[key]:
            book.merge(key, total)
        else:
            hidden = ("novictim", level, unit, period)
            book.add(hidden, book.values[total] - book.values[key])
            book.relate(total, [key, hidden])
    for key in [k for k in book.values if k[0] == "sm" and k[4] == "report_count"]:
        _, level, unit, platform, _ = key
        book.relate(("plat", level, unit, platform, "current"), [key])


def campaign_cells(book: CellBook, campaigns: pl.DataFrame, forces: pl.DataFrame) -> None:
    """Incidents reported inside and outside general-election campaigns, since 2016."""
    for row in campaigns.iter_rows(named=True):
        for side, column in (("in", "in_campaign_count"), ("other", "other_count")):
            if row[column] is not None:
                book.add(("camp", row["level"], row["unit"], side), row[column])
    for side in ("in", "other"):
        regions = forces["police_region"].unique().sort().to_list()
        book.relate(("camp", "national", "national", side),
                    [("camp", "region", r, side) for r in regions])


FILE_MEASURES = ("read_count", "loaded_count", "updated_count", "duplicate_count",
                 "rejected_count")


def source_file_cells(book: CellBook, files: pl.DataFrame) -> None:
    """Rows each force sent and what became of them (read = loaded + updated + duplicate +
    rejected)."""
    sent = files.filter(pl.col("read_count").is_not_null())
    for row in sent.iter_rows(named=True):
        for m in FILE_MEASURES:
            book.add(("file", row["force_id"], m), row[m])
        book.relate(("file", row["force_id"], "read_count"),
                    [("file", row["force_id"], m) for m in FILE_MEASURES[1:]])
    for m in FILE_MEASURES:
        book.add(("file", "all", m), int(sent[m].sum()))
        book.relate(("file", "all", m), [("file", f, m) for f in sent["force_id"]])
