"""Style b's national volumes: monthly targets read straight off the public figures.

Anchors (police-data.md §5), crimes a year at scale 1: PLaIT's first year (Aug 2016 to Jul
2017) had 102 complaints, so 2016 is light and back-loaded; 2017 to 2018 rose by 126 %;
December 2018 had 34 and January 2019 128 (the meaningful votes); 2020 had 284 and 2023
528; Q1 2024 alone 382, then the election; recent years about 600. A month's target is its
year's remainder spread over the months without a fixed figure, with a campaign lift and a
mild seasonal dip in August, and a Poisson draw around it. Mass events are not part of the
targets: they are hundreds of reports in one day on top (the truth says which).
"""

from __future__ import annotations

import datetime as dt
import random

from etl.periods import add_months, days_in_month
from etl.synth.dates import months_between
from etl.synth.sampling import poisson

YEARLY: dict[int, float] = {
    2016: 95.0, 2017: 120.0, 2018: 265.0, 2019: 430.0, 2020: 284.0, 2021: 350.0,
    2022: 430.0, 2023: 528.0, 2024: 1010.0, 2025: 620.0, 2026: 600.0,
}
# Months with a published or well-reported figure of their own.
FIXED: dict[str, float] = {
    "2018-12": 34.0, "2019-01": 128.0, "2024-01": 118.0, "2024-02": 136.0, "2024-03": 128.0,
}
# Relative weight of the other months: PLaIT began in August 2016; campaigns and the
# Brexit deadlines lift a month, August's recess lowers it.
LIFT: dict[str, float] = {
    "2016-01": 0.3, "2016-02": 0.3, "2016-03": 0.3, "2016-04": 0.3, "2016-05": 0.4,
    "2016-06": 1.3, "2016-07": 1.2, "2017-05": 1.8, "2017-06": 1.6, "2019-02": 1.5,
    "2019-03": 1.8, "2019-04": 1.3, "2019-09": 1.4, "2019-10": 1.5, "2019-11": 1.7,
    "2019-12": 1.6, "2021-10": 1.5, "2023-10": 1.4, "2023-11": 1.6, "2023-12": 1.3,
    "2024-05": 1.5, "2024-06": 1.9, "2024-07": 1.3,
}
AUGUST_DIP = 0.8


def expected(first: dt.date, last: dt.date, scale: float) -> dict[str, float]:
    """The mean national count of every month from `first` to `last` (partial months pro rata)."""
    out: dict[str, float] = {}
    for year, total in YEARLY.items():
        months = [f"{year}-{m:02d}" for m in range(1, 13)]
        fixed = sum(FIXED.get(m, 0.0) for m in months)
        free = [m for m in months if m not in FIXED]
        weights = {m: LIFT.get(m, 1.0) * (AUGUST_DIP if m.endswith("-08") else 1.0)
                   for m in free}
        spread = max(total - fixed, 0.0) / sum(weights.values())
        for m in months:
            out[m] = FIXED.get(m, weights.get(m, 0.0) * spread)
    wanted: dict[str, float] = {}
    for label in months_between(first, last):
        year, month = int(label[:4]), int(label[5:])
        start = max(first, dt.date(year, month, 1))
        end = min(last, add_months(dt.date(year, month, 1), 1) - dt.timedelta(days=1))
        share = ((end - start).days + 1) / days_in_month(year, month)
        wanted[label] = out.get(label, YEARLY[max(YEARLY)] / 12) * share * scale
    return wanted


def targets(first: dt.date, last: dt.date, scale: float,
            rng: random.Random) -> dict[str, int]:
    """A Poisson count around every month's mean: the national total planted and background
    incidents fill together."""
    return {m: poisson(rng, lam) for m, lam in expected(first, last, scale).items()}
