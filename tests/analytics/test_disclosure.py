"""Disclosure control: the cell rules, rates, frames, and protect() on tables worked by hand.

Every expected value here is worked out in the comments from the rules in DESIGN.md
("Sensitive fields") and the attacker model in the module docstring, not taken from the
module.
"""

from __future__ import annotations

import math
import time

import numpy as np
import polars as pl
import pytest

from analytics.disclosure import (
    ROUNDING_MULTIPLE,
    SUPPRESSED,
    SUPPRESSION_THRESHOLD,
    Relation,
    disclose_count,
    disclose_frame,
    disclose_rate,
    is_published,
    protect,
    round_count,
)

pytestmark = pytest.mark.unit

C = SUPPRESSED
BAD_COUNTS = [-1, -10, 1.0, 2.5, math.nan, math.inf, True, False, None, "3", b"3", [3]]


def test_constants_are_the_design_rules() -> None:
    assert (SUPPRESSION_THRESHOLD, ROUNDING_MULTIPLE, SUPPRESSED) == (7, 5, "[c]")


@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, 0), (1, 0), (2, 0), (3, 5), (7, 5), (8, 10), (12, 10), (13, 15), (22, 20),
     (23, 25), (100, 100), (1_000_002, 1_000_000), (np.int64(13), 15)],
)
def test_round_count(n: int, expected: int) -> None:
    assert round_count(n) == expected
    assert type(round_count(n)) is int


@pytest.mark.parametrize("bad", BAD_COUNTS)
def test_round_count_rejects_bad_input(bad: object) -> None:
    with pytest.raises(ValueError, match="count"):
        round_count(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, 0), *((k, C) for k in range(1, 8)), (8, 10), (9, 10), (10, 10), (12, 10),
     (13, 15), (17, 15), (18, 20), (250, 250), (np.int32(3), C), (np.uint8(8), 10), (C, C)],
)
def test_disclose_count(n: int | str, expected: int | str) -> None:
    assert disclose_count(n) == expected
    assert disclose_count(disclose_count(n)) == expected


@pytest.mark.parametrize("bad", [*BAD_COUNTS, "c", "[C]", "10", ""])
def test_disclose_count_rejects_bad_input(bad: object) -> None:
    with pytest.raises(ValueError):
        disclose_count(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, True), (10, True), (15, True), (C, True), (5, False), (3, False), (12, False),
     (-5, False), (10.0, False), (True, False), ("10", False), (None, False)],
)
def test_is_published(value: object, expected: bool) -> None:
    assert is_published(value) is expected


@pytest.mark.parametrize(
    ("numerator", "denominator", "kwargs", "expected"),
    [
        (10, 20, {}, 50.0),
        (0, 20, {}, 0.0),
        (10, 30, {}, 33.3),  # 33.33... to one decimal
        (10, 30, {"digits": 0}, 33.0),
        (20, 30, {"digits": 2}, 66.67),
        (15, 40, {"per": 1000.0, "digits": 2}, 375.0),
        (45, 10, {"per": 1.0}, 4.5),  # a rate per unit can exceed 1
        (C, 20, {}, C),
        (10, C, {}, C),
        (C, C, {}, C),
        (C, 0, {}, C),  # the [c] wins over the undefined rate
        (0, 0, {}, None),
        (10, 0, {}, None),
    ],
)
def test_disclose_rate(
    numerator: int | str, denominator: int | str, kwargs: dict[str, float], expected: object
) -> None:
    assert disclose_rate(numerator, denominator, **kwargs) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("numerator", "denominator", "kwargs"),
    [
        (3, 20, {}),  # an exact count: the rate would give it away
        (12, 20, {}),
        (10, 12, {}),
        (10, 5, {}),
        (10.0, 20, {}),
        (True, 20, {}),
        ("x", 20, {}),
        (10, 20, {"per": 0}),
        (10, 20, {"per": -100.0}),
        (10, 20, {"per": math.nan}),
        (10, 20, {"per": math.inf}),
        (10, 20, {"digits": -1}),
        (10, 20, {"digits": 1.5}),
        (10, 20, {"digits": True}),
    ],
)
def test_disclose_rate_rejects_bad_input(
    numerator: object, denominator: object, kwargs: dict[str, object]
) -> None:
    with pytest.raises(ValueError):
        disclose_rate(numerator, denominator, **kwargs)  # type: ignore[arg-type]


def test_disclose_rate_uses_the_published_counts() -> None:
    # True 12 of 31 is 38.7%; published 10 of 30 is 33.3%: only the latter may appear.
    assert disclose_rate(disclose_count(12), disclose_count(31)) == 33.3


