"""Property tests for disclosure control on random releases (Hypothesis).

The acceptance property, that no suppressed cell can be worked out to within +-2 from the
rest of the release, is checked by an attacker written here, independently of
`analytics.disclosure`: one dense LP over the whole release (not per component), with the
attacker model of DESIGN.md and stack.md 6 and the true values to tell primary from
secondary suppressions.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from itertools import pairwise

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from analytics.disclosure import Relation, disclose_count, disclose_frame, protect

pytestmark = pytest.mark.unit

C = "[c]"
Release = tuple[dict[Hashable, int], list[Relation]]
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

counts = st.one_of(st.integers(0, 9), st.integers(0, 40))


def _one_way(values: dict[Hashable, int], relations: list[Relation], name: str,
             parts: list[int]) -> Hashable:
    keys = [(name, i) for i in range(len(parts))]
    values.update(zip(keys, parts, strict=True))
    values[(name, "total")] = sum(parts)
    relations.append(Relation((name, "total"), tuple(keys)))
    return (name, "total")


def _two_way(values: dict[Hashable, int], relations: list[Relation], name: str,
             grid: list[list[int]]) -> Hashable:
    rows, cols = len(grid), len(grid[0])
    for i in range(rows):
        for j in range(cols):
            values[(name, i, j)] = grid[i][j]
    for i in range(rows):
        values[(name, "row", i)] = sum(grid[i])
        relations.append(Relation((name, "row", i), tuple((name, i, j) for j in range(cols))))
    for j in range(cols):
        values[(name, "col", j)] = sum(grid[i][j] for i in range(rows))
        relations.append(Relation((name, "col", j), tuple((name, i, j) for i in range(rows))))
    grand = (name, "grand")
    values[grand] = sum(map(sum, grid))
    relations.append(Relation(grand, tuple((name, "row", i) for i in range(rows))))
    relations.append(Relation(grand, tuple((name, "col", j) for j in range(cols))))
    return grand


@st.composite
def _split(draw: st.DrawFn, total: int) -> list[int]:
    """A random composition of `total` into 2..4 non-negative parts."""
    k = draw(st.integers(2, 4))
    cuts = sorted(draw(st.lists(st.integers(0, total), min_size=k - 1, max_size=k - 1)))
    edges = [0, *cuts, total]
    return [b - a for a, b in pairwise(edges)]


@st.composite
def releases(draw: st.DrawFn) -> Release:
    """One or two tables: 1-D with a total, or 2-D with row, column and grand totals;
    sometimes a second table splitting the first one's total another way (a shared total),
    sometimes one cell broken down further (a cell that is both part and total)."""
    values: dict[Hashable, int] = {}
    relations: list[Relation] = []
    if draw(st.booleans()):
        total = _one_way(values, relations, "t1", draw(st.lists(counts, min_size=1, max_size=5)))
    else:
        rows, cols = draw(st.integers(1, 3)), draw(st.integers(2, 4))
        grid = draw(st.lists(st.lists(counts, min_size=cols, max_size=cols), min_size=rows,
                             max_size=rows))
        total = _two_way(values, relations, "t1", grid)
    if draw(st.booleans()):
        parts = draw(_split(values[total]))
        keys = tuple(("t2", i) for i in range(len(parts)))
        values.update(zip(keys, parts, strict=True))
        relations.append(Relation(total, keys))
    if draw(st.booleans()):
        cell = draw(st.sampled_from([k for k in values if k != total]))
        parts = draw(_split(values[cell]))
        keys = tuple(("sub", i) for i in range(len(parts)))
        values.update(zip(keys, parts, strict=True))
        relations.append(Relation(cell, keys))
    return values, relations


def _attacker(
    truth: dict[Hashable, int], shown: dict[Hashable, int | str], relations: list[Relation],
    widest: bool = False, targets: set[Hashable] | None = None,
) -> dict[Hashable, tuple[int, float]]:
    """Whole-number interval an attacker derives for each primary-suppressed cell.

    Published x > 0: true in [max(x-2, 8), x+2]; published 0: exactly 0; [c] over a true
    1..7: [1, 7]; [c] over a true 8+: [8, inf). With `widest`, every cell with a true 8+ is
    taken as suppressed: the interval no suppression pattern can widen. `targets` limits
    the cells solved for (all primary cells by default).
    """
    keys = list(truth)
    col = {k: i for i, k in enumerate(keys)}
    a_eq = np.zeros((len(relations), len(keys)))
    for r, rel in enumerate(relations):
        a_eq[r, col[rel.total]] += 1.0
        for p in rel.parts:
            a_eq[r, col[p]] -= 1.0
    bounds: list[tuple[float, float | None]] = []
    for k in keys:
        t, x = truth[k], shown[k]
        if x == C or (widest and t >= 8):
            bounds.append((1.0, 7.0) if 1 <= t <= 7 else (8.0, None))
        elif x == 0:
            bounds.append((0.0, 0.0))
        else:
            assert isinstance(x, int)
            bounds.append((max(x - 2, 8), x + 2))
    out: dict[Hashable, tuple[int, float]] = {}
    for k in keys:
        if not 1 <= truth[k] <= 7 or (targets is not None and k not in targets):
            continue
        ends = []
        for sign in (1.0, -1.0):
            cost = np.zeros(len(keys))
            cost[col[k]] = sign
            res = linprog(cost, A_eq=a_eq, b_eq=np.zeros(len(relations)), bounds=bounds,
                          method="highs")
            assert res.status in (0, 3), res.message
            ends.append(-math.inf if res.status == 3 else sign * res.fun)
        low, high = ends
        out[k] = (math.ceil(low - 1e-6), math.floor(high + 1e-6))
    return out


@SETTINGS
@given(releases())
def test_published_values_follow_the_rules(release: Release) -> None:
    values, relations = release
    out = protect(values, relations)
    assert list(out) == list(values)
    for key, true in values.items():
        shown = out[key]
        if 1 <= true <= 7:
            assert shown == C, key  # monotone: a small count is always suppressed
        elif true == 0:
            assert shown == 0, key  # a true zero is never hidden
        elif shown != C:
            assert isinstance(shown, int) and not isinstance(shown, bool)
            assert shown % 5 == 0 and shown >= 10 and abs(shown - true) <= 2, key


@SETTINGS
@given(releases())
def test_protect_is_idempotent(release: Release) -> None:
    values, relations = release
    once = protect(values, relations)
    assert protect(once, relations) == once


@SETTINGS
@given(releases())
def test_no_suppressed_cell_is_recoverable(release: Release) -> None:
    """Acceptance: every primary [c] keeps an attacker interval wider than 4 (so no +-2),
    unless it is already the widest any suppression could give (the table pins it by
    itself, e.g. a total <= 7 over three non-zero parts)."""
    values, relations = release
    out = protect(values, relations)
    intervals = _attacker(values, out, relations)
    widest = _attacker(values, out, relations, widest=True)
    for key, (low, high) in intervals.items():
        assert high - low > 4 or (low, high) == widest[key], (key, (low, high), widest[key])


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**7))
def test_disclose_count_properties(n: int) -> None:
    shown = disclose_count(n)
    assert disclose_count(shown) == shown
    if 1 <= n <= 7:
        assert shown == C
    else:
        assert isinstance(shown, int) and shown % 5 == 0 and abs(shown - n) <= 2
        assert not 1 <= shown <= 7


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 2**31), min_size=1, max_size=30))
def test_disclose_frame_is_disclose_count_cell_wise(counts: list[int]) -> None:
    frame = pl.DataFrame({"n": counts}, schema={"n": pl.Int64})
    out = disclose_frame(frame, ["n"])
    assert out["n"].to_list() == [str(disclose_count(n)) for n in counts]
    assert disclose_frame(out, ["n"]).equals(out)
