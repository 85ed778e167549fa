"""EARS C1, C2 and C3 (Hutwagner et al., CDC), as R's `surveillance::earsC` computes them.

They need only `baseline` (default 7) past periods, so they serve series too short for the
Farrington reference windows. C1 compares each period with the mean and standard deviation
of the 7 before it; C2 leaves a 2-period guard band; C3 adds the excess of the two previous
C2 statistics. Two properties of the package are kept on purpose, so results agree with it:
C3's bound is y_t + sd·(z − excesses), so whether C3 alarms does not depend on y_t (Fricker
et al. 2008 sum the excess over t, t−1, t−2 instead); and the package returns no expected
value: `expected` here is the baseline mean the bound is built on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from analytics.distributions import norm_ppf

FloatArray = npt.NDArray[np.float64]
EarsMethod = Literal["C1", "C2", "C3"]
DEFAULT_ALPHA: dict[str, float] = {"C1": 0.001, "C2": 0.001, "C3": 0.025}
FIRST_LAG: dict[str, int] = {"C1": 1, "C2": 3, "C3": 3}


@dataclass
class EarsResult:
    expected: FloatArray
    upperbound: FloatArray
    alarm: npt.NDArray[np.bool_]


def min_history(method: EarsMethod, baseline: int = 7) -> int:
    """Periods needed before the first evaluated one (the package's default range start)."""
    return {"C1": baseline, "C2": baseline + 2, "C3": baseline + 4}[method]


def _baseline_stats(y: FloatArray, t: npt.NDArray[np.int64], first_lag: int,
                    baseline: int) -> tuple[FloatArray, FloatArray]:
    lags = np.arange(first_lag, first_lag + baseline)
    ref = y[..., t[:, None] - lags[None, :]]
    return ref.mean(axis=-1), ref.std(axis=-1, ddof=1)


def ears_c(
    observed: npt.ArrayLike,
    evaluate: list[int],
    method: EarsMethod = "C1",
    baseline: int = 7,
    alpha: float | None = None,
    min_sigma: float = 0.0,
) -> EarsResult:
    """Bounds and alarms at the 0-based periods `evaluate` of one (n,) or many (S, n) series."""
    if baseline < 3:
        raise ValueError("Minimum baseline to use is 3.")
    if min_sigma < 0:
        raise ValueError("The minimum sigma parameter (min_sigma) needs to be positive")
    y = np.atleast_2d(np.asarray(observed, dtype=float))
    t = np.asarray(sorted(evaluate), dtype=np.int64)
    if t.size and t[0] < min_history(method, baseline):
        raise ValueError(
            f"The vector of observed is too short! EARS {method} with baseline {baseline} "
            f"needs {min_history(method, baseline)} periods before the first evaluated one")
    z = norm_ppf(1 - (DEFAULT_ALPHA[method] if alpha is None else alpha))
    mean, sd = _baseline_stats(y, t, FIRST_LAG[method], baseline)
    sigma = np.maximum(sd, min_sigma)
    observed_t = y[:, t]
    if method == "C3":
        excess = np.zeros_like(observed_t)
        for lag in (1, 2):
            mean_l, sd_l = _baseline_stats(y, t - lag, 3, baseline)
            with np.errstate(divide="ignore", invalid="ignore"):
                c2 = (y[:, t - lag] - mean_l) / np.maximum(sd_l, min_sigma)
            excess += np.maximum(0.0, c2 - 1)
        with np.errstate(invalid="ignore"):
            upper = np.maximum(0.0, observed_t + sigma * (z - excess))
    else:
        upper = mean + z * sigma
    with np.errstate(invalid="ignore"):
        alarm = observed_t > upper
    return EarsResult(expected=mean.T, upperbound=upper.T, alarm=alarm.T)
