"""Map geometry: the 2024 constituencies as a hex cartogram (etl/reference_data/
constituency_hex_2024.csv, built from the Rae & Brown hex map by its build script).

A cartogram gives each of the 650 constituencies the same area, so a small urban force is as
visible as a large rural one, and it shows no boundary, address or point finer than a
constituency (stack.md 6.6). Hexagons are flat-topped, on "doubled" offset coordinates
(Red Blob Games, "Hexagonal Grids"): centre (1.5·col, √3/2·row) in circumradius units,
north up. Vega-Lite draws them as GeoJSON with the identity projection (y reflected), so no
map projection or tile server is involved.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import polars as pl

from etl.reference import reference_bytes

HEX_FILE = "constituency_hex_2024.csv"
_ROOT3_2 = math.sqrt(3) / 2


@lru_cache(maxsize=1)
def hexes() -> pl.DataFrame:
    """pcon24_code, hex_code, constituency_name, col, row: one row per constituency."""
    return pl.read_csv(reference_bytes(HEX_FILE),
                       schema_overrides={"col": pl.Int64, "row": pl.Int64})


def hex_ring(col: int, row: int) -> list[list[float]]:
    """The closed outer ring of the hexagon at (col, row), counter-clockwise, 7 points."""
    cx, cy = 1.5 * col, _ROOT3_2 * row
    ring = [[round(cx + math.cos(math.radians(60 * k)), 4),
             round(cy + math.sin(math.radians(60 * k)), 4)] for k in range(6)]
    return [*ring, ring[0]]


def features(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """GeoJSON Features, one hexagon per row (which needs `col` and `row`); every other
    field of the row becomes a property."""
    return [{"type": "Feature",
             "geometry": {"type": "Polygon", "coordinates": [hex_ring(r["col"], r["row"])]},
             "properties": {k: v for k, v in r.items() if k not in ("col", "row")}}
            for r in rows]
