"""Build constituency_hex_2024.csv: where each 2024 constituency sits on a hex cartogram.

Source: the Rae & Brown hex map of the 650 Westminster constituencies (2024 boundaries),
mySociety/2025-constituencies : data/raw/hex/uk-wpc-hex-v1.0-july-2023.gpkg (a GeoPackage:
SQLite holding GPKG-header + WKB multipolygons in EPSG:3857, one flat-topped regular hexagon
per constituency). Joined to constituencies_2024_pfa.csv on the file's `3CODE` = the last
three characters of `mysoc_short_code` (its `ONS_CODE` column is 'tbc' throughout).

Each hexagon is stored as whole-number grid coordinates rather than its 7 points: `col`
counts columns (1.5 circumradii apart) and `row` counts half hex heights, so a hexagon's
centre is (1.5·col, √3/2·row) in circumradius units (Red Blob Games' "doubled" offset
coordinates). `dashboards.geo` rebuilds the polygons. The build checks that every hexagon
is regular and on that grid, and that all 650 constituencies join.

Usage: python build_constituency_hex.py GPKG [OUT_CSV]
"""

from __future__ import annotations

import csv
import math
import sqlite3
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LAYER = "uk-wpc-hex-v1.0-july-2023"
ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
TOLERANCE = 1.0
"""Metres (EPSG:3857) a vertex may sit off the ideal grid."""


def hexagon(blob: bytes) -> list[tuple[float, float]]:
    """The outer ring of a GeoPackage geometry holding one polygon (GPKG spec 2.1.3: 'GP',
    version, flags whose bits 1-3 give the envelope, srs id, envelope, then ISO WKB)."""
    if blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry blob")
    wkb = blob[8 + ENVELOPE_BYTES[(blob[3] >> 1) & 7]:]
    order = "<" if wkb[0] == 1 else ">"
    kind, = struct.unpack(order + "I", wkb[1:5])
    if kind == 6:  # a MultiPolygon of one Polygon: skip to that polygon's own header
        parts, = struct.unpack(order + "I", wkb[5:9])
        if parts != 1:
            raise ValueError(f"expected one polygon, got {parts}")
        wkb = wkb[9:]
        order = "<" if wkb[0] == 1 else ">"
        kind, = struct.unpack(order + "I", wkb[1:5])
    if kind != 3:
        raise ValueError(f"expected a polygon, got WKB type {kind}")
    points, = struct.unpack(order + "I", wkb[9:13])
    return [struct.unpack(order + "dd", wkb[13 + 16 * i:29 + 16 * i]) for i in range(points)]


def build(gpkg: Path, out: Path) -> int:
    with (HERE / "constituencies_2024_pfa.csv").open(encoding="utf-8") as handle:
        by_code = {row["mysoc_short_code"].rsplit(".", 1)[-1]: row
                   for row in csv.DictReader(handle)}
    con = sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True)
    found = con.execute(f'SELECT "3CODE", BCName, geom FROM "{LAYER}" ORDER BY fid').fetchall()
    con.close()
    shapes = [(code, name, hexagon(blob)) for code, name, blob in found]
    first = shapes[0][2][:-1]
    radius = max(x for x, _ in first) - sum(x for x, _ in first) / 6
    step_x, step_y = 1.5 * radius, math.sqrt(3) / 2 * radius
    origin = min((sum(x for x, _ in s[:-1]) / 6, sum(y for _, y in s[:-1]) / 6)
                 for _, _, s in shapes)
    rows = []
    for code, name, ring in shapes:
        if code not in by_code:
            raise ValueError(f"hex {code} ({name}): no constituency with that mySociety code")
        cx, cy = sum(x for x, _ in ring[:-1]) / 6, sum(y for _, y in ring[:-1]) / 6
        col, row = round((cx - origin[0]) / step_x), round((cy - origin[1]) / step_y)
        if abs(cx - origin[0] - col * step_x) > TOLERANCE or \
                abs(cy - origin[1] - row * step_y) > TOLERANCE or (col + row) % 2:
            raise ValueError(f"hex {code} ({name}): not on the hex grid")
        for x, y in ring[:-1]:
            if abs(math.hypot(x - cx, y - cy) - radius) > TOLERANCE:
                raise ValueError(f"hex {code} ({name}): not a regular hexagon")
        ref = by_code[code]
        rows.append({"pcon24_code": ref["pcon24_code"], "hex_code": code,
                     "constituency_name": ref["pcon24_name"], "col": col, "row": row})
    if len(rows) != len(by_code):
        raise ValueError(f"{len(rows)} hexes for {len(by_code)} constituencies")
    rows.sort(key=lambda r: str(r["pcon24_code"]))
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    target = Path(sys.argv[2]) if len(sys.argv) == 3 else HERE / "constituency_hex_2024.csv"
    print(f"{build(Path(sys.argv[1]), target)} constituencies → {target}")
