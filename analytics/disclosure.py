"""Statistical disclosure control: the one place where published numbers are made safe.

Every count plait publishes (the quarterly release JSON, the PDF, the dashboard downloads)
passes through this module, and nothing else rounds or suppresses (DESIGN.md, "Sensitive
fields"; notes/stack.md section 6). The rules follow the OpenSAFELY SDC guidance
(docs/releasing/sdc.md) and ehrQL's `disclosure_control.py`, with the GSS symbol `[c]`:

- a count of 1..7 is suppressed: published as `"[c]"`. OpenSAFELY raised the threshold from
  5 to 7 because "<=5 suppressed, then rounded to 5" let a published 5 be read as 6 or 7;
- every other count, totals included, is rounded to the nearest multiple of 5 (halves up,
  which never arises for whole counts), so 8 -> 10, 12 -> 10, 13 -> 15 and a published 0 is
  a true zero;
- a rate is computed from the published numerator and denominator, never from exact counts
  (a rate from exact counts beside a rounded denominator gives the exact count away), and is
  suppressed with either of them;
- secondary suppression (ONS SDC policy for tables; Hundepool et al., "Statistical
  Disclosure Control", Wiley 2012, ch. 4 "Magnitude tabular data": audit by linear
  programming, as tau-ARGUS does): where totals and other published cells would let a
  suppressed cell be worked out, more cells are suppressed. Tables of one release share
  cells and totals, so `protect` works on keyed cells and additive `Relation`s across the
  whole release rather than on one frame.

Attacker model of `protect` (the strongest reasonable one: knows the rules and which
suppressed cells are primary):
- a published integer x > 0 means the true value is in [x-2, x+2] and not in 1..7, so in
  [max(x-2, 8), x+2]; a published 0 is exactly 0;
- a primary-suppressed cell ("[c]" for a true 1..7) is in [1, 7];
- a secondary-suppressed cell is in [8, inf) (only published non-zero cells are ever chosen);
- a "[c]" that arrived already published is in [1, inf) (primary or secondary, unknown);
- every relation holds exactly on the true values, and true values are whole numbers.
The attacker's interval for a cell is its minimum and maximum over that polyhedron (LP by
HiGHS through `highspy`, then ceil/floor to whole numbers). A primary cell
counts as recovered when hi - lo <= 4, that is pinned to within +-2, as well as a published
count would pin it.

One case no suppression can mend: a relation whose cells are nearly all primary already pins
a part by itself (a total of at most 7 split into three non-zero parts puts each part in
[1, 5]). Suppressing more cells can at best give the attacker the interval that the zeros
and the primary cells alone imply (every non-zero published cell widened to [8, inf)), so a
primary cell also counts as safe when its interval is that widest one; nothing published
narrows it further. Such tables want categories combined before publication (stack.md 6.4).
"""

from __future__ import annotations

import math
import os
import sys
from collections import deque
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from numbers import Integral
from typing import Final, TypeVar

import highspy
import numpy as np
import polars as pl
from scipy import sparse

SUPPRESSION_THRESHOLD: Final = 7
"""Counts 1..SUPPRESSION_THRESHOLD are suppressed (OpenSAFELY SDC guidance, ehrQL)."""

ROUNDING_MULTIPLE: Final = 5
"""Every other count is rounded to the nearest multiple of this."""

SUPPRESSED: Final = "[c]"
"""GSS table symbol for a confidential (suppressed) value."""

RECOVERY_WIDTH: Final = 4
"""An attacker interval with hi - lo at most this pins a cell to within +-2."""

Published = int | str
"""A published count: an int multiple of ROUNDING_MULTIPLE outside 1..7, or SUPPRESSED."""

K = TypeVar("K", bound=Hashable)

_HALF: Final = ROUNDING_MULTIPLE // 2
_LP_TOLERANCE: Final = 1e-6
_EXPLORE_ROUNDS: Final = 16
_TIGHTEN_VISITS: Final = 20
_INFEASIBLE: Final = (
    "protect: the relations cannot all hold on these values (the linear program is "
    "infeasible); check that each total is the sum of its parts"
)


