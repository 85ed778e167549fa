"""A national year of synthetic street files in the exact data.police.uk layout.

The ingest benchmark needs real volume (about 6 million rows a year, police-data.md §1) in
the real layout and with the real quirks (§2): blank Crime IDs for anti-social behaviour,
repeated Crime IDs, `No Location` rows, BTP rows that fall within other forces, a PSNI
file without LSOAs, LSOA names with commas that need quoting. Real files cannot be
shipped in the repository, so they are generated here, vectorised in polars so that a
national year takes seconds, and deterministically from `--seed` so that two runs of the
benchmark read the same bytes.

Usage: `python benchmarks/ingest/generate_street.py --out DIR [--rows N] [--year Y] [--seed S]`
writes `DIR/YYYY-MM/YYYY-MM-<force_id>-street.csv`, one file per force per month.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa

REPO = Path(__file__).resolve().parents[2]
FORCES_CSV = REPO / "etl" / "reference_data" / "police_forces.csv"
GENERATOR_VERSION = 1
DEFAULT_ROWS = 6_000_000
DEFAULT_YEAR = 2023
DEFAULT_SEED = 20_231

# The tables below are data, kept compact rather than one item per line.
# fmt: off
STREET_HEADER: tuple[str, ...] = (
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
)

# Street rows a year (thousands), crime plus ASB, roughly as published on data.police.uk:
# only the proportions matter, so that the Met file dominates as it does in a real release.
FORCE_ROWS_K: dict[str, float] = {
    "metropolitan": 1150, "greater-manchester": 330, "west-yorkshire": 330,
    "west-midlands": 300, "kent": 190, "essex": 165, "hampshire": 165, "thames-valley": 160,
    "lancashire": 150, "south-yorkshire": 150, "avon-and-somerset": 140, "northumbria": 140,
    "merseyside": 135, "sussex": 120, "devon-and-cornwall": 110, "south-wales": 110,
    "northern-ireland": 110, "nottinghamshire": 100, "humberside": 100, "west-mercia": 95,
    "leicestershire": 90, "hertfordshire": 90, "cheshire": 90, "staffordshire": 85,
    "derbyshire": 80, "cleveland": 75, "btp": 70, "surrey": 70, "cambridgeshire": 70,
    "northamptonshire": 65, "norfolk": 60, "durham": 55, "lincolnshire": 55, "suffolk": 55,
    "bedfordshire": 55, "north-yorkshire": 55, "north-wales": 55, "dorset": 50, "gwent": 50,
    "wiltshire": 45, "gloucestershire": 45, "warwickshire": 40, "cumbria": 35,
    "dyfed-powys": 35, "city-of-london": 8,
}
# BTP rows fall within these forces too (rail crime in Scotland; police-data.md §1).
BTP_AREA_EXTRA = {"police-scotland": 40.0}

# Area centre and half-extent (lat, lon, dlat, dlon): points stay inside the UK bounds that
# etl/police_uk.py checks (lat 49.8–60.95, lon -8.7–1.8).
FORCE_AREA: dict[str, tuple[float, float, float, float]] = {
    "avon-and-somerset": (51.30, -2.70, 0.30, 0.60), "bedfordshire": (52.05, -0.45, 0.15, 0.20),
    "cambridgeshire": (52.40, 0.00, 0.30, 0.30), "cheshire": (53.20, -2.55, 0.20, 0.40),
    "city-of-london": (51.515, -0.092, 0.006, 0.012), "cleveland": (54.57, -1.20, 0.08, 0.20),
    "cumbria": (54.50, -3.00, 0.50, 0.50), "derbyshire": (53.05, -1.60, 0.30, 0.25),
    "devon-and-cornwall": (50.50, -4.20, 0.35, 1.10), "dorset": (50.75, -2.20, 0.15, 0.45),
    "durham": (54.70, -1.70, 0.15, 0.35), "dyfed-powys": (52.10, -3.80, 0.50, 0.80),
    "essex": (51.80, 0.55, 0.25, 0.45), "gloucestershire": (51.85, -2.20, 0.25, 0.30),
    "greater-manchester": (53.48, -2.25, 0.12, 0.25), "gwent": (51.70, -3.00, 0.15, 0.20),
    "hampshire": (51.00, -1.25, 0.30, 0.50), "hertfordshire": (51.80, -0.25, 0.15, 0.30),
    "humberside": (53.75, -0.50, 0.30, 0.50), "kent": (51.20, 0.75, 0.20, 0.60),
    "lancashire": (53.85, -2.60, 0.30, 0.30), "leicestershire": (52.65, -1.10, 0.25, 0.30),
    "lincolnshire": (53.10, -0.30, 0.45, 0.40), "merseyside": (53.42, -2.95, 0.10, 0.15),
    "metropolitan": (51.50, -0.12, 0.15, 0.28), "norfolk": (52.65, 1.00, 0.25, 0.55),
    "north-wales": (53.05, -3.60, 0.30, 0.60), "north-yorkshire": (54.15, -1.30, 0.40, 0.70),
    "northamptonshire": (52.30, -0.85, 0.25, 0.35), "northumbria": (55.10, -1.70, 0.35, 0.40),
    "nottinghamshire": (53.10, -1.05, 0.25, 0.20), "northern-ireland": (54.60, -6.70, 0.40, 0.90),
    "south-wales": (51.60, -3.50, 0.12, 0.50), "south-yorkshire": (53.50, -1.30, 0.12, 0.30),
    "staffordshire": (52.85, -2.00, 0.30, 0.25), "suffolk": (52.20, 1.00, 0.20, 0.50),
    "surrey": (51.25, -0.40, 0.12, 0.35), "sussex": (50.95, -0.30, 0.15, 0.70),
    "thames-valley": (51.60, -1.00, 0.40, 0.50), "warwickshire": (52.35, -1.55, 0.25, 0.20),
    "west-mercia": (52.30, -2.50, 0.40, 0.40), "west-midlands": (52.48, -1.90, 0.10, 0.25),
    "west-yorkshire": (53.75, -1.65, 0.12, 0.30), "wiltshire": (51.35, -1.95, 0.25, 0.30),
    "police-scotland": (56.00, -3.90, 0.60, 1.00),
}

# Local authorities whose names start LSOA names (`Leeds 001A`); NI and Scotland have none.
LOCAL_AUTHORITIES: dict[str, tuple[str, ...]] = {
    "avon-and-somerset": ("Bristol", "North Somerset", "Bath and North East Somerset",
                          "South Gloucestershire", "Somerset"),
    "bedfordshire": ("Bedford", "Central Bedfordshire", "Luton"),
    "cambridgeshire": ("Cambridge", "Peterborough", "Huntingdonshire", "Fenland",
                       "East Cambridgeshire", "South Cambridgeshire"),
    "cheshire": ("Cheshire East", "Cheshire West and Chester", "Warrington", "Halton"),
    "city-of-london": ("City of London", "City of London", "Camden", "Islington",
                       "Tower Hamlets"),
    "cleveland": ("Middlesbrough", "Stockton-on-Tees", "Hartlepool", "Redcar and Cleveland"),
    "cumbria": ("Carlisle", "Allerdale", "Copeland", "Barrow-in-Furness", "South Lakeland",
                "Eden"),
    "derbyshire": ("Derby", "Amber Valley", "Chesterfield", "Erewash", "High Peak",
                   "South Derbyshire"),
    "devon-and-cornwall": ("Plymouth", "Exeter", "Cornwall", "Torbay", "Teignbridge",
                           "East Devon", "North Devon"),
    "dorset": ("Bournemouth, Christchurch and Poole", "Dorset"),
    "durham": ("County Durham", "Darlington"),
    "dyfed-powys": ("Carmarthenshire", "Ceredigion", "Pembrokeshire", "Powys"),
    "essex": ("Southend-on-Sea", "Thurrock", "Basildon", "Chelmsford", "Colchester",
              "Braintree", "Harlow"),
    "gloucestershire": ("Gloucester", "Cheltenham", "Stroud", "Tewkesbury", "Forest of Dean",
                        "Cotswold"),
    "greater-manchester": ("Manchester", "Salford", "Bolton", "Bury", "Oldham", "Rochdale",
                           "Stockport", "Tameside", "Trafford", "Wigan"),
    "gwent": ("Newport", "Caerphilly", "Torfaen", "Blaenau Gwent", "Monmouthshire"),
    "hampshire": ("Southampton", "Portsmouth", "Basingstoke and Deane", "Winchester",
                  "Isle of Wight", "Havant", "Eastleigh"),
    "hertfordshire": ("St Albans", "Watford", "Dacorum", "Stevenage", "Welwyn Hatfield",
                      "North Hertfordshire"),
    "humberside": ("Kingston upon Hull, City of", "East Riding of Yorkshire",
                   "North Lincolnshire", "North East Lincolnshire"),
    "kent": ("Medway", "Maidstone", "Canterbury", "Dartford", "Thanet", "Ashford", "Swale"),
    "lancashire": ("Blackpool", "Blackburn with Darwen", "Preston", "Lancaster", "Burnley",
                   "Chorley"),
    "leicestershire": ("Leicester", "Charnwood", "Hinckley and Bosworth", "Rutland"),
    "lincolnshire": ("Lincoln", "Boston", "East Lindsey", "North Kesteven", "South Holland"),
    "merseyside": ("Liverpool", "Wirral", "Sefton", "Knowsley", "St. Helens"),
    "metropolitan": ("Westminster", "Camden", "Islington", "Hackney", "Tower Hamlets",
                     "Southwark", "Lambeth", "Newham", "Croydon", "Barnet", "Ealing", "Brent",
                     "Enfield", "Haringey", "Lewisham", "Greenwich", "Hillingdon", "Wandsworth"),
    "norfolk": ("Norwich", "King's Lynn and West Norfolk", "Great Yarmouth", "Breckland",
                "Broadland"),
    "north-wales": ("Wrexham", "Flintshire", "Denbighshire", "Conwy", "Gwynedd",
                    "Isle of Anglesey"),
    "north-yorkshire": ("York", "Scarborough", "Harrogate", "Selby", "Hambleton"),
    "northamptonshire": ("Northampton", "Kettering", "Corby", "Wellingborough", "Daventry"),
    "northumbria": ("Newcastle upon Tyne", "Sunderland", "Gateshead", "North Tyneside",
                    "South Tyneside", "Northumberland"),
    "nottinghamshire": ("Nottingham", "Mansfield", "Ashfield", "Gedling", "Broxtowe",
                        "Bassetlaw"),
    "south-wales": ("Cardiff", "Swansea", "Rhondda Cynon Taf", "Bridgend",
                    "Vale of Glamorgan", "Neath Port Talbot", "Merthyr Tydfil"),
    "south-yorkshire": ("Sheffield", "Doncaster", "Rotherham", "Barnsley"),
    "staffordshire": ("Stoke-on-Trent", "Stafford", "Newcastle-under-Lyme", "Cannock Chase",
                      "East Staffordshire", "Tamworth"),
    "suffolk": ("Ipswich", "East Suffolk", "West Suffolk", "Babergh", "Mid Suffolk"),
    "surrey": ("Guildford", "Woking", "Elmbridge", "Reigate and Banstead", "Spelthorne",
               "Waverley"),
    "sussex": ("Brighton and Hove", "Crawley", "Eastbourne", "Hastings", "Worthing",
               "Chichester", "Horsham"),
    "thames-valley": ("Oxford", "Reading", "Milton Keynes", "Slough", "Wycombe",
                      "Aylesbury Vale", "Bracknell Forest", "West Berkshire"),
    "warwickshire": ("Warwick", "Nuneaton and Bedworth", "Rugby", "Stratford-on-Avon",
                     "North Warwickshire"),
    "west-mercia": ("Herefordshire, County of", "Shropshire", "Telford and Wrekin",
                    "Worcester", "Wyre Forest", "Wychavon"),
    "west-midlands": ("Birmingham", "Coventry", "Wolverhampton", "Dudley", "Sandwell",
                      "Walsall", "Solihull"),
    "west-yorkshire": ("Leeds", "Bradford", "Kirklees", "Calderdale", "Wakefield"),
    "wiltshire": ("Swindon", "Wiltshire"),
}
WELSH_FORCES = frozenset({"dyfed-powys", "gwent", "north-wales", "south-wales"})

# The 14 crime types (§1) with their rough national shares; ASB is about 30 % of rows.
CRIME_TYPES: dict[str, float] = {
    "Anti-social behaviour": 0.30, "Violence and sexual offences": 0.29,
    "Criminal damage and arson": 0.085, "Other theft": 0.07, "Public order": 0.06,
    "Vehicle crime": 0.06, "Burglary": 0.045, "Shoplifting": 0.05, "Drugs": 0.025,
    "Other crime": 0.012, "Theft from the person": 0.013, "Bicycle theft": 0.012,
    "Robbery": 0.012, "Possession of weapons": 0.008,
}
ASB = "Anti-social behaviour"
# Outcome texts from police-data.md §1; recent months drift towards `Under investigation`.
OUTCOMES: dict[str, float] = {
    "Investigation complete; no suspect identified": 0.36,
    "Unable to prosecute suspect": 0.30, "Under investigation": 0.06,
    "Status update unavailable": 0.04, "Awaiting court outcome": 0.03,
    "Court result unavailable": 0.02, "Local resolution": 0.035,
    "Further investigation is not in the public interest": 0.02,
    "Action to be taken by another organisation": 0.02, "Offender given a caution": 0.015,
    "Formal action is not in the public interest": 0.01,
    "Offender given a drugs possession warning": 0.01, "Offender given penalty notice": 0.005,
    "Offender fined": 0.006, "Offender sent to prison": 0.006,
    "Offender given conditional discharge": 0.003, "Offender otherwise dealt with": 0.003,
    "Defendant sent to Crown Court": 0.003, "Defendant found not guilty": 0.002,
    "Offender given suspended prison sentence": 0.003,
    "Offender given community sentence": 0.003, "Offender ordered to pay compensation": 0.002,
}
UNDER_INVESTIGATION = "Under investigation"
# Summer is busier than winter; only the shape matters.
MONTH_WEIGHTS = (0.94, 0.88, 0.97, 0.97, 1.04, 1.03, 1.09, 1.06, 1.01, 1.03, 0.99, 0.96)

STREET_WORDS = (
    "High", "Station", "Church", "Park", "Mill", "London", "Victoria", "Queen's", "King's",
    "Manor", "York", "Green", "Chapel", "New", "School", "North", "South", "Albert", "Windsor",
    "Grange", "Springfield", "Highfield", "Elm", "Oak", "Beech", "Cedar", "Willow", "Ash",
    "Orchard", "Meadow", "Westfield", "Market", "Bridge", "Castle", "Common", "Priory",
    "Clarence", "Stanley", "Nelson", "Wellington", "Cromwell", "Richmond", "Grove", "Hill",
    "Brook", "Moor", "Riverside", "Coronation", "Jubilee", "St John's", "St Mary's",
)
STREET_SUFFIXES = (
    "Street", "Road", "Lane", "Avenue", "Close", "Drive", "Way", "Crescent", "Grove", "Place",
    "Gardens", "Terrace", "Court", "Walk", "Rise", "Square", "Parade",
)
POI_TYPES = (
    "Supermarket", "Police Station", "Parking Area", "Pedestrian Subway", "Park/Open Space",
    "Nightclub", "Petrol Station", "Shopping Area", "Sports/Recreation Area",
    "Further/Higher Educational Building", "Hospital", "Theatre/Concert Hall",
    "Conference/Exhibition Centre", "Bus/Coach Station", "Airport/Airfield",
)
PLACES = ("Ickenham", "Kingsbury", "Eltham", "Headingley", "Moseley", "Didsbury", "Jesmond",
          "Clifton", "Roath", "Heaton", "Edgbaston", "Stretford")
# fmt: on
ROWS_PER_POINT = 12
POINTS_PER_LSOA = 14
NO_LOCATION_RATE = (0.05, 0.10)
REPEATED_ID_RATE = 0.003


@dataclass(frozen=True)
class Generated:
    """What was written, for the log line; `manifest.json` records the parameters."""

    rows: int
    files: int
    size_bytes: int
    seconds: float


class Uniforms:
    """Uniform [0, 1) columns from one seeded stream.

    `random.Random.randbytes` is reproducible for a seed across platforms and versions of
    numpy or polars, and fast in bulk; the bytes become a polars column through an Arrow
    buffer, without a Python loop.
    """

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def draw(self, n: int) -> pl.Series:
        buffer = pa.py_buffer(self._rng.randbytes(4 * n))
        ints = pl.from_arrow(pa.Array.from_buffers(pa.uint32(), n, [None, buffer]))
        assert isinstance(ints, pl.Series)
        return ints.cast(pl.Float64) / 2.0**32

    def hex_ids(self, n: int) -> pl.Series:
        """64-hex Crime IDs, as the API's `persistent_id` looks (a SHA-256)."""
        buffer = pa.py_buffer(self._rng.randbytes(32 * n))
        raw = pl.from_arrow(pa.FixedSizeBinaryArray.from_buffers(pa.binary(32), n, [None, buffer]))
        assert isinstance(raw, pl.Series)
        return raw.cast(pl.Binary).bin.encode("hex")


