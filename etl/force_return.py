"""Force returns → canonical incidents: map by the force's mapping, validate, pseudonymise.

`to_canonical` is a pure function from the raw text frame to two frames: the canonical rows
that passed every check and the quarantined ones with the field and the reason. Raw names
and identifiers are replaced by keyed hashes and free text is redacted in both, so nothing
sensitive leaves this function (DESIGN.md, "Sensitive fields").
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import re
from dataclasses import dataclass

import polars as pl

from etl import reference
from etl.mapping import ForceMapping
from etl.pseudonymise import (
    Key,
    add_pseudonyms,
    identifier_tokens,
    keyed_hash,
    normalise_name,
    victim_id,
)
from etl.readers import MALFORMED_SCHEMA, SOURCE_ROW
from etl.redaction import Redactor
from etl.vocabulary import CANONICAL_COLUMNS, CANONICAL_VALUES, NULL_TOKENS, PLATFORMS

EARLIEST_DATE = dt.date(2000, 1, 1)
EXCEL_EPOCH = dt.date(1899, 12, 30)
UK_LATITUDE = (49.8, 60.95)
UK_LONGITUDE = (-8.7, 1.8)
DATE_FIELDS = ("reported_date", "occurred_date", "outcome_date")
VOCAB_FIELDS = ("channel", "victim_role", "outcome", "hate_strand")
REQUIRED = ("force_ref", "reported_date", "offence", "channel", "victim_role", "outcome")
SENSITIVE_FIELDS = ("victim_name", "suspect_name", "postcode")
COORDINATE_DECIMALS = 2
PLATFORM_SYNONYMS = {"twitter": "X", "x twitter": "X", "fb": "Facebook", "insta": "Instagram",
                     "ig": "Instagram", "yt": "YouTube", "whats app": "WhatsApp"}
ID_PREFIX = "__id__"
ROW_FIELD = "row"
TOTALS = r"(?i)^\s*(?:grand\s+|sub-?\s*)?totals?\b"
# what a crime reference never is: an email or handle, a web address, a phone number (only
# digits and phone punctuation, 10+ long, from + or 0) or a whole postcode; a reference with
# no digit at all is a name or a word typed into the wrong column
NOT_A_REFERENCE = (r"@|(?i)https?://|(?i)\bwww\.|^\s*[+0][\d\s().-]{9,}\s*$"
                   r"|(?i)^\s*[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\s*$")
HEADER_AGAIN = "a second header row (the column names again), not a record"
TOTALS_ROW = "a totals row, not a record"


@dataclass(frozen=True)
class Mapped:
    """A file's rows after mapping: accepted canonical rows and quarantined rows."""

    accepted: pl.DataFrame
    rejected: pl.DataFrame


def to_canonical(raw: pl.DataFrame, mapping: ForceMapping, key: Key,
                 today: dt.date | None = None, *, malformed: pl.DataFrame | None = None,
                 notes: dict[int, str] | None = None) -> Mapped:
    """Map one force's extract; every input row ends in exactly one of the two outputs.

    `malformed` rows (`etl.readers.Extract`), which could not be split into fields, are
    quarantined too; `notes` are added to the reasons of the rows they name."""
    today = today or dt.date.today()
    frame = _rename(raw, mapping)
    frame = _clean_text(frame)
    frame = _parse_dates(frame, mapping.date_format)
    frame = _lookup_offence(frame)
    frame = _lookup_vocabulary(frame, mapping)
    frame = _lookup_constituency(frame)
    frame = _parse_coordinates(frame)
    frame = _platform(frame)
    frame = _add_errors(frame, mapping, today)
    frame = frame.with_columns(  # a header or totals row is never a duplicate of another
        pl.when(pl.col("error_field") == ROW_FIELD)
        .then(pl.struct(SOURCE_ROW, "row_hash").hash(seed=1))
        .otherwise(pl.col("row_hash"))
        .alias("row_hash")
    )
    names = _names_in_file(frame)
    redactor = Redactor.for_file(names, _handles_in_file(frame, mapping))
    frame = frame.with_columns(
        pl.concat_str(pl.lit(f"{mapping.force_id}:"), pl.col("force_ref")).alias("incident_id"),
        pl.lit(mapping.force_id).alias("force_id"),
    ).sort(SOURCE_ROW)
    good = pl.col("error_field").is_null()
    accepted = stored(frame.filter(good), mapping, key, redactor).select(
        *CANONICAL_COLUMNS, SOURCE_ROW, "row_hash"
    )
    rejected = _rejects(stored(frame.filter(~good), mapping, key, redactor, whole_row=True))
    if malformed is not None and malformed.height:
        header = [c for c in raw.columns if c != SOURCE_ROW]
        rejected = pl.concat([rejected, _malformed_rejects(malformed, header, mapping, key,
                                                           names, redactor)])
    if notes:
        note = pl.col(SOURCE_ROW).replace_strict(notes, default=None, return_dtype=pl.String)
        rejected = rejected.with_columns(
            pl.when(note.is_not_null())
            .then(pl.concat_str(pl.col("reason"), pl.lit("; "), note))
            .otherwise(pl.col("reason"))
            .alias("reason")
        )
    return Mapped(accepted=accepted, rejected=rejected.sort(SOURCE_ROW))