@pytest.mark.parametrize(
    "build",
    [
        lambda: Relation("T", ()),
        lambda: Relation("T", ("A", "A")),
        lambda: Relation("T", ("A", "T")),
        lambda: Relation("T", "AB"),  # type: ignore[arg-type]
    ],
)
def test_relation_rejects_bad_shapes(build: object) -> None:
    with pytest.raises(ValueError, match="relation"):
        build()  # type: ignore[operator]


def test_relation_accepts_a_list_of_parts() -> None:
    assert Relation("T", ["A", "B"]).parts == ("A", "B")  # type: ignore[arg-type]


def R(total: str, *parts: str) -> Relation:
    return Relation(total, parts)


def test_protect_without_relations_is_cell_wise() -> None:
    values = {"a": 0, "b": 3, "c": 8, "d": 12, "e": 13, "f": C, "g": 10}
    assert protect(values) == {"a": 0, "b": C, "c": 10, "d": 10, "e": 15, "f": C, "g": 10}


def test_protect_keeps_the_order_of_keys() -> None:
    assert list(protect({"z": 1, "a": 20, "m": 0})) == ["z", "a", "m"]


def test_rounding_alone_can_protect() -> None:
    # B=20 -> [18, 22], T=25 -> [23, 27]: A = T - B in [1, 9], capped by [1, 7]: width 6.
    assert protect({"A": 3, "B": 20, "T": 23}, [R("T", "A", "B")]) == {"A": C, "B": 20, "T": 25}


def test_part_then_total_suppressed() -> None:
    # B=9 -> 10 and T=12 -> 10, both [8, 12]: A = T - B in [-4, 4] -> [1, 4], width 3.
    # Suppress B (the only published part): B >= 8 so A <= 12 - 8 = 4, still [1, 4].
    # No part left, so T goes too: then T >= 8 says nothing and A is back to [1, 7].
    out = protect({"A": 3, "B": 9, "T": 12}, [R("T", "A", "B")])
    assert out == {"A": C, "B": C, "T": C}


def test_two_primary_parts_force_the_total() -> None:
    # A, B in [1, 7]; T=14 -> 15, [13, 17]: A = T - B >= 13 - 7 = 6, so A in [6, 7].
    # No published part, so T is suppressed; then T >= 8 gives A >= 1 only.
    out = protect({"A": 7, "B": 7, "T": 14}, [R("T", "A", "B")])
    assert out == {"A": C, "B": C, "T": C}


def test_suppressing_the_part_is_enough() -> None:
    # B=13 -> 15 and T=15 -> 15: A in [13-17, 17-13] = [-4, 4] -> [1, 4].
    # With B suppressed (>= 8): A <= 17 - 8 = 9, so [1, 7]: T stays published.
    out = protect({"A": 2, "B": 13, "T": 15}, [R("T", "A", "B")])
    assert out == {"A": C, "B": C, "T": 15}


def test_kept_cells_are_suppressed_only_as_a_last_resort() -> None:
    # As above, but B is a headline: T goes instead (T >= 8 and B in [11, 15] give A in
    # [1, 7]). When T is kept too, nothing else can protect A, so B is suppressed after all.
    values = {"A": 2, "B": 13, "T": 15}
    assert protect(values, [R("T", "A", "B")], keep={"B"}) == {"A": C, "B": 15, "T": C}
    assert protect(values, [R("T", "A", "B")], keep={"B", "T"}) == {"A": C, "B": C, "T": 15}


def test_a_true_zero_is_never_suppressed() -> None:
    # As test_part_then_total_suppressed, with a zero part that is exact and hides nothing.
    out = protect({"A": 3, "Z": 0, "B": 9, "T": 12}, [R("T", "A", "Z", "B")])
    assert out == {"A": C, "Z": 0, "B": C, "T": C}


