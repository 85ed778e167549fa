"""Reference data (forces, constituencies, offence taxonomy) read from `etl/reference_data/`.

The files are public data copied from `shared/reference/` (sources in
`etl/reference_data/SOURCES.md`) plus two tables of ours: the offence taxonomy and the wordings
forces use for channels, roles, outcomes and hate strands. Everything that needs them reads
them through this module, so there is one place that knows the file layout. They are package
data, read through `importlib.resources`, so an installed plait has them wherever it runs.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

import polars as pl

REFERENCE_DATA: Traversable = files("etl") / "reference_data"

# Boundaries changed at the 4 July 2024 general election.
BOUNDARY_CHANGE_DATE = "2024-07-04"


def normalise_wording(expr: pl.Expr) -> pl.Expr:
    """Lower-case, strip punctuation and collapse spaces so that 'E-mail' and 'e mail' agree."""
    return (
        expr.str.to_lowercase()
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .str.strip_chars()
    )


def normalise_ho_code(expr: pl.Expr) -> pl.Expr:
    """'008R', ' 8r ' and '8R' are one Home Office code; leading zeros are a force habit."""
    return expr.str.to_uppercase().str.replace_all(r"\s+", "").str.replace(r"^0+(\d)", "$1")


def reference_bytes(name: str) -> bytes:
    """The bytes of one reference file (`etl/reference_data/NAME`), installed or not."""
    return (REFERENCE_DATA / name).read_bytes()


def _read(name: str) -> pl.DataFrame:
    return pl.read_csv(reference_bytes(name), infer_schema_length=0)


@cache
def forces() -> pl.DataFrame:
    """The 46 forces: 43 territorial in England and Wales, PSNI, BTP and Police Scotland."""
    return _read("police_forces.csv").select(
        "force_id", "force_name", "pfa_code", "country", "police_region", "force_type"
    )


@cache
def constituencies() -> pl.DataFrame:
    """Both boundary sets in one frame: 2010 (used to July 2024) and 2024."""
    old = _read("constituencies_2010_pfa.csv").select(
        pl.col("pcon10_code").alias("constituency_code"),
        pl.col("pcon10_name").alias("constituency_name"),
        pl.lit(2010).alias("boundary_year"),
        "nation",
        "force_id",
        "police_region",
    )
    new = _read("constituencies_2024_pfa.csv").select(
        pl.col("pcon24_code").alias("constituency_code"),
        pl.col("pcon24_name").alias("constituency_name"),
        pl.lit(2024).alias("boundary_year"),
        "nation",
        "force_id",
        "police_region",
    )
    return pl.concat([old, new])


@cache
def offence_taxonomy() -> pl.DataFrame:
    """Wordings and Home Office codes → offence_group (and a hate strand the wording implies)."""
    return _read("offence_taxonomy.csv").with_columns(
        normalise_wording(pl.col("wording")).alias("wording_key"),
        normalise_ho_code(pl.col("ho_code")).alias("ho_code"),
    )


@cache
def ho_code_groups() -> pl.DataFrame:
    """Every Home Office code we know → offence_group; codes outside our taxonomy are 'other'.

    A code names one offence, so it has one group; where our wordings give the same code two
    groups (code 66 covers bomb hoaxes among other public-order offences) the code alone
    means the broader group, which is listed first in the taxonomy file.
    """
    ours = (
        offence_taxonomy()
        .filter(pl.col("ho_code").is_not_null())
        .unique("ho_code", keep="first", maintain_order=True)
        .select("ho_code", "offence_group", "hate_strand")
    )
    ons = (
        _read("ho_offence_classification_ons_2017-18.csv")
        .filter(pl.col("is_ho_code") == "yes")
        .select(normalise_ho_code(pl.col("code")).alias("ho_code"))
        .unique()
        .join(ours, on="ho_code", how="anti")
        .with_columns(
            pl.lit("other").alias("offence_group"), pl.lit(None, pl.String).alias("hate_strand")
        )
    )
    return pl.concat([ours, ons])


@cache
def value_wordings() -> pl.DataFrame:
    """How forces write channel, victim role, outcome and hate strand → canonical values."""
    return _read("value_wordings.csv").with_columns(
        normalise_wording(pl.col("wording")).alias("wording_key")
    )


@cache
def force_population() -> pl.DataFrame | None:
    """Residents per force area (`force_population.csv`), or None where it is not provided."""
    path = REFERENCE_DATA / "force_population.csv"
    if not path.is_file():
        return None
    return pl.read_csv(path.read_bytes(), schema_overrides={"population": pl.Float64})