def _rename(raw: pl.DataFrame, mapping: ForceMapping) -> pl.DataFrame:
    source = [c for c in raw.columns if c != SOURCE_ROW]
    raw = raw.with_columns(pl.col(c).cast(pl.String) for c in source)
    row_hash = pl.concat_str(
        [pl.col(c).fill_null("\x00") for c in source], separator="\x1f"
    ).hash(seed=0)
    selected = [pl.col(col).alias(field) for field, col in mapping.columns.items()]
    selected += [pl.col(c).alias(f"{ID_PREFIX}{c}") for c in mapping.suspect_identifier_columns]
    frame = raw.select(*selected, pl.col(SOURCE_ROW), row_hash.alias("row_hash"))
    for field in ("occurred_date", "outcome_date", "hate_strand", "platform", "victim_name",
                  "constituency", "latitude", "longitude", "postcode", "suspect_name",
                  "summary"):
        if field not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(field))
    return frame.with_columns(pl.col(f).alias(f"raw_{f}") for f in _checked_fields())


def _checked_fields() -> tuple[str, ...]:
    return ("force_ref", "offence", "latitude", "longitude", "constituency", *DATE_FIELDS,
            *VOCAB_FIELDS)


def _clean_text(frame: pl.DataFrame) -> pl.DataFrame:
    text_cols = [c for c, t in frame.schema.items() if t == pl.String and not c.startswith("raw_")]
    return frame.with_columns(
        pl.when(pl.col(c).str.strip_chars().str.to_lowercase().is_in(list(NULL_TOKENS)))
        .then(None)
        .otherwise(pl.col(c).str.strip_chars())
        .alias(c)
        for c in text_cols
    )


def _parse_dates(frame: pl.DataFrame, date_format: str) -> pl.DataFrame:
    def parse(col: str) -> pl.Expr:
        if date_format == "excel-serial":
            days = pl.col(col).cast(pl.Float64, strict=False)
            serial = pl.when(days.is_between(1, 2_958_465)).then(
                pl.lit(EXCEL_EPOCH) + pl.duration(days=days.floor().cast(pl.Int64))
            )
            iso = pl.col(col).str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
            return pl.coalesce(serial, iso).cast(pl.Date)
        if any(t in date_format for t in ("%H", "%M", "%S", "%T")):
            return pl.col(col).str.strptime(pl.Datetime, date_format, strict=False).dt.date()
        return pl.col(col).str.strptime(pl.Date, date_format, strict=False)

    return frame.with_columns(parse(c).alias(c) for c in DATE_FIELDS)


def _lookup_offence(frame: pl.DataFrame) -> pl.DataFrame:
    codes = reference.ho_code_groups().unique("ho_code", keep="first").rename(
        {"offence_group": "code_group", "hate_strand": "code_hate"}
    )
    words = (
        reference.offence_taxonomy()
        .unique("wording_key", keep="first", maintain_order=True)
        .select(
            "wording_key",
            pl.col("ho_code").alias("word_code"),
            pl.col("offence_group").alias("word_group"),
            pl.col("hate_strand").alias("word_hate"),
        )
    )
    code_part = pl.col("offence").str.extract(r"^\s*([0-9]{1,4}[A-Za-z]?)\b", 1)
    frame = frame.with_columns(
        reference.normalise_ho_code(code_part).alias("code_key"),
        reference.normalise_wording(pl.col("offence")).alias("wording_key"),
    )
    frame = frame.join(codes, left_on="code_key", right_on="ho_code", how="left", validate="m:1")
    frame = frame.join(words, on="wording_key", how="left", validate="m:1")
    return frame.with_columns(
        pl.coalesce(pl.col("code_group"), pl.col("word_group")).alias("offence_group"),
        pl.when(pl.col("code_group").is_not_null())
        .then(pl.col("code_key"))
        .otherwise(pl.col("word_code"))
        .alias("offence_code"),
        pl.coalesce(pl.col("code_hate"), pl.col("word_hate")).alias("offence_hate"),
    ).drop("code_key", "wording_key", "code_group", "word_group", "word_code", "code_hate",
           "word_hate")