def test_two_by_two_table_suppresses_a_rectangle_corner_pair() -> None:
    # a b | r1      2 20 | 22  ->  [c] 20 | 20
    # c d | r2     30 40 | 70      30  40 | 70
    # ----+---     ------+---      -------+---
    # c1 c2| g     32 60 | 92      30  60 | 90
    # a = r1 - b in [18-22, 22-18] -> [1, 4]: suppress the smaller part of a's row and
    # column, b=20. Still a = c1 - c in [-4, 4] -> [1, 4]: suppress c=30, the only part
    # left. Now b = c2 - d in [58-42, 62-38] = [16, 24], so a = r1 - b in [1, 6], and
    # c = r2 - d in [26, 34], so a = c1 - c in [1, 6]; a=1 (r1=20, b=19, d=40, c=30, c1=31,
    # c2=59, r2=70) and a=6 (r1=22, b=16, d=42, c2=58, c=26, r2=68, c1=32) both fit every
    # relation and the grand total: width 5, safe. d and the margins stay published.
    values = {"a": 2, "b": 20, "c": 30, "d": 40, "r1": 22, "r2": 70, "c1": 32, "c2": 60, "g": 92}
    relations = [
        R("r1", "a", "b"), R("r2", "c", "d"), R("c1", "a", "c"), R("c2", "b", "d"),
        R("g", "r1", "r2"), R("g", "c1", "c2"),
    ]
    out = protect(values, relations)
    assert out == {"a": C, "b": C, "c": C, "d": 40, "r1": 20, "r2": 70, "c1": 30, "c2": 60,
                   "g": 90}


def test_ties_go_to_the_first_key() -> None:
    # A=3 in T1 = A + B (B=13 -> 15, T1=16 -> 15: A in [1, 4]) and in
    # T2 = A + D + E (D=13 -> 15, E=30, T2=46 -> 45: A in [43-17-32, 47-13-28] -> [1, 6]).
    # Parts B and D tie at 15. If B comes first, suppressing B frees A (A <= 17 - 8 = 9)
    # and D stays; if D comes first, D is suppressed without effect, then B as well.
    relations = [R("T1", "A", "B"), R("T2", "A", "D", "E")]
    b_first = protect({"A": 3, "B": 13, "D": 13, "E": 30, "T1": 16, "T2": 46}, relations)
    assert b_first == {"A": C, "B": C, "D": 15, "E": 30, "T1": 15, "T2": 45}
    d_first = protect({"A": 3, "D": 13, "B": 13, "E": 30, "T1": 16, "T2": 46}, relations)
    assert d_first == {"A": C, "D": C, "B": C, "E": 30, "T1": 15, "T2": 45}


def test_a_table_that_gives_itself_away_is_suppressed_whole() -> None:
    # T=6 into three non-zero parts: every cell is [c] and each part is still known to be
    # in [1, 5] (the others are >= 1 and T <= 7). No suppression can hide that, so protect
    # publishes the widest it can and does not fail; such tables want categories combined.
    out = protect({"A": 1, "B": 2, "C": 3, "T": 6}, [R("T", "A", "B", "C")])
    assert out == {"A": C, "B": C, "C": C, "T": C}


def test_a_shared_total_is_audited_with_both_tables() -> None:
    # Two breakdowns of one national total N=22 -> 20. Alone, table 1 (A=3, B=19 -> 20)
    # leaves A = N - B in [18-22, 22-18] -> [1, 4]; table 2 (C=11 -> 10, D=11 -> 10) does
    # not involve A. A's relation has part B, so B is suppressed; then A <= 22 - 8 = 14 -> 7.
    values = {"A": 3, "B": 19, "C": 11, "D": 11, "N": 22}
    out = protect(values, [R("N", "A", "B"), R("N", "C", "D")])
    assert out == {"A": C, "B": C, "C": 10, "D": 10, "N": 20}


def test_already_published_values_pass_through() -> None:
    # An incoming [c] may be primary or secondary, so it is not re-audited.
    values = {"A": C, "B": 10, "T": 10}
    assert protect(values, [R("T", "A", "B")]) == values


