"""Synthetic force extracts with planted truth (`plait synth`).

`generate` writes one extract per force mapping, in that force's own layout, and a
`truth/` folder saying what was planted: series, campaigns, exceedances, transfers, dirty
rows and every raw sensitive value. Nothing in it is real: victims, suspects, identifiers
and places are invented (see `etl.synth.names`).

Two styles plant incidents by different rules: `a` (the default, `etl.synth.generator`)
and `b` (`etl.synth.style_b`, designed apart from `a` to break its conventions), so that
models designed on one can be measured on the other.
"""

from __future__ import annotations

from pathlib import Path

from etl.synth.generator import SynthSummary
from etl.synth.generator import generate as _generate_a

STYLES = ("a", "b")


def generate(out: Path, seed: int = 7, start: str = "2016-01", end: str = "2026-09",
             scale: float = 1.0, style: str = "a") -> SynthSummary:
    """Write every force's extract and `OUT/truth/` in the chosen style (see the styles'
    modules); raises ValueError for an unknown style, a bad span or scale."""
    if style == "a":
        return _generate_a(out, seed=seed, start=start, end=end, scale=scale)
    if style == "b":
        from etl.synth.style_b import generate as generate_b

        return generate_b(out, seed=seed, start=start, end=end, scale=scale)
    raise ValueError(f"style must be one of {', '.join(STYLES)}, not {style!r}")


__all__ = ["STYLES", "SynthSummary", "generate"]