def _lookup_vocabulary(frame: pl.DataFrame, mapping: ForceMapping) -> pl.DataFrame:
    wordings = reference.value_wordings().select("field", "wording_key", "value")
    overrides = [
        {"field": field, "wording_key": wording, "value": value}
        for field, table in mapping.values.items()
        for wording, value in table.items()
    ]
    if overrides:
        extra = pl.DataFrame(overrides).with_columns(
            reference.normalise_wording(pl.col("wording_key"))
        )
        wordings = pl.concat([extra, wordings])
    wordings = wordings.unique(["field", "wording_key"], keep="first", maintain_order=True)
    for field in VOCAB_FIELDS:
        table = wordings.filter(pl.col("field") == field).select(
            pl.col("wording_key").alias("_key"), pl.col("value").alias(f"_{field}")
        )
        frame = (
            frame.with_columns(reference.normalise_wording(pl.col(field)).alias("_key"))
            .join(table, on="_key", how="left", validate="m:1")
            .with_columns(pl.col(f"_{field}").alias(field))
            .drop("_key", f"_{field}")
        )
    return frame.with_columns(
        pl.coalesce(pl.col("hate_strand"), pl.col("offence_hate")).alias("hate_strand")
    )


def _lookup_constituency(frame: pl.DataFrame) -> pl.DataFrame:
    """ONS code, or name resolved on the boundaries in force on the reported date."""
    ref = reference.constituencies()
    by_code = ref.select(pl.col("constituency_code").alias("_by_code")).unique()
    by_name = ref.select(
        reference.normalise_wording(pl.col("constituency_name")).alias("_name_key"),
        pl.col("boundary_year").alias("_year"),
        pl.col("constituency_code").alias("_by_name"),
    ).unique(["_name_key", "_year"], keep="first")
    boundary = pl.when(
        pl.col("reported_date") < dt.date.fromisoformat(reference.BOUNDARY_CHANGE_DATE)
    ).then(2010).otherwise(2024)
    frame = frame.with_columns(
        pl.col("constituency").str.to_uppercase().alias("_code_key"),
        reference.normalise_wording(pl.col("constituency")).alias("_name_key"),
        boundary.alias("_year"),
        (4034 - boundary).alias("_other_year"),
    )
    frame = frame.join(by_code, left_on="_code_key", right_on="_by_code", how="left",
                       coalesce=False, validate="m:1")
    frame = frame.join(by_name, on=["_name_key", "_year"], how="left", validate="m:1")
    other = by_name.rename({"_year": "_other_year", "_by_name": "_by_other"})
    frame = frame.join(other, on=["_name_key", "_other_year"], how="left", validate="m:1")
    return frame.with_columns(
        pl.coalesce("_by_code", "_by_name", "_by_other").alias("constituency_code")
    ).drop("_code_key", "_name_key", "_year", "_other_year", "_by_code", "_by_name", "_by_other")


def _parse_coordinates(frame: pl.DataFrame) -> pl.DataFrame:
    """Coordinates are kept to 2 decimal places (about 1 km): never a home's location."""
    return frame.with_columns(
        pl.col(c).cast(pl.Float64, strict=False).alias(c) for c in ("latitude", "longitude")
    ).with_columns(
        pl.col(c).round(2).alias(f"{c}_stored") for c in ("latitude", "longitude")
    )


def _platform(frame: pl.DataFrame) -> pl.DataFrame:
    canonical = {p.lower(): p for p in PLATFORMS} | PLATFORM_SYNONYMS
    key = pl.col("platform").str.to_lowercase()
    return frame.with_columns(
        key.replace_strict(canonical, default=pl.col("platform")).alias("platform")
    )