@pytest.mark.parametrize(
    ("values", "relations", "match"),
    [
        ({"A": -1}, [], "count >= 0"),
        ({"A": 2.0}, [], "whole-number"),
        ({"A": math.nan}, [], "whole-number"),
        ({"A": True}, [], "whole-number"),
        ({"A": None}, [], "whole-number"),
        ({"A": "x"}, [], "expected a whole number"),
        ({"A": 3, "T": 3}, [R("T", "A", "B")], "unknown key 'B'"),
        ({"A": 3, "B": 9, "T": 13}, [R("T", "A", "B")], "cannot hold"),
        ({"A": 3, "B": 9, "T": 40}, [R("T", "A", "B")], "cannot hold"),
        ({"A": 3, "T": 3}, [("T", ("A",))], "expected a Relation"),
    ],
)
def test_protect_rejects_bad_input(
    values: dict[str, object], relations: list[object], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        protect(values, relations)  # type: ignore[arg-type]


def test_protect_rejects_relations_that_cannot_hold_after_rounding() -> None:
    # 20 (true 18..22) cannot be 40 (true 38..42) plus 10 (true 8..12).
    with pytest.raises(ValueError, match="cannot"):
        protect({"T": 20, "A": 40, "B": 10}, [R("T", "A", "B")])


def test_disclose_frame() -> None:
    frame = pl.DataFrame(
        {"force_id": ["a", "b", "c", "d"], "incident_count": [0, 3, 8, 13],
         "victim_count": [12, 7, 1, 100], "rate": [0.5, 1.0, 2.0, 3.0]}
    )
    out = disclose_frame(frame, ["incident_count", "victim_count"])
    assert out.to_dict(as_series=False) == {
        "force_id": ["a", "b", "c", "d"],
        "incident_count": ["0", C, "10", "15"],
        "victim_count": ["10", C, C, "100"],
        "rate": [0.5, 1.0, 2.0, 3.0],
    }
    assert out.schema["incident_count"] == pl.String
    assert disclose_frame(out, ["incident_count", "victim_count"]).equals(out)


def test_disclose_frame_matches_disclose_count() -> None:
    counts = [*range(60), 997, 1003]
    out = disclose_frame(pl.DataFrame({"n": counts}, schema={"n": pl.UInt32}), ["n"])
    assert out["n"].to_list() == [str(disclose_count(n)) for n in counts]


@pytest.mark.parametrize(
    ("frame", "columns", "match"),
    [
        (pl.DataFrame({"n": [1]}), ["m"], "no column 'm'"),
        (pl.DataFrame({"n": [1]}), ["n", "n"], "twice"),
        (pl.DataFrame({"n": [1]}), "n", "sequence"),
        (pl.DataFrame({"n": [1.0]}), ["n"], "dtype"),
        (pl.DataFrame({"n": [True]}), ["n"], "dtype"),
        (pl.DataFrame({"n": [10, None]}), ["n"], "row 1: null"),
        (pl.DataFrame({"n": [10, 20, -3]}), ["n"], "row 2: expected a count >= 0"),
        (pl.DataFrame({"n": ["10", "3"]}), ["n"], "row 1"),
        (pl.DataFrame({"n": ["010"]}), ["n"], "row 0"),
        (pl.DataFrame({"n": ["[C]"]}), ["n"], "row 0"),
    ],
)
def test_disclose_frame_rejects_bad_input(
    frame: pl.DataFrame, columns: list[str], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        disclose_frame(frame, columns)


def _release(seed: int) -> tuple[dict[tuple[object, ...], int], list[Relation]]:
    """A year of force x offence-group counts (44 forces, 5 groups, 4 quarters, 9 regions)
    with force, group, region, national and year totals: 1,161 cells, 286 relations, about
    half the cells 1..7, all one component."""
    rng = np.random.default_rng(seed)
    weight = rng.gamma(0.6, 1.0, 44)
    weight /= weight.sum()
    values: dict[tuple[object, ...], int] = {}
    relations: list[Relation] = []
    for q in range(4):
        for f in range(44):
            cells = [("fg", q, f, g) for g in range(5)]
            for cell in cells:
                values[cell] = int(rng.poisson(100 * weight[f]))
            values[("f", q, f)] = sum(values[c] for c in cells)
            relations.append(Relation(("f", q, f), tuple(cells)))
        for g in range(5):
            cells = [("fg", q, f, g) for f in range(44)]
            values[("g", q, g)] = sum(values[c] for c in cells)
            relations.append(Relation(("g", q, g), tuple(cells)))
        for r in range(9):
            forces = [("f", q, f) for f in range(44) if f % 9 == r]
            values[("r", q, r)] = sum(values[c] for c in forces)
            relations.append(Relation(("r", q, r), tuple(forces)))
        values[("n", q)] = sum(values[("g", q, g)] for g in range(5))
        relations.append(Relation(("n", q), tuple(("g", q, g) for g in range(5))))
        relations.append(Relation(("n", q), tuple(("r", q, r) for r in range(9))))
    for f in range(44):
        values[("fy", f)] = sum(values[("f", q, f)] for q in range(4))
        relations.append(Relation(("fy", f), tuple(("f", q, f) for q in range(4))))
    values[("ny",)] = sum(values[("n", q)] for q in range(4))
    relations.append(Relation(("ny",), tuple(("n", q) for q in range(4))))
    relations.append(Relation(("ny",), tuple(("fy", f) for f in range(44))))
    return values, relations


def test_protect_a_year_release_in_seconds() -> None:
    values, relations = _release(seed=1)
    assert len(values) == 1161 and len(relations) == 286
    start = time.perf_counter()
    out = protect(values, relations)
    elapsed = time.perf_counter() - start
    assert all(out[k] == C for k, v in values.items() if 1 <= v <= 7)
    assert elapsed < 10.0, f"protect took {elapsed:.1f} s for a year's release"
