"""The few random draws the standard library lacks, on a seeded `random.Random`.

numpy would give these, but the generator needs fewer than a million draws even at scale
20, so the stdlib keeps the dependency list short and every stream reproducible from a
string seed (`random.Random` hashes str seeds with SHA-512, independent of PYTHONHASHSEED).
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Mapping, Sequence
from typing import TypeVar

T = TypeVar("T")
_POISSON_CHUNK = 500.0


def stream(seed: int, name: str) -> random.Random:
    """An independent stream per component, so changing one part leaves the others' draws."""
    return random.Random(f"plait-synth:{seed}:{name}")


def poisson(rng: random.Random, lam: float) -> int:
    """Exact Poisson draw (Knuth), chunked so exp(-lam) never underflows at large means."""
    total = 0
    while lam > 0:
        part = min(lam, _POISSON_CHUNK)
        lam -= part
        limit = math.exp(-part)
        product = rng.random()
        while product > limit:
            total += 1
            product *= rng.random()
    return total


def cumulative(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def pick(rng: random.Random, items: Sequence[T], cum: Sequence[float]) -> T:
    """Weighted choice from precomputed cumulative weights (O(log n), for hot loops)."""
    x = rng.random() * cum[-1]
    return items[min(bisect.bisect_right(cum, x), len(items) - 1)]


def weighted(rng: random.Random, table: Mapping[T, float]) -> T:
    """Weighted choice from a small {value: weight} table, in the table's own order."""
    x = rng.random() * sum(table.values())
    for key, weight in table.items():
        x -= weight
        if x < 0:
            return key
    return key
