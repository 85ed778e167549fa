"""Where things are: constituencies and their forces, force areas, invented points and postcodes.

Constituencies and forces come from the reference files (through `etl.reference`), so a
name the generator writes is always one the ingest can resolve. Coordinates are only a
force-area centre plus jitter: good enough for maps at force level, and never anyone's
real address. Postcodes use the area letters of the force's own towns so they look local.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

from etl import reference

WESTMINSTER = (51.4995, -0.1248)
UK_LATITUDE = (49.9, 60.8)
UK_LONGITUDE = (-8.6, 1.7)

# Approximate centre of each force area (WGS84); jitter keeps points inside the UK box.
FORCE_CENTRES: dict[str, tuple[float, float]] = {
    "avon-and-somerset": (51.35, -2.75), "bedfordshire": (52.02, -0.45),
    "btp": (52.48, -1.90), "cambridgeshire": (52.35, 0.05), "cheshire": (53.18, -2.55),
    "city-of-london": (51.515, -0.092), "cleveland": (54.57, -1.20),
    "cumbria": (54.55, -2.95), "derbyshire": (53.05, -1.55),
    "devon-and-cornwall": (50.60, -4.10), "dorset": (50.78, -2.20),
    "durham": (54.70, -1.70), "dyfed-powys": (52.10, -3.90), "essex": (51.80, 0.55),
    "gloucestershire": (51.85, -2.20), "greater-manchester": (53.48, -2.25),
    "gwent": (51.70, -3.00), "hampshire": (51.00, -1.25), "hertfordshire": (51.80, -0.25),
    "humberside": (53.75, -0.50), "kent": (51.20, 0.75), "lancashire": (53.80, -2.60),
    "leicestershire": (52.65, -1.10), "lincolnshire": (53.10, -0.25),
    "merseyside": (53.42, -2.95), "metropolitan": (51.50, -0.12), "norfolk": (52.65, 1.00),
    "north-wales": (53.10, -3.70), "north-yorkshire": (54.10, -1.30),
    "northamptonshire": (52.30, -0.85), "northern-ireland": (54.60, -6.50),
    "northumbria": (55.00, -1.65), "nottinghamshire": (53.05, -1.10),
    "south-wales": (51.58, -3.55), "south-yorkshire": (53.45, -1.35),
    "staffordshire": (52.85, -2.05), "suffolk": (52.20, 1.05), "surrey": (51.25, -0.45),
    "sussex": (50.95, -0.30), "thames-valley": (51.65, -1.05),
    "warwickshire": (52.30, -1.55), "west-mercia": (52.35, -2.60),
    "west-midlands": (52.48, -1.90), "west-yorkshire": (53.75, -1.65),
    "wiltshire": (51.35, -1.90), "police-scotland": (55.95, -3.60),
}

POSTCODE_AREAS: dict[str, tuple[str, ...]] = {
    "avon-and-somerset": ("BS", "BA", "TA"), "bedfordshire": ("LU", "MK"),
    "btp": ("NW", "EC", "M", "B"), "cambridgeshire": ("CB", "PE"),
    "cheshire": ("CH", "CW", "WA"), "city-of-london": ("EC",), "cleveland": ("TS",),
    "cumbria": ("CA", "LA"), "derbyshire": ("DE", "S"),
    "devon-and-cornwall": ("EX", "PL", "TQ", "TR"), "dorset": ("BH", "DT"),
    "durham": ("DH", "DL"), "dyfed-powys": ("SA", "LD", "SY"), "essex": ("CM", "CO", "SS"),
    "gloucestershire": ("GL",), "greater-manchester": ("M", "BL", "OL", "SK", "WN"),
    "gwent": ("NP",), "hampshire": ("SO", "PO", "RG"), "hertfordshire": ("AL", "SG", "WD"),
    "humberside": ("HU", "DN"), "kent": ("CT", "ME", "TN"), "lancashire": ("PR", "BB", "FY"),
    "leicestershire": ("LE",), "lincolnshire": ("LN", "PE"), "merseyside": ("L", "CH"),
    "metropolitan": ("SW", "SE", "N", "E", "W", "NW"), "norfolk": ("NR",),
    "north-wales": ("LL",), "north-yorkshire": ("YO", "HG"), "northamptonshire": ("NN",),
    "northern-ireland": ("BT",), "northumbria": ("NE", "SR"), "nottinghamshire": ("NG",),
    "south-wales": ("CF", "SA"), "south-yorkshire": ("S", "DN"),
    "staffordshire": ("ST", "WS"), "suffolk": ("IP",), "surrey": ("GU", "KT"),
    "sussex": ("BN", "RH"), "thames-valley": ("OX", "RG", "HP"), "warwickshire": ("CV",),
    "west-mercia": ("WR", "HR", "TF"), "west-midlands": ("B", "WV"),
    "west-yorkshire": ("LS", "BD", "HX", "WF", "HD"), "wiltshire": ("SN", "SP"),
    "police-scotland": ("EH", "G"),
}
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


@dataclass(frozen=True)
class Constituency:
    """A Westminster seat on one boundary set, and the force that polices it."""

    code: str
    name: str
    boundary_year: int
    nation: str
    force_id: str
    region: str


@cache
def constituencies(boundary_year: int) -> tuple[Constituency, ...]:
    """One boundary set's seats, in code order, so draws over them are reproducible."""
    frame = reference.constituencies().filter(
        reference.constituencies()["boundary_year"] == boundary_year
    )
    return tuple(
        Constituency(r["constituency_code"], r["constituency_name"], boundary_year, r["nation"],
                     r["force_id"], r["police_region"])
        for r in frame.sort("constituency_code").iter_rows(named=True)
    )


@cache
def force_regions() -> dict[str, str]:
    """force_id → police region; BTP's "region" is the rail network, not a place."""
    return {r["force_id"]: r["police_region"] for r in reference.forces().iter_rows(named=True)}


def point_near(rng: random.Random, force_id: str, centre: tuple[float, float] | None = None,
               spread: float = 1.0) -> tuple[float, float]:
    """A point near a force-area centre, clamped inside the UK box ingest checks."""
    lat, lon = centre or FORCE_CENTRES[force_id]
    lat = lat + rng.uniform(-0.08, 0.08) * spread
    lon = lon + rng.uniform(-0.12, 0.12) * spread
    lat = min(max(lat, UK_LATITUDE[0]), UK_LATITUDE[1])
    lon = min(max(lon, UK_LONGITUDE[0]), UK_LONGITUDE[1])
    return round(lat, 6), round(lon, 6)


def postcode_in(rng: random.Random, force_id: str) -> str:
    """An invented postcode of the force's area, e.g. `LS6 2QT`."""
    area = rng.choice(POSTCODE_AREAS.get(force_id, ("AB",)))
    district = rng.randint(1, 28 if len(area) == 1 else 22)
    inward = f"{rng.randint(1, 9)}{rng.choice(_INWARD_LETTERS)}{rng.choice(_INWARD_LETTERS)}"
    return f"{area}{district} {inward}"