def choice_index(u: pl.Series, weights: Sequence[float]) -> pl.Series:
    """Inverse-CDF sampling: for each uniform in `u`, the index of the weight it falls in."""
    total = sum(weights)
    cumulative, running = [], 0.0
    for w in weights[:-1]:
        running += w / total
        cumulative.append(running)
    index = pl.Series(cumulative, dtype=pl.Float64).search_sorted(u, side="right")
    assert isinstance(index, pl.Series)
    return index


def choice(u: pl.Series, values: Sequence[str], weights: Sequence[float]) -> pl.Series:
    """`values` sampled with `weights`, one for each uniform in `u`."""
    return pl.Series(values, dtype=pl.String).gather(choice_index(u, weights))


def split_counts(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Largest-remainder split, so that the counts add up to `total` exactly."""
    whole = sum(weights.values())
    exact = {k: total * w / whole for k, w in weights.items()}
    counts = {k: math.floor(v) for k, v in exact.items()}
    short = total - sum(counts.values())
    for k in sorted(exact, key=lambda k: exact[k] - counts[k], reverse=True)[:short]:
        counts[k] += 1
    return counts


def force_names() -> dict[str, str]:
    """force_id → the display name that `Reported by` and `Falls within` hold."""
    frame = pl.read_csv(FORCES_CSV, infer_schema=False)
    return dict(zip(frame["force_id"], frame["force_name"], strict=True))


def street_frame(rows: int, year: int, seed: int) -> pl.DataFrame:
    """All rows of the year, with `force_id` and `month` to split them into files.

    Rows are ordered (month, force, map point) before the text columns are joined on (with
    the order kept), since sorting 6 M rows with string columns takes seconds.
    """
    draw = Uniforms(seed)
    names = force_names()
    counts = split_counts(rows, FORCE_ROWS_K)
    force_ids = list(counts)
    btp_areas = {f: w for f, w in FORCE_ROWS_K.items() if f != "btp"} | BTP_AREA_EXTRA
    btp_index = force_ids.index("btp")
    frame = pl.DataFrame(
        {"_f": range(len(force_ids)), "n": list(counts.values())},
        schema={"_f": pl.Int32, "n": pl.Int64},
    )
    frame = frame.select(pl.col("_f").repeat_by("n").explode()).filter(pl.col("_f").is_not_null())
    frame = frame.with_columns(
        pl.Series("force_id", force_ids, dtype=pl.String).gather(frame["_f"]),
        choice_index(draw.draw(rows), MONTH_WEIGHTS).alias("_m"),
        choice(draw.draw(rows), list(btp_areas), list(btp_areas.values())).alias("_btp_area"),
        draw.draw(rows).alias("_u_point"),
    ).with_columns(
        pl.when(pl.col("_f") == btp_index).then("_btp_area").otherwise("force_id").alias("area_id"),
    )
    points = point_frame(frame["area_id"].value_counts(), draw)
    pools = points.group_by("area_id").agg(pl.len().alias("_pool"), pl.min("point").alias("_first"))
    frame = (
        frame.join(pools, on="area_id", how="left", maintain_order="left")
        .with_columns(
            # Squaring skews rows towards a few busy points, as the snapping does (§2.1).
            (pl.col("_first") + (pl.col("_u_point").pow(2) * pl.col("_pool")).cast(pl.Int64)).alias(
                "point"
            ),
        )
        .select("_f", "_m", "point", "force_id", "area_id")
        # Files list rows grouped by location, like the published ones. One integer key
        # and a stable sort: a multi-column sort is ten times slower here.
        .sort(
            (pl.col("_m").cast(pl.Int64) * len(force_ids) + pl.col("_f")) * points.height
            + pl.col("point"),
            maintain_order=True,
        )
    )

    located_rate = pl.DataFrame(
        {
            "force_id": force_ids,
            "_no_location": (
                NO_LOCATION_RATE[0]
                + draw.draw(len(force_ids)) * (NO_LOCATION_RATE[1] - NO_LOCATION_RATE[0])
            ),
        }
    )
    months = pl.Series([f"{year}-{m:02d}" for m in range(1, 13)], dtype=pl.String)
    frame = (
        frame.with_columns(
            months.gather(frame["_m"]).alias("Month"),
            choice(draw.draw(rows), list(CRIME_TYPES), list(CRIME_TYPES.values())).alias(
                "Crime type"
            ),
            choice(draw.draw(rows), list(OUTCOMES), list(OUTCOMES.values())).alias("_outcome"),
            draw.draw(rows).alias("_u_located"),
            draw.draw(rows).alias("_u_drift"),
            draw.draw(rows).alias("_u_repeat"),
            draw.hex_ids(rows).alias("_id"),
        )
        .join(located_rate, on="force_id", how="left", maintain_order="left")
        .join(points.drop("area_id"), on="point", how="left", maintain_order="left")
    )

    no_location = pl.col("_u_located") < pl.col("_no_location")
    is_asb = pl.col("Crime type") == ASB
    frame = frame.with_columns(
        pl.when(is_asb).then(None).otherwise("_id").alias("Crime ID"),
        pl.col("force_id").replace_strict(names).alias("Reported by"),
        # Equal to `Reported by` except for BTP, whose rows fall within the area's force.
        pl.col("area_id").replace_strict(names).alias("Falls within"),
        pl.when(no_location).then(None).otherwise("_lon").alias("Longitude"),
        pl.when(no_location).then(None).otherwise("_lat").alias("Latitude"),
        pl.when(no_location).then(pl.lit("No Location")).otherwise("_location").alias("Location"),
        pl.when(no_location).then(None).otherwise("_lsoa_code").alias("LSOA code"),
        pl.when(no_location).then(None).otherwise("_lsoa_name").alias("LSOA name"),
        pl.when(is_asb)
        .then(None)
        .when(pl.col("_u_drift") < 0.02 + 0.5 * ((pl.col("_m") + 1) / 12).pow(4))
        .then(pl.lit(UNDER_INVESTIGATION))
        .otherwise("_outcome")
        .alias("Last outcome category"),
        pl.lit(None, dtype=pl.String).alias("Context"),
    )
    # A few Crime IDs repeat the row before them in the same file (police-data.md §2.4).
    previous = pl.col("Crime ID").shift(1)
    same_file = (pl.col("_m") == pl.col("_m").shift(1)) & (pl.col("_f") == pl.col("_f").shift(1))
    frame = frame.with_columns(
        pl.when(
            (pl.col("_u_repeat") < REPEATED_ID_RATE)
            & same_file
            & previous.is_not_null()
            & pl.col("Crime ID").is_not_null()
        )
        .then(previous)
        .otherwise("Crime ID")
        .alias("Crime ID"),
    )
    return frame.select("force_id", pl.col("Month").alias("month"), *STREET_HEADER)


def point_frame(area_rows: pl.DataFrame, draw: Uniforms) -> pl.DataFrame:
    """The anonymous map points of each area: coordinates, the `On or near …` text, LSOA."""
    area_rows = area_rows.sort("area_id").with_columns(
        (pl.col("count").cast(pl.Int64) // ROWS_PER_POINT).clip(lower_bound=20).alias("n")
    )
    ids = area_rows["area_id"].to_list()
    sizes = area_rows["n"].to_list()
    lsoa_counts = [math.ceil(n / POINTS_PER_LSOA) for n in sizes]
    first_lsoa: list[int] = []
    next_code = {"E": 1, "W": 1}
    for area, n_lsoa in zip(ids, lsoa_counts, strict=True):
        country = "W" if area in WELSH_FORCES else "E"
        first_lsoa.append(next_code[country])
        next_code[country] += n_lsoa
    areas = pl.DataFrame(
        {
            "area_id": ids,
            "n": sizes,
            "_lat0": [FORCE_AREA[a][0] for a in ids],
            "_lon0": [FORCE_AREA[a][1] for a in ids],
            "_dlat": [FORCE_AREA[a][2] for a in ids],
            "_dlon": [FORCE_AREA[a][3] for a in ids],
            "_first_lsoa": first_lsoa,
            "_prefix": ["W01" if a in WELSH_FORCES else "E01" for a in ids],
            "_las": [list(LOCAL_AUTHORITIES.get(a, ())) for a in ids],
        },
        schema_overrides={"_las": pl.List(pl.String)},
    )
    points = areas.select(
        pl.col("area_id").repeat_by("n").explode(),
        pl.int_ranges(0, pl.col("n")).explode().alias("_local"),
    )
    total = points.height
    poi = choice(draw.draw(total), list(POI_TYPES), [1.0] * len(POI_TYPES))
    street = (
        choice(draw.draw(total), list(STREET_WORDS), [1.0] * len(STREET_WORDS))
        + " "
        + choice(draw.draw(total), list(STREET_SUFFIXES), [1.0] * len(STREET_SUFFIXES))
    )
    place = choice(draw.draw(total), list(PLACES), [1.0] * len(PLACES))
    kind = draw.draw(total)
    # Triangular offsets: denser in the middle of the area, never outside it.
    dlat = draw.draw(total) + draw.draw(total) - 1.0
    dlon = draw.draw(total) + draw.draw(total) - 1.0
    points = points.with_columns(
        pl.int_range(0, total).alias("point"),
        pl.when(kind < 0.18)
        .then(poi)
        .when(kind < 0.195)
        .then(street + ", " + place)
        .when(kind < 0.20)
        .then(street.str.to_uppercase())
        .otherwise(street)
        .alias("_place"),
        dlat.alias("_dlat_u"),
        dlon.alias("_dlon_u"),
    ).join(areas.drop("n"), on="area_id", how="left", maintain_order="left")
    lsoa = pl.col("_local") // POINTS_PER_LSOA
    n_la = pl.col("_las").list.len()
    la_index = lsoa % n_la.clip(lower_bound=1)
    within_la = lsoa // n_la.clip(lower_bound=1)
    has_lsoa = n_la > 0
    return points.select(
        "point",
        "area_id",
        (pl.col("_lat0") + pl.col("_dlat_u") * pl.col("_dlat")).round(6).alias("_lat"),
        (pl.col("_lon0") + pl.col("_dlon_u") * pl.col("_dlon")).round(6).alias("_lon"),
        ("On or near " + pl.col("_place")).alias("_location"),
        pl.when(has_lsoa)
        .then(pl.col("_prefix") + (pl.col("_first_lsoa") + lsoa).cast(pl.String).str.zfill(6))
        .alias("_lsoa_code"),
        pl.when(has_lsoa)
        .then(
            pl.col("_las").list.get(la_index, null_on_oob=True)
            + " "
            + (within_la // 4 + 1).cast(pl.String).str.zfill(3)
            + pl.lit("ABCD").str.slice(within_la % 4, 1)
        )
        .alias("_lsoa_name"),
    )


def generate(
    out: Path,
    *,
    rows: int = DEFAULT_ROWS,
    year: int = DEFAULT_YEAR,
    seed: int = DEFAULT_SEED,
    overwrite: bool = False,
) -> Generated:
    """Write the year under `out` and a `manifest.json` (not a CSV, so ingest skips it)."""
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise FileExistsError(f"{out} is not empty (use --overwrite to replace it)")
        shutil.rmtree(out)
    start = time.perf_counter()
    frame = street_frame(rows, year, seed)
    files, size = 0, 0
    for (month, force_id), part in frame.partition_by("month", "force_id", as_dict=True).items():
        path = out / str(month) / f"{month}-{force_id}-street.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        part.select(STREET_HEADER).write_csv(path, float_precision=6, null_value="")
        files += 1
        size += path.stat().st_size
    result = Generated(
        rows=frame.height, files=files, size_bytes=size, seconds=time.perf_counter() - start
    )
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "rows": rows,
        "year": year,
        "seed": seed,
        "files": files,
        "bytes": size,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return result


def read_manifest(out: Path) -> dict[str, int] | None:
    """The parameters a folder was generated with, or None when there is no complete set."""
    path = out / "manifest.json"
    if not path.exists():
        return None
    manifest: dict[str, int] = json.loads(path.read_text())
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--year", type=int, default=DEFAULT_YEAR)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args()
    result = generate(
        args.out, rows=args.rows, year=args.year, seed=args.seed, overwrite=args.overwrite
    )
    print(
        f"{result.rows:,} rows in {result.files} files, {result.size_bytes / 1e6:,.0f} MB, "
        f"in {result.seconds:.1f} s → {args.out}"
    )


if __name__ == "__main__":
    main()