def _add_errors(frame: pl.DataFrame, mapping: ForceMapping, today: dt.date) -> pl.DataFrame:
    """Every failed check gives (field, message); the first names the row's reject field.

    A message names the field and the rule, never the text of the cell: a name or a phone
    number typed into the wrong column would otherwise be quoted in the reason (DESIGN.md,
    "Sensitive fields"). Only values the check itself made are shown: a parsed date."""
    fmt = mapping.date_format
    checks: list[tuple[str, pl.Expr, pl.Expr]] = []
    for field in REQUIRED:
        checks.append((field, pl.col(f"raw_{field}").is_null() | pl.col(field).is_null()
                       & pl.col(f"raw_{field}").str.strip_chars().str.to_lowercase()
                       .is_in(list(NULL_TOKENS)), pl.lit(f"{field}: missing")))
    ref = pl.col("force_ref")
    checks.append(("force_ref", ref.is_not_null() & (
        ~ref.str.contains(r"\d") | ref.str.contains(NOT_A_REFERENCE)), pl.lit(
            "force_ref: not a crime reference (a reference has digits, and no @, web "
            "address, phone number or postcode)")))
    for field in DATE_FIELDS:
        raw = pl.col(f"raw_{field}")
        unparsed = pl.col(field).is_null() & raw.is_not_null() & ~raw.str.strip_chars() \
            .str.to_lowercase().is_in(list(NULL_TOKENS))
        checks.append((field, unparsed, pl.lit(
            f"{field}: the value is not a valid date in the format {fmt}")))
        out_of_range = pl.col(field).is_not_null() & ~pl.col(field).is_between(
            EARLIEST_DATE, today)
        checks.append((field, out_of_range, pl.format(
            f"{field}: {{}} is outside {EARLIEST_DATE}..{today}", pl.col(field))))
    checks.append(("occurred_date", pl.col("occurred_date") > pl.col("reported_date"),
                   pl.format("occurred_date: {} is after reported_date {}",
                             pl.col("occurred_date"), pl.col("reported_date"))))
    checks.append(("outcome_date", pl.col("outcome_date") < pl.col("reported_date"),
                   pl.format("outcome_date: {} is before reported_date {}",
                             pl.col("outcome_date"), pl.col("reported_date"))))
    checks.append(("offence", pl.col("offence").is_not_null() & pl.col("offence_group").is_null(),
                   pl.lit("offence: unknown offence (neither a Home Office code nor a known "
                          "wording)")))
    for field in VOCAB_FIELDS:
        raw = pl.col(f"raw_{field}")
        bad = pl.col(field).is_null() & raw.is_not_null() & ~raw.str.strip_chars() \
            .str.to_lowercase().is_in(list(NULL_TOKENS))
        checks.append((field, bad, pl.lit(
            f"{field}: unknown value (not a wording of "
            f"{', '.join(CANONICAL_VALUES[field])})")))
    checks.append(("constituency",
                   pl.col("constituency").is_not_null() & pl.col("constituency_code").is_null(),
                   pl.lit("constituency: not a Westminster constituency name or ONS code")))
    for field, (low, high) in (("latitude", UK_LATITUDE), ("longitude", UK_LONGITUDE)):
        raw = pl.col(f"raw_{field}")
        bad_number = raw.is_not_null() & pl.col(field).is_null()
        checks.append((field, bad_number, pl.lit(f"{field}: not a number")))
        outside = pl.col(field).is_not_null() & ~pl.col(field).is_between(low, high)
        checks.append((field, outside, pl.lit(f"{field}: outside the UK ({low}..{high})")))
    checks.append(("latitude", pl.col("latitude").is_null() != pl.col("longitude").is_null(),
                   pl.lit("latitude: latitude and longitude must be given together")))

    flags = [pl.when(cond.fill_null(False)).then(msg) for _, cond, msg in checks]
    first_field = pl.coalesce(
        [pl.when(cond.fill_null(False)).then(pl.lit(f)) for f, cond, _ in checks]
    )
    header_again = pl.all_horizontal(
        [pl.col(f"raw_{f}").str.strip_chars() == mapping.columns[f]
         for f in ("force_ref", "reported_date")]
    ).fill_null(False)
    totals = (
        pl.any_horizontal([pl.col(f"raw_{f}").str.contains(TOTALS) for f in _checked_fields()])
        .fill_null(False) & pl.col("reported_date").is_null()
    )
    structural = pl.when(header_again).then(pl.lit(HEADER_AGAIN)) \
        .when(totals).then(pl.lit(TOTALS_ROW))
    return frame.with_columns(
        pl.when(structural.is_not_null()).then(pl.lit(ROW_FIELD)).otherwise(first_field)
        .alias("error_field"),
        pl.coalesce(structural, pl.concat_str(flags, separator="; ", ignore_nulls=True))
        .alias("error_reason"),
    ).with_columns(
        pl.col("latitude_stored").alias("latitude"), pl.col("longitude_stored").alias("longitude")
    )


