"""One mapping file per force (`etl/mappings/<force_id>.toml`): how its extract is laid out.

A mapping says which file is the force's (a filename glob, confirmed by the header), how
to read it (format, encoding, date format) and which of its columns holds each canonical
field. The generator writes extracts from the same mappings, so a layout is declared once.
"""

from __future__ import annotations

import fnmatch
import tomllib
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# package data, through importlib.resources: an installed plait has the mappings too
MAPPINGS_DIR: Traversable = files("etl") / "mappings"

# Canonical source fields a force extract may carry. `victim_name`, `suspect_name`,
# `suspect_identifiers` and `postcode` are read only to be hashed or dropped at ingest.
SOURCE_FIELDS: tuple[str, ...] = (
    "force_ref",
    "reported_date",
    "occurred_date",
    "offence",
    "hate_strand",
    "channel",
    "platform",
    "victim_role",
    "victim_name",
    "constituency",
    "latitude",
    "longitude",
    "postcode",
    "suspect_name",
    "summary",
    "outcome",
    "outcome_date",
)
REQUIRED_FIELDS: tuple[str, ...] = (
    "force_ref",
    "reported_date",
    "offence",
    "channel",
    "victim_role",
    "summary",
    "outcome",
)


class ForceMapping(BaseModel):
    """A force's extract layout, validated when the file is read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    force_id: str
    records_system: str
    format: Literal["csv", "xlsx", "jsonl"]
    encoding: Literal["utf-8", "cp1252"] = "utf-8"
    delimiter: str = ","
    file_glob: str
    sheet: str | None = None
    date_format: str = Field(
        description="strptime format of every date column, or 'excel-serial' "
        "(days since 1899-12-30)"
    )
    columns: dict[str, str]
    suspect_identifier_columns: tuple[str, ...] = ()
    values: dict[str, dict[str, str]] = {}

    @model_validator(mode="after")
    def _known_fields(self) -> ForceMapping:
        unknown = set(self.columns) - set(SOURCE_FIELDS)
        if unknown:
            raise ValueError(f"unknown canonical fields {sorted(unknown)}")
        missing = set(REQUIRED_FIELDS) - set(self.columns)
        if missing:
            raise ValueError(f"required fields not mapped: {sorted(missing)}")
        return self

    @property
    def source_columns(self) -> tuple[str, ...]:
        """Every column the extract must have, in mapping order."""
        return (*self.columns.values(), *self.suspect_identifier_columns)

    def matches_name(self, path: Path) -> bool:
        return fnmatch.fnmatch(path.name.lower(), self.file_glob.lower())


def load_mapping(path: Path | Traversable) -> ForceMapping:
    with path.open("rb") as fh:
        return ForceMapping.model_validate(tomllib.load(fh))


@cache
def all_mappings() -> tuple[ForceMapping, ...]:
    """Every force's mapping, sorted by force id."""
    paths = (p for p in MAPPINGS_DIR.iterdir() if p.name.endswith(".toml"))
    return tuple(load_mapping(p) for p in sorted(paths, key=lambda p: p.name))


def mapping_for(force_id: str) -> ForceMapping:
    for m in all_mappings():
        if m.force_id == force_id:
            return m
    raise KeyError(f"no mapping for force {force_id!r} in etl/mappings")