def _as_count(n: object, where: str = "count") -> int:
    """A true count as a Python int, or ValueError saying what was wrong with it."""
    if isinstance(n, bool) or not isinstance(n, Integral):
        raise ValueError(f"{where}: expected a whole-number count, got {type(n).__name__} {n!r}")
    value = int(n)
    if value < 0:
        raise ValueError(f"{where}: expected a count >= 0, got {value}")
    return value


def round_count(n: int) -> int:
    """`n` rounded to the nearest multiple of ROUNDING_MULTIPLE, halves up (ehrQL
    `apply_sdc`'s rounding). It does not suppress: publish through `disclose_count`."""
    value = _as_count(n)
    return (2 * value + ROUNDING_MULTIPLE) // (2 * ROUNDING_MULTIPLE) * ROUNDING_MULTIPLE


def is_published(value: object) -> bool:
    """Whether `value` is already in published form: SUPPRESSED, or a non-negative int
    multiple of ROUNDING_MULTIPLE outside 1..SUPPRESSION_THRESHOLD (a release gate can check
    every count column with this)."""
    if isinstance(value, str):
        return value == SUPPRESSED
    if isinstance(value, bool) or not isinstance(value, Integral):
        return False
    n = int(value)
    return n >= 0 and n % ROUNDING_MULTIPLE == 0 and not 1 <= n <= SUPPRESSION_THRESHOLD


def disclose_count(n: int | str) -> Published:
    """One count as it may be published: SUPPRESSED for 1..7, otherwise `round_count(n)`.

    Idempotent: an already published value (SUPPRESSED, or a rounded count) comes back
    unchanged. No secondary suppression: a count that sits beside its total or its other
    parts in the same release goes through `protect` instead.
    """
    if isinstance(n, str):
        if n == SUPPRESSED:
            return SUPPRESSED
        raise ValueError(f"count: expected a whole number or {SUPPRESSED!r}, got string {n!r}")
    value = _as_count(n)
    if 1 <= value <= SUPPRESSION_THRESHOLD:
        return SUPPRESSED
    return round_count(value)


def _as_published(value: object, where: str) -> Published:
    if not is_published(value):
        raise ValueError(
            f"{where}: expected a published value ({SUPPRESSED!r} or a multiple of "
            f"{ROUNDING_MULTIPLE} outside 1..{SUPPRESSION_THRESHOLD}), got {value!r}; "
            "pass the count through disclose_count or protect first"
        )
    return value if isinstance(value, str) else _as_count(value, where)


def disclose_rate(
    numerator: Published, denominator: Published, per: float = 100.0, digits: int = 1
) -> float | str | None:
    """A rate (`per` 100 for a percentage) from PUBLISHED counts, rounded to `digits`.

    Both counts must already be published (an exact count raises ValueError): a rate from
    exact counts beside a rounded denominator would give the exact numerator away
    (OpenSAFELY SDC guidance, "rates"; stack.md 6.3). The rate is SUPPRESSED when the
    numerator or the denominator is, and None (undefined, not zero) when the published
    denominator is 0: a true zero denominator has no rate, and a [c] is checked first so a
    None never stands in for a suppressed value.
    """
    num = _as_published(numerator, "rate numerator")
    den = _as_published(denominator, "rate denominator")
    if isinstance(per, bool) or not isinstance(per, int | float) or not math.isfinite(per):
        raise ValueError(f"rate per: expected a finite number, got {per!r}")
    if per <= 0:
        raise ValueError(f"rate per: expected a number > 0, got {per!r}")
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 0:
        raise ValueError(f"rate digits: expected an int >= 0, got {digits!r}")
    if isinstance(num, str) or isinstance(den, str):
        return SUPPRESSED
    if den == 0:
        return None
    return round(num / den * per, digits)