def _names_in_file(frame: pl.DataFrame) -> list[str]:
    names = pl.concat([frame["victim_name"], frame["suspect_name"]]).drop_nulls().unique()
    return sorted(names.to_list())


def _handles_in_file(frame: pl.DataFrame, mapping: ForceMapping) -> list[str]:
    """Handles (and identifiers of no known kind) in the file's identifier columns: they
    are redacted from free text wherever they appear, with or without `@`."""
    found: set[str] = set()
    for column in mapping.suspect_identifier_columns:
        cells = frame[f"{ID_PREFIX}{column}"].drop_nulls().unique().to_list()
        for cell in cells:
            found.update(value for kind, value in identifier_tokens(cell, column)
                         if kind in ("handle", "other"))
    return sorted(found)


def stored(frame: pl.DataFrame, mapping: ForceMapping, key: Key, redactor: Redactor, *,
           whole_row: bool = False) -> pl.DataFrame:
    """What a stored row may hold: the one decision, for incidents and rejects alike.

    Names and identifiers become keyed hashes (`victim_id`, `suspect_keys`), the summary and
    a platform outside the known list (kept as written) are redacted by the file's redactor,
    coordinates keep 2 decimals (about 1 km) and postcodes are dropped. With `whole_row` (a
    quarantined row) every source column is also kept, in `raw_row` as JSON under its own
    name, through the same rules: a column that failed validation cannot be trusted to hold
    what its name says, so the text of every other column is redacted too, and coordinates
    that are not numbers (or no coordinate) are redacted as text, their decimals cut to 2."""
    id_cols = tuple(f"{ID_PREFIX}{c}" for c in mapping.suspect_identifier_columns)
    other = frame["platform"].filter(~frame["platform"].is_in(list(PLATFORMS))).drop_nulls()
    unique = other.unique()
    platforms = dict(zip(unique.to_list(), redactor.series(unique).to_list(), strict=True))
    frame = add_pseudonyms(frame, identifier_columns=id_cols, key=key).with_columns(
        redactor.series(frame["summary"]).fill_null("").alias("summary"),
        pl.col("platform").replace(platforms),
        *[pl.col(c).round(COORDINATE_DECIMALS) for c in ("latitude", "longitude")],
    )
    if not whole_row:
        return frame
    values: dict[str, list[str | None]] = {}
    for field, column in mapping.columns.items():
        if field == "victim_name":
            values[column] = frame["victim_id"].to_list()
        elif field == "suspect_name":
            values[column] = [keyed_hash(key, f"name:{normalise_name(n)}")
                              if n and normalise_name(n) else None
                              for n in frame["suspect_name"].to_list()]
        elif field == "postcode":
            values[column] = [None] * frame.height
        elif field == "summary":
            values[column] = frame["summary"].to_list()
        elif field in ("latitude", "longitude"):
            text = redactor.series(frame[f"raw_{field}"]).to_list()
            values[column] = [str(number) if number is not None and abs(number) <= 180
                              else text
                              for text, number in zip(text, frame[field].to_list(),
                                                      strict=True)]
        else:
            source = f"raw_{field}" if field in _checked_fields() else field
            values[column] = redactor.series(frame[source].cast(pl.String)).to_list()
    for column in mapping.suspect_identifier_columns:
        values[column] = [
            ";".join(keyed_hash(key, f"{k}:{v}") for k, v in identifier_tokens(cell, column))
            or None if cell else None
            for cell in frame[f"{ID_PREFIX}{column}"].to_list()]
    order = [*mapping.columns.values(), *mapping.suspect_identifier_columns]
    raws = [json.dumps(dict(zip(order, row, strict=True)), ensure_ascii=False, default=str)
            for row in zip(*(values[c] for c in order), strict=True)]
    # the reject's id (quoted when a repeat of it is quarantined) from the redacted reference
    ref = pl.Series(values[mapping.columns["force_ref"]], dtype=pl.String)
    return frame.with_columns(
        pl.Series("raw_row", raws, dtype=pl.String),
        pl.concat_str(pl.lit(f"{mapping.force_id}:"), ref).alias("incident_id"))


def _rejects(bad: pl.DataFrame) -> pl.DataFrame:
    """Quarantined rows: field and reason, and the row as `stored` keeps it."""
    schema = {SOURCE_ROW: pl.Int64, "field": pl.String, "reason": pl.String,
              "raw_row": pl.String, "row_hash": pl.UInt64, "incident_id": pl.String}
    if bad.height == 0:
        return pl.DataFrame(schema=schema)
    return bad.select(
        SOURCE_ROW,
        pl.col("error_field").alias("field"),
        pl.col("error_reason").alias("reason"),
        "raw_row",
        "row_hash",
        "incident_id",
    )


