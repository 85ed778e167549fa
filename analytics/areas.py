"""The three geographies every release reports on: the nation, police regions and forces.

Statistics are computed once on a frame that holds every incident three times, once per
level, so one `group_by("level", "unit", ...)` gives national, regional and force figures
alike. Units follow `count_series`: `national`/`all`, `region`/<police region>,
`force`/<force_id>.
"""

from __future__ import annotations

import polars as pl

LEVELS: tuple[str, ...] = ("national", "region", "force")
AREA_KEYS: tuple[str, ...] = ("level", "unit")


def by_area(incidents: pl.DataFrame) -> pl.DataFrame:
    """Each incident once per level, with `level` and `unit` in front.

    `incidents` needs `force_id` and `police_region` (join `ref_force` first).
    """
    missing = {"force_id", "police_region"} - set(incidents.columns)
    if missing:
        raise ValueError(f"incidents: missing columns {sorted(missing)} for areas")
    units = {
        "national": pl.lit("all"),
        "region": pl.col("police_region"),
        "force": pl.col("force_id"),
    }
    return pl.concat([
        incidents.select(pl.lit(level).alias("level"), expr.cast(pl.String).alias("unit"),
                         pl.all())
        for level, expr in units.items()
    ])


def all_areas(forces: pl.DataFrame) -> pl.DataFrame:
    """Every (level, unit) the release can report on, for zero-filling: from `ref_force`."""
    return pl.concat([
        pl.DataFrame({"level": ["national"], "unit": ["all"]}),
        forces.select(pl.lit("region").alias("level"),
                      pl.col("police_region").alias("unit")).unique(),
        forces.select(pl.lit("force").alias("level"), pl.col("force_id").alias("unit")),
    ]).sort(pl.col("level").replace_strict({"national": 0, "region": 1, "force": 2}), "unit")