@dataclass(frozen=True)
class Relation:
    """An additive relation that holds on the true values: `total` == sum of `parts`.

    A row total over its cells, a national count over regions, a year over its quarters.
    Keys are those of the values given to `protect`.
    """

    total: Hashable
    parts: tuple[Hashable, ...]

    def __post_init__(self) -> None:
        if isinstance(self.parts, str | bytes):
            raise ValueError(f"relation {self.total!r}: parts must be a sequence of keys")
        parts = tuple(self.parts)
        if not parts:
            raise ValueError(f"relation {self.total!r}: no parts")
        if len(set(parts)) != len(parts):
            raise ValueError(f"relation {self.total!r}: a part is listed twice in {parts!r}")
        if self.total in parts:
            raise ValueError(f"relation {self.total!r}: the total is also one of its parts")
        object.__setattr__(self, "parts", parts)


class _Kind(Enum):
    """What the attacker knows about a cell (see the module docstring)."""

    ZERO = "zero"
    ROUNDED = "rounded"
    PRIMARY = "primary"
    SECONDARY = "secondary"
    INCOMING = "incoming"


def _bounds(kind: _Kind, value: Published, *, widest: bool) -> tuple[float, float]:
    """The attacker's bounds on one true value; `widest` treats every non-zero published
    cell as if it were secondary-suppressed (the best any suppression could achieve)."""
    if kind is _Kind.ZERO:
        return 0.0, 0.0
    if kind is _Kind.PRIMARY:
        return 1.0, float(SUPPRESSION_THRESHOLD)
    if kind is _Kind.INCOMING:
        return 1.0, math.inf
    if kind is _Kind.SECONDARY or widest:
        return float(SUPPRESSION_THRESHOLD + 1), math.inf
    assert isinstance(value, int)
    return float(max(value - _HALF, SUPPRESSION_THRESHOLD + 1)), float(value + _HALF)


class _Hull:
    """Least and greatest value of each cell over the LP solutions met so far.

    Every solution is a feasible point, so these are inner bounds of the attacker's
    intervals; suppression only widens the feasible set, so they stay valid.
    """

    def __init__(self, n: int) -> None:
        self.low = np.full(n, math.inf)
        self.high = np.full(n, -math.inf)

    def add(self, point: np.ndarray) -> None:
        np.minimum(self.low, point, out=self.low)
        np.maximum(self.high, point, out=self.high)

    def span(self, i: int) -> tuple[float, float] | None:
        if not (math.isfinite(self.low[i]) and math.isfinite(self.high[i])):
            return None
        return _whole(self.low[i], self.high[i])


def _whole(low: float, high: float) -> tuple[float, float]:
    """A real interval shrunk to whole-number ends (true values are whole numbers)."""
    return (
        float(math.ceil(low - _LP_TOLERANCE)),
        float(math.floor(high + _LP_TOLERANCE)) if math.isfinite(high) else math.inf,
    )


def _width(interval: tuple[float, float]) -> float:
    return interval[1] - interval[0]


def _contains(outer: tuple[float, float], inner: tuple[float, float]) -> bool:
    return outer[0] <= inner[0] and inner[1] <= outer[1]


