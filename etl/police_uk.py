"""data.police.uk street-level crime files: kept row for row, validated, forces resolved.

Every row is kept, those without a Crime ID (anti-social behaviour) and repeated Crime IDs
too: a Crime ID is not unique in these files (police-data.md §2.4), so the key is the file
and the row. `Reported by` and `Falls within` stay apart as the reporting and the location
force, because BTP and cross-border rows differ (§2.5).
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from etl import reference
from etl.readers import SOURCE_ROW

STREET_HEADER: tuple[str, ...] = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
RENAME = dict(
    zip(
        STREET_HEADER,
        ("crime_id", "month", "reported_by", "falls_within", "longitude", "latitude",
         "location", "lsoa_code", "lsoa_name", "crime_type", "last_outcome_category", "context"),
        strict=True,
    )
)
UK_BOUNDS = {"latitude": (49.8, 60.95), "longitude": (-8.7, 1.8)}


def looks_like_street_name(path: Path) -> bool:
    """`YYYY-MM-<force>-street.csv`, or a copy of one with something around the name."""
    return re.search(r"\d{4}-\d{2}-[a-z-]+-street", path.name.lower()) is not None


def is_street_file(path: Path, header: list[str]) -> bool:
    """By name and header: the 12 columns in their published order."""
    return looks_like_street_name(path) and tuple(header) == STREET_HEADER


def force_from_name(path: Path) -> str | None:
    """`2019-01-city-of-london-street.csv` → `city-of-london`, when the id is a known force."""
    ids = reference.forces()["force_id"].to_list()
    name = path.name.lower()
    matches = [f for f in ids if f"-{f}-street" in name]
    return max(matches, key=len) if matches else None


def to_street_rows(raw: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Accepted rows and quarantined rows (`source_row`, `field`, `reason`, `raw_row`)."""
    names = reference.forces().select(
        pl.col("force_name").str.to_lowercase().alias("_name"), "force_id"
    )
    frame = raw.rename(RENAME).with_columns(
        pl.col(c).str.strip_chars() for c in RENAME.values()
    ).with_columns(
        pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c)
        for c in RENAME.values()
    )
    frame = frame.with_columns(
        (pl.col("month") + "-01").str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        .alias("month_date"),
        pl.col("latitude").cast(pl.Float64, strict=False).alias("lat_value"),
        pl.col("longitude").cast(pl.Float64, strict=False).alias("lon_value"),
    )
    frame = (
        frame.with_columns(pl.col("reported_by").str.to_lowercase().alias("_name"))
        .join(names.rename({"force_id": "reporting_force_id"}), on="_name", how="left",
              validate="m:1", maintain_order="left")
        .with_columns(pl.col("falls_within").str.to_lowercase().alias("_name"))
        .join(names.rename({"force_id": "location_force_id"}), on="_name", how="left",
              validate="m:1", maintain_order="left")
        .drop("_name")
    )
    checks: list[tuple[str, pl.Expr, pl.Expr]] = [
        ("month", pl.col("month_date").is_null(),
         pl.format("month: '{}' is not a month (YYYY-MM)", pl.col("month"))),
        ("reported_by", pl.col("reported_by").is_null(), pl.lit("reported_by: missing")),
        ("falls_within", pl.col("falls_within").is_null(), pl.lit("falls_within: missing")),
        ("crime_type", pl.col("crime_type").is_null(), pl.lit("crime_type: missing")),
    ]
    for field, (low, high) in UK_BOUNDS.items():
        value = pl.col("lat_value" if field == "latitude" else "lon_value")
        checks.append((field, pl.col(field).is_not_null() & value.is_null(),
                       pl.format(f"{field}: '{{}}' is not a number", pl.col(field))))
        checks.append((field, value.is_not_null() & ~value.is_between(low, high),
                       pl.format(f"{field}: {{}} is outside the UK", value)))
    checks.append(("latitude", pl.col("lat_value").is_null() != pl.col("lon_value").is_null(),
                   pl.lit("latitude: latitude and longitude must be given together")))
    frame = frame.with_columns(
        pl.coalesce([pl.when(c.fill_null(False)).then(pl.lit(f)) for f, c, _ in checks])
        .alias("field"),
        pl.concat_str([pl.when(c.fill_null(False)).then(m) for _, c, m in checks],
                      separator="; ", ignore_nulls=True).alias("reason"),
    )
    good = frame.filter(pl.col("field").is_null()).select(
        SOURCE_ROW, "crime_id", "month_date", "reported_by", "falls_within",
        "reporting_force_id", "location_force_id",
        "longitude", "latitude",
        "location", "lsoa_code", "lsoa_name", "crime_type", "last_outcome_category", "context",
    )
    bad = frame.filter(pl.col("field").is_not_null()).select(
        SOURCE_ROW, "field", "reason",
        pl.struct([pl.col(v).alias(k) for k, v in RENAME.items()]).struct.json_encode()
        .alias("raw_row"),
    )
    return good, bad
