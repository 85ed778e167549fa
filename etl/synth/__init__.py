"""Synthetic force extracts with planted truth (`plait synth`).

`generate` writes one extract per force mapping, in that force's own layout, and a
`truth/` folder saying what was planted: series, campaigns, exceedances, transfers, dirty
rows and every raw sensitive value. Nothing in it is real: victims, suspects, identifiers
and places are invented (see `etl.synth.names`).
"""

from etl.synth.generator import SynthSummary, generate

__all__ = ["SynthSummary", "generate"]