class _Component:
    """One connected set of relations and their cells: the attacker's linear program.

    Exact intervals come from two LPs per cell (HiGHS); to need
    few of them, `explore` collects feasible points (inner bounds, `_Hull`) with a handful of
    LPs for all cells at once, and `tighten` gives outer bounds by interval constraint
    propagation over chosen relations (dropping relations only widens, so any subset is a
    sound outer bound).
    """

    def __init__(self, cells: list[int], relations: list[tuple[int, tuple[int, ...]]]) -> None:
        self.cells = cells
        self.local = {cell: i for i, cell in enumerate(cells)}
        self.relations = [
            (self.local[total], np.array([self.local[p] for p in parts]))
            for total, parts in relations
        ]
        self.member: list[list[int]] = [[] for _ in cells]
        rows: list[int] = []
        cols: list[int] = []
        data: list[float] = []
        for r, (total, parts) in enumerate(self.relations):
            self.member[total].append(r)
            rows.append(r)
            cols.append(total)
            data.append(1.0)
            for part in parts.tolist():
                self.member[part].append(r)
                rows.append(r)
                cols.append(part)
                data.append(-1.0)
        a_eq = sparse.csr_array(
            (data, (rows, cols)), shape=(len(relations), len(cells)), dtype=float
        )
        self._highs = _highs_model(a_eq)
        self._columns = np.arange(len(cells), dtype=np.int32)

    def _solve(self, cost: np.ndarray, bounds: np.ndarray, hull: _Hull) -> float:
        """min cost·x over the component (-inf when unbounded), adding the point to `hull`.

        One HiGHS model per component, re-solved from the last basis with a new objective
        and bounds: `scipy.optimize.linprog` rebuilt and checked the model on every call,
        three quarters of the time of a release (benchmarks/report)."""
        highs = self._highs
        n = len(self.cells)
        highs.changeColsBounds(n, self._columns, np.ascontiguousarray(bounds[:, 0]),
                               np.ascontiguousarray(bounds[:, 1]))
        highs.changeColsCost(n, self._columns, np.ascontiguousarray(cost, dtype=float))
        highs.run()
        status = highs.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            raise ValueError(_INFEASIBLE)
        if status in (highspy.HighsModelStatus.kUnbounded,
                      highspy.HighsModelStatus.kUnboundedOrInfeasible):
            if status == highspy.HighsModelStatus.kUnboundedOrInfeasible:
                _check_feasible(highs, n)
            return -math.inf
        if status != highspy.HighsModelStatus.kOptimal:
            reason = highs.modelStatusToString(status)
            raise RuntimeError(f"protect: linear program failed: {reason}")
        hull.add(np.array(highs.getSolution().col_value))
        return float(highs.getInfo().objective_function_value)

    def explore(self, cells: list[int], bounds: np.ndarray, hull: _Hull) -> None:
        """Push `cells` down together, up together, then in random (seeded, so deterministic)
        directions, until a round widens no cell's hull to more than RECOVERY_WIDTH."""
        rng = np.random.default_rng(0)
        index = np.array(cells)
        open_cells = cells
        for round_ in range(_EXPLORE_ROUNDS):
            signs = np.ones(len(cells)) if round_ < 2 else rng.choice([-1.0, 1.0], len(cells))
            cost = np.zeros(len(self.cells))
            cost[index] = -signs if round_ == 1 else signs
            self._solve(cost, bounds, hull)
            still_open = [c for c in open_cells if not _safe(hull.span(c))]
            if not still_open or (round_ >= 2 and len(still_open) == len(open_cells)):
                return
            open_cells = still_open

    def interval(self, i: int, bounds: np.ndarray, hull: _Hull) -> tuple[float, float]:
        """The attacker's exact whole-number interval for local cell `i`."""
        cost = np.zeros(len(self.cells))
        cost[i] = 1.0
        low = self._solve(cost, bounds, hull)
        high = -self._solve(-cost, bounds, hull)
        return _whole(low, high)

    def tighten(self, relation_ids: list[int], bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Outer bounds of every cell by propagating `bounds` through the given relations
        (bounds consistency on total == sum of parts, to a fixpoint or a visit budget)."""
        low = bounds[:, 0].copy()
        high = bounds[:, 1].copy()
        queue = deque(relation_ids)
        queued = set(relation_ids)
        budget = _TIGHTEN_VISITS * max(len(relation_ids), 1)
        allowed = set(relation_ids)
        while queue and budget > 0:
            budget -= 1
            r = queue.popleft()
            queued.discard(r)
            total, parts = self.relations[r]
            part_low, part_high = low[parts], high[parts]
            sum_low = float(part_low.sum())
            infinite = np.isinf(part_high)
            n_infinite = int(infinite.sum())
            sum_high_finite = float(part_high[~infinite].sum())
            sum_high = math.inf if n_infinite else sum_high_finite
            changed: list[int] = []
            new_low, new_high = max(low[total], sum_low), min(high[total], sum_high)
            if new_low > low[total] + _LP_TOLERANCE or new_high < high[total] - _LP_TOLERANCE:
                low[total], high[total] = new_low, new_high
                changed.append(total)
            finite_high = np.where(infinite, 0.0, part_high)
            others_infinite = n_infinite - infinite.astype(int) > 0
            others_high = np.where(others_infinite, math.inf, sum_high_finite - finite_high)
            others_low = sum_low - part_low
            raised = np.maximum(part_low, low[total] - others_high)
            lowered = np.minimum(part_high, high[total] - others_low)
            moved = (raised > part_low + _LP_TOLERANCE) | (lowered < part_high - _LP_TOLERANCE)
            if moved.any():
                low[parts], high[parts] = raised, lowered
                changed.extend(parts[moved].tolist())
            for cell in changed:
                if low[cell] > high[cell] + _LP_TOLERANCE:
                    raise ValueError(_INFEASIBLE)
                for other in self.member[cell]:
                    if other != r and other not in queued and other in allowed:
                        queue.append(other)
                        queued.add(other)
        return low, high


def _highs_model(a_eq: sparse.csr_array) -> highspy.Highs:
    """A silent HiGHS model of `a_eq · x = 0`, without presolve (small sparse LPs: presolve
    costs more than it saves); costs and bounds are set before each solve."""
    highs = _new_highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("presolve", "off")
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a_eq.shape[1], a_eq.shape[0]
    lp.col_cost_ = np.zeros(a_eq.shape[1])
    lp.col_lower_ = np.zeros(a_eq.shape[1])
    lp.col_upper_ = np.full(a_eq.shape[1], highspy.kHighsInf)
    lp.row_lower_ = np.zeros(a_eq.shape[0])
    lp.row_upper_ = np.zeros(a_eq.shape[0])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = a_eq.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a_eq.indices.astype(np.int32)
    lp.a_matrix_.value_ = a_eq.data.astype(float)
    highs.passModel(lp)
    return highs


_BANNER_SHOWN = False


def _new_highs() -> highspy.Highs:
    """A HiGHS instance; the first one of a process prints a licence banner on file
    descriptor 1 before any option can silence it, so that one is made with fd 1 on
    /dev/null (the report and JSON commands write their own output there)."""
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        return highspy.Highs()
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            highs = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _BANNER_SHOWN = True
    return highs


def _check_feasible(highs: highspy.Highs, n: int) -> None:
    """Tell an unbounded program from an infeasible one: solve for feasibility alone."""
    highs.changeColsCost(n, np.arange(n, dtype=np.int32), np.zeros(n))
    highs.run()
    if highs.getModelStatus() == highspy.HighsModelStatus.kInfeasible:
        raise ValueError(_INFEASIBLE)


def _safe(interval: tuple[float, float] | None) -> bool:
    return interval is not None and _width(interval) > RECOVERY_WIDTH


def protect(
    values: Mapping[K, int | str], relations: Sequence[Relation] = (),
    keep: Collection[K] = (),
) -> dict[K, Published]:
    """Publish a whole release's counts: primary suppression, rounding, then audit-driven
    secondary suppression so that no suppressed cell can be worked out from the rest.

    `values` maps each cell's key to its true count (or to an already published value);
    `relations` says which cells add up to which (across all tables of the release, so a
    national total shared by two tables is audited once, with both). Returns the published
    value of every key, in the order of `values`.

    Steps: a true 1..7 becomes SUPPRESSED (primary), every other count is rounded
    (`disclose_count`). Then, for each primary cell in some relation (in key order), the
    attacker's interval for it is computed by LP over its connected component of relations
    (attacker model in the module docstring). While the interval has hi - lo <= 4 and is
    narrower than the widest attainable one, one more cell is suppressed: among the
    relations the cell belongs to, the smallest published non-zero part, and only when no
    such part is left the smallest published non-zero total; when those relations have
    neither, the relations next to them are searched the same way. A zero is never
    suppressed (a [c] in place of a true zero hides nothing and misleads). Ties go to the
    key that comes first in `values`, so the result is deterministic. Suppressing a cell
    only widens the attacker's feasible set, so cells found safe stay safe and each cell
    needs auditing only until it is safe.

    `keep` names cells a release cannot do without (a headline total): they are chosen for
    secondary suppression only when no other cell would protect the primary one.

    Values that arrive already published (SUPPRESSED, or a multiple of 5 outside 1..7) pass
    through unchanged and an incoming SUPPRESSED is not re-audited (it may be primary or
    secondary, so the attacker gets [1, inf) for it), hence
    `protect(protect(v, r), r) == protect(v, r)`.

    Raises ValueError for a negative, non-integer, bool or NaN count, a string other than
    SUPPRESSED, a relation naming an unknown key, or relations that cannot hold on the
    values.
    """
    keys = list(values)
    index = {key: i for i, key in enumerate(keys)}
    published: list[Published] = []
    kinds: list[_Kind] = []
    exact: list[int | None] = []
    for key in keys:
        raw = values[key]
        where = f"protect: value of {key!r}"
        if isinstance(raw, str):
            if raw != SUPPRESSED:
                raise ValueError(f"{where}: expected a whole number or {SUPPRESSED!r}, got {raw!r}")
            published.append(SUPPRESSED)
            kinds.append(_Kind.INCOMING)
            exact.append(None)
            continue
        count = _as_count(raw, where)
        shown = disclose_count(count)
        published.append(shown)
        exact.append(None if is_published(count) else count)
        if shown == SUPPRESSED:
            kinds.append(_Kind.PRIMARY)
        else:
            kinds.append(_Kind.ZERO if count == 0 else _Kind.ROUNDED)

    coded: list[tuple[int, tuple[int, ...]]] = []
    for relation in relations:
        if not isinstance(relation, Relation):
            raise ValueError(f"protect: expected a Relation, got {relation!r}")
        for key in (relation.total, *relation.parts):
            if key not in index:
                raise ValueError(
                    f"protect: relation with total {relation.total!r} names unknown key {key!r}"
                )
        coded.append((index[relation.total], tuple(index[p] for p in relation.parts)))
        _check_relation(relation, coded[-1], kinds, published, exact)

    for component in _components(len(keys), coded):
        if any(kinds[c] is _Kind.PRIMARY for c in component[0]):
            _secure(component[0], component[1], kinds, published,
                    {index[k] for k in keep if k in index})
    return {key: published[i] for i, key in enumerate(keys)}


def _check_relation(
    relation: Relation,
    coded: tuple[int, tuple[int, ...]],
    kinds: list[_Kind],
    published: list[Published],
    exact: list[int | None],
) -> None:
    """Cheap early check that a relation can hold, with exact counts where they are known:
    catches a wrong total before an infeasible LP would."""

    def span(cell: int) -> tuple[float, float]:
        known = exact[cell]
        if known is not None:
            return float(known), float(known)
        return _bounds(kinds[cell], published[cell], widest=False)

    total_low, total_high = span(coded[0])
    parts_low = sum(span(p)[0] for p in coded[1])
    parts_high = sum(span(p)[1] for p in coded[1])
    if parts_low > total_high or parts_high < total_low:
        raise ValueError(
            f"protect: relation {relation.total!r} = sum of {relation.parts!r} cannot hold: "
            f"the parts add up to between {parts_low:g} and {parts_high:g}, the total is "
            f"between {total_low:g} and {total_high:g}"
        )


def _components(
    n: int, relations: list[tuple[int, tuple[int, ...]]]
) -> list[tuple[list[int], list[tuple[int, tuple[int, ...]]]]]:
    """Connected components of cells joined by relations (union-find), each as its sorted
    cells and its relations in input order; cells in no relation are left out."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for total, parts in relations:
        root = find(total)
        for part in parts:
            other = find(part)
            if other != root:
                parent[other] = root
    grouped: dict[int, list[tuple[int, tuple[int, ...]]]] = {}
    for relation in relations:
        grouped.setdefault(find(relation[0]), []).append(relation)
    components = []
    for rels in grouped.values():
        cells = sorted({c for total, parts in rels for c in (total, *parts)})
        components.append((cells, rels))
    return components


def _secure(
    cells: list[int],
    relations: list[tuple[int, tuple[int, ...]]],
    kinds: list[_Kind],
    published: list[Published],
    keep: set[int] | None = None,
) -> None:
    """Secondary suppression within one component, in place on `kinds` and `published`.

    For each primary cell, G is the attacker's interval now and W the widest attainable one
    (every non-zero published cell as if suppressed). The cell is done when G is wider than
    RECOVERY_WIDTH or G == W; otherwise one more cell is suppressed. Inner bounds of G and W
    come from LP points, outer bounds from propagation; exact LPs only where they disagree.
    """
    lp = _Component(cells, relations)
    bounds = np.array([_bounds(kinds[c], published[c], widest=False) for c in cells])
    widest = np.array([_bounds(kinds[c], published[c], widest=True) for c in cells])
    primaries = [lp.local[c] for c in cells if kinds[c] is _Kind.PRIMARY]
    g_hull, w_hull = _Hull(len(cells)), _Hull(len(cells))
    lp.explore(primaries, bounds, g_hull)
    open_cells = [i for i in primaries if not _safe(g_hull.span(i))]
    if not open_cells:
        return
    lp.explore(open_cells, widest, w_hull)
    w_low, w_high = lp.tighten(list(range(len(lp.relations))), widest)
    w_exact: dict[int, tuple[float, float]] = {}
    for i in open_cells:
        cell = cells[i]
        w_out = _whole(w_low[i], w_high[i])
        while True:
            g_in = g_hull.span(i)
            if _safe(g_in):
                break
            low, high = lp.tighten(lp.member[i], bounds)
            g_out = _whole(low[i], high[i])
            g_exact = None
            if _width(g_out) > RECOVERY_WIDTH:
                g_exact = lp.interval(i, bounds, g_hull)
                if _width(g_exact) > RECOVERY_WIDTH:
                    break
            w_in = w_hull.span(i)
            if g_in is not None and g_in == w_out:
                break  # g_in ⊆ G ⊆ W ⊆ w_out: G is already the widest
            if w_in is None or _contains(g_out, w_in):
                if g_exact is None:
                    g_exact = lp.interval(i, bounds, g_hull)
                if i not in w_exact:
                    w_exact[i] = lp.interval(i, widest, w_hull)
                if g_exact == w_exact[i]:
                    break
            chosen = _next_to_suppress(cell, relations, kinds, published, keep or set())
            if chosen is None and keep:
                chosen = _next_to_suppress(cell, relations, kinds, published, set())
            if chosen is None:  # pragma: no cover - G equals W once all are suppressed
                raise RuntimeError(f"protect: no cell left to suppress around cell {cell}")
            kinds[chosen] = _Kind.SECONDARY
            published[chosen] = SUPPRESSED
            bounds[lp.local[chosen]] = _bounds(_Kind.SECONDARY, SUPPRESSED, widest=False)


def _next_to_suppress(
    cell: int,
    relations: list[tuple[int, tuple[int, ...]]],
    kinds: list[_Kind],
    published: list[Published],
    keep: set[int],
) -> int | None:
    """The cell to suppress next for `cell` (never one in `keep`): the smallest published
    non-zero part of the relations it belongs to, else the smallest such total, else the same
    one ring of relations further out (breadth first). Ties go to the lower key index."""
    member: dict[int, list[int]] = {}
    for r, (total, parts) in enumerate(relations):
        for c in (total, *parts):
            member.setdefault(c, []).append(r)
    seen_relations: set[int] = set()
    seen_cells = {cell}
    ring = [cell]
    while ring:
        level = sorted({r for c in ring for r in member.get(c, []) if r not in seen_relations})
        if not level:
            return None
        seen_relations.update(level)

        def smallest(candidates: set[int]) -> int | None:
            usable = [c for c in candidates
                      if c != cell and kinds[c] is _Kind.ROUNDED and c not in keep]
            if not usable:
                return None
            return min(usable, key=lambda c: (published[c], c))

        chosen = smallest({p for r in level for p in relations[r][1]})
        if chosen is None:
            chosen = smallest({relations[r][0] for r in level})
        if chosen is not None:
            return chosen
        ring = sorted(
            {c for r in level for c in (relations[r][0], *relations[r][1])} - seen_cells
        )
        seen_cells.update(ring)
    return None


def disclose_frame(frame: pl.DataFrame, count_columns: Sequence[str]) -> pl.DataFrame:
    """Cell-wise primary suppression and rounding of the count columns of a frame.

    A count column comes back as String (polars cannot hold ints and "[c]" in one column):
    "[c]" or the decimal digits of the rounded count, which is what a CSV download shows.
    Integer columns are disclosed; a String column must already hold published values and
    is returned unchanged, so the function is idempotent. Other columns are untouched.

    This does no secondary suppression: a frame whose rows and totals add up goes through
    `protect` (the release does), and this is for downloads with no totals beside them.
    Raises ValueError for an unknown or repeated column, a null, a negative count, a float
    or boolean column, or a String value that is not a published count.
    """
    if isinstance(count_columns, str):
        raise ValueError("disclose_frame: count_columns must be a sequence of column names")
    columns = list(count_columns)
    if len(set(columns)) != len(columns):
        raise ValueError(f"disclose_frame: a count column is named twice in {columns!r}")
    exprs = []
    for name in columns:
        if name not in frame.columns:
            raise ValueError(f"disclose_frame: no column {name!r} in {frame.columns!r}")
        series = frame.get_column(name)
        nulls = series.is_null()
        if nulls.any():
            row = int(nulls.arg_true()[0])
            raise ValueError(f"disclose_frame: column {name!r}, row {row}: null count")
        if series.dtype == pl.String:
            bad = ~(series.eq(SUPPRESSED) | series.map_elements(_is_published_text, pl.Boolean))
            if bad.any():
                row = int(bad.arg_true()[0])
                raise ValueError(
                    f"disclose_frame: column {name!r}, row {row}: expected a published count "
                    f"or {SUPPRESSED!r}, got {series[row]!r}"
                )
            continue
        if not series.dtype.is_integer():
            raise ValueError(
                f"disclose_frame: column {name!r}: expected whole-number counts, "
                f"got dtype {series.dtype}"
            )
        negative = series < 0
        if negative.any():
            row = int(negative.arg_true()[0])
            raise ValueError(
                f"disclose_frame: column {name!r}, row {row}: expected a count >= 0, "
                f"got {series[row]}"
            )
        col = pl.col(name).cast(pl.Int64)
        rounded = (2 * col + ROUNDING_MULTIPLE) // (2 * ROUNDING_MULTIPLE) * ROUNDING_MULTIPLE
        exprs.append(
            pl.when(col.is_between(1, SUPPRESSION_THRESHOLD))
            .then(pl.lit(SUPPRESSED))
            .otherwise(rounded.cast(pl.String))
            .alias(name)
        )
    return frame.with_columns(exprs) if exprs else frame


def _is_published_text(text: str) -> bool:
    """Whether a String cell holds the canonical digits of a published count."""
    return text.isascii() and text.isdigit() and str(int(text)) == text and is_published(
        int(text)
    )
