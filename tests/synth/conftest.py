"""Generated data sets shared by the generator's tests, and a reader that sees cells as text.

Two sets are generated once per session: a small one (scale 0.2) for structure, truth and
dirt, and one at scale 1 for the calibration the brief fixes (yearly totals, offence mix).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import polars as pl
import pytest

from etl.mapping import ForceMapping, all_mappings
from etl.synth import SynthSummary, generate

Rows = list[dict[str, str | None]]


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> SynthSummary:
    return generate(tmp_path_factory.mktemp("synth-small"), seed=5, scale=0.2)


@pytest.fixture(scope="session")
def full(tmp_path_factory: pytest.TempPathFactory) -> SynthSummary:
    return generate(tmp_path_factory.mktemp("synth-full"), seed=7, scale=1.0)


def extract_path(out: Path, mapping: ForceMapping) -> Path:
    matches = sorted(out.glob(f"{mapping.force_id}_*.{mapping.format}"))
    assert len(matches) == 1, (mapping.force_id, matches)
    return matches[0]


def read_extract(path: Path, mapping: ForceMapping) -> tuple[list[str], Rows]:
    """Header and rows as text, in file order (blank cells are None)."""
    if mapping.format == "csv":
        with path.open(encoding=mapping.encoding, newline="") as fh:
            reader = csv.reader(fh, delimiter=mapping.delimiter)
            header = next(reader)
            return header, [{c: v or None for c, v in zip(header, r, strict=True)}
                            for r in reader]
    if mapping.format == "xlsx":
        frame = pl.read_excel(path, sheet_name=mapping.sheet, engine="calamine",
                              infer_schema_length=0)
        return frame.columns, frame.to_dicts()
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return list(rows[0]), rows


def truth(out: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(out / "truth" / name, infer_schema=False).fill_null("")


def mappings() -> tuple[ForceMapping, ...]:
    return all_mappings()