def _malformed_rejects(malformed: pl.DataFrame, header: list[str], mapping: ForceMapping,
                       key: Key, names: list[str], redactor: Redactor) -> pl.DataFrame:
    """Rows that could not be split into fields: their raw text, hashed and redacted as any
    reject's fields are (DESIGN.md, "Sensitive fields"), with the line they were on.

    Which cells hold a name or an identifier is uncertain when a row has too many or too
    few fields, so every cell that could be one is hashed: a value displaced by an extra or
    a missing delimiter keeps its position counted from the row's start or from its end.
    The text is then redacted as free text is, also of every name seen in the file."""
    schema = {SOURCE_ROW: pl.Int64, "field": pl.String, "reason": pl.String,
              "raw_row": pl.String, "row_hash": pl.UInt64, "incident_id": pl.String}
    malformed = malformed.select(list(MALFORMED_SCHEMA))
    if malformed.height == 0:
        return pl.DataFrame(schema=schema)
    texts: list[str] = []
    seen_names: list[str] = []
    for text in malformed["raw_text"].to_list():
        cells = _sensitive_cells(text, header, mapping)
        for column, value in sorted(cells, key=lambda cell: -len(cell[1])):
            hashed = _hashed_cell(column, value, mapping, key)
            text = text.replace(value, hashed).replace(value.replace('"', '""'), hashed)
            if column in (mapping.columns.get("victim_name"), mapping.columns.get("suspect_name")):
                seen_names.append(value)
        texts.append(text)
    if set(seen_names) - set(names):
        redactor = redactor.with_names(seen_names)
    redacted = redactor.series(pl.Series("text", texts, dtype=pl.String)).to_list()
    raw_rows = [json.dumps({"line": line, "text": text}, ensure_ascii=False)
                for line, text in zip(malformed["line"].to_list(), redacted, strict=True)]
    return malformed.select(
        SOURCE_ROW,
        pl.lit(ROW_FIELD).alias("field"),
        "reason",
        pl.Series("raw_row", raw_rows, dtype=pl.String),
        pl.concat_str(pl.col(SOURCE_ROW).cast(pl.String), pl.col("raw_text")).hash(seed=2)
        .alias("row_hash"),
        pl.lit(None, pl.String).alias("incident_id"),
    )


def _sensitive_columns(mapping: ForceMapping) -> list[str]:
    fields = [mapping.columns[f] for f in SENSITIVE_FIELDS if f in mapping.columns]
    return [*fields, *mapping.suspect_identifier_columns]


def _sensitive_cells(text: str, header: list[str], mapping: ForceMapping
                     ) -> list[tuple[str, str]]:
    """(column, value) of every cell of a malformed row that may hold a name or identifier."""
    sensitive = _sensitive_columns(mapping)
    cells: set[tuple[str, str]] = set()
    if mapping.format == "jsonl":
        for column in sensitive:
            pattern = rf'"{re.escape(column)}"\s*:\s*"((?:[^"\\]|\\.)*)'
            cells.update((column, m.group(1)) for m in re.finditer(pattern, text))
    else:
        splits = [next(csv.reader([text], delimiter=mapping.delimiter), []),
                  text.split(mapping.delimiter)]
        for values in splits:
            for index, column in enumerate(header):
                if column not in sensitive:
                    continue
                for at in {index, len(values) - len(header) + index}:
                    if 0 <= at < len(values):
                        cells.add((column, values[at]))
    return [(c, v.strip()) for c, v in cells
            if len(v.strip()) >= 2 and v.strip().lower() not in NULL_TOKENS]


def _hashed_cell(column: str, value: str, mapping: ForceMapping, key: Key) -> str:
    if mapping.format == "jsonl":
        with contextlib.suppress(json.JSONDecodeError):
            value = json.loads(f'"{value}"')
    value = value.strip('"').strip()
    if column == mapping.columns.get("victim_name"):
        return victim_id(value, key) or ""
    if column == mapping.columns.get("suspect_name"):
        return keyed_hash(key, f"name:{normalise_name(value)}")
    if column == mapping.columns.get("postcode"):
        return "[postcode]"
    tokens = identifier_tokens(value, column)
    return ";".join(keyed_hash(key, f"{k}:{v}") for k, v in tokens)
