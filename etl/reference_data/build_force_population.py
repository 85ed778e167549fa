"""Build force_population.csv: resident population per police force area, mid-2020.

Source (the only input besides lad_to_pfa.csv and police_forces.csv): the ONS mid-2020
population estimates table for the UK by local authority (layout of ONS table MYE2, columns
``Code,Name,Geography,All ages,0..90+``), as stored in
joetsui1994/Omicron-BA.1-invasion-dynamics @ 0ef8aa4941bb4f8510c47b18eb6de011101f7fc5 :
data/epidemiological/ONS_mid2020_LTLA_population_age-breakdown.csv
(copied there from https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/
populationestimates/datasets/populationestimatesforukenglandandwalesscotlandandnorthernireland ;
OGL v3). Its LADs are on April-2020 boundaries (Buckinghamshire UA, the Northamptonshire,
Cumbria, North Yorkshire and Somerset districts), all of which lad_to_pfa.csv maps.

England and Wales forces: sum of "All ages" over the LADs of each force. Northern Ireland and
Police Scotland: the country rows N92000002 (NISRA) and S92000003 (NRS) of the same table.
BTP has no territory and is left out.

Usage: python build_force_population.py UPSTREAM_CSV [OUT_CSV]
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
YEAR = 2020
LAD_GEOGRAPHIES = {
    "Unitary Authority",
    "Non-metropolitan District",
    "Metropolitan District",
    "London Borough",
}
EW_CODE = "K04000001"
NATIONS = {"northern-ireland": "N92000002", "police-scotland": "S92000003"}
SRC = "joetsui1994/Omicron-BA.1-invasion-dynamics@0ef8aa4"
SOURCES = {
    "ew": f"ONS MYE mid-2020 by LAD (Apr-2020 codes) summed via lad_to_pfa.csv; {SRC}",
    "northern-ireland": f"NISRA mid-2020 (N92000002 row of ONS UK MYE mid-2020); {SRC}",
    "police-scotland": f"NRS mid-2020 (S92000003 row of ONS UK MYE mid-2020); {SRC}",
}


def read_upstream(path: Path) -> list[tuple[str, str, int]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header[:4] != ["Code", "Name", "Geography", "All ages"]:
            raise SystemExit(f"unexpected header: {header[:4]}")
        return [(r[0], r[2], int(r[3].replace(",", ""))) for r in reader if r and r[0]]


def build(upstream: Path) -> list[dict[str, str]]:
    rows = read_upstream(upstream)
    by_code = {code: value for code, _, value in rows}
    lookup: dict[str, set[str]] = {}
    with (HERE / "lad_to_pfa.csv").open(newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            lookup.setdefault(r["lad_code"], set()).add(r["force_id"])

    totals: Counter[str] = Counter()
    for code, geography, value in rows:
        if geography not in LAD_GEOGRAPHIES or code[0] not in "EW":
            continue
        forces = lookup.get(code, set())
        if len(forces) != 1:
            raise SystemExit(f"{code}: maps to {sorted(forces) or 'no force'}")
        totals[forces.pop()] += value
    if sum(totals.values()) != by_code[EW_CODE]:
        raise SystemExit(f"LAD sum {sum(totals.values())} != E&W total {by_code[EW_CODE]}")

    out = []
    with (HERE / "police_forces.csv").open(newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            force = r["force_id"]
            if force in NATIONS:
                value, source = by_code[NATIONS[force]], SOURCES[force]
            elif force in totals:
                value, source = totals[force], SOURCES["ew"]
            else:
                continue  # btp: no resident population
            out.append(
                {"force_id": force, "population": str(value), "year": str(YEAR), "source": source}
            )
    if len(out) != 45:
        raise SystemExit(f"expected 45 forces, got {len(out)}")
    return out


def main(argv: list[str]) -> None:
    if len(argv) not in (2, 3):
        raise SystemExit(__doc__)
    out_path = Path(argv[2]) if len(argv) == 3 else HERE / "force_population.csv"
    rows = build(Path(argv[1]))
    with out_path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["force_id", "population", "year", "source"])
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main(sys.argv)
