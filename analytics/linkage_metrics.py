"""Scoring a partition of incidents into series against the truth, without enumerating pairs.

Pairwise precision and recall come from the contingency table of true × predicted series
(pairs in the same true and predicted series = Σ C(n_ij, 2)); B-cubed from each incident's
share of its true series in its predicted one (Bagga and Baldwin 1998); and the headline
of `shared/notes/series-linkage.md` §4: recall over true pairs whose incidents were
recorded by different forces.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class LinkScores:
    pair_precision: float
    pair_recall: float
    pair_f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    cross_force_recall: float
    true_pairs: int
    predicted_pairs: int
    cross_force_pairs: int


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def _pairs(n: pl.Expr) -> pl.Expr:
    return (n * (n - 1) / 2).cast(pl.Float64)


def score_partition(frame: pl.DataFrame) -> LinkScores:
    """`frame`: incident_id, force_id, true_series, predicted_series (singletons unique)."""
    cells = frame.group_by("true_series", "predicted_series").len("n")
    tp = cells.select(_pairs(pl.col("n")).sum()).item()
    true_pairs = frame.group_by("true_series").len("n").select(_pairs(pl.col("n")).sum()).item()
    pred_pairs = (
        frame.group_by("predicted_series").len("n").select(_pairs(pl.col("n")).sum()).item()
    )
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0

    sizes = frame.join(cells, on=["true_series", "predicted_series"]).join(
        frame.group_by("true_series").len("true_n"), on="true_series"
    ).join(frame.group_by("predicted_series").len("pred_n"), on="predicted_series")
    b_precision = sizes.select((pl.col("n") / pl.col("pred_n")).mean()).item()
    b_recall = sizes.select((pl.col("n") / pl.col("true_n")).mean()).item()

    # Pairs of different forces inside each true series: same-force pairs are subtracted
    # from all pairs, per series and per (series, prediction) cell.
    by_force = frame.group_by("true_series", "force_id").len("n")
    cross_true = true_pairs - by_force.select(_pairs(pl.col("n")).sum()).item()
    by_cell_force = frame.group_by("true_series", "predicted_series", "force_id").len("n")
    cross_found = tp - by_cell_force.select(_pairs(pl.col("n")).sum()).item()
    return LinkScores(
        pair_precision=precision,
        pair_recall=recall,
        pair_f1=_f1(precision, recall),
        bcubed_precision=b_precision,
        bcubed_recall=b_recall,
        bcubed_f1=_f1(b_precision, b_recall),
        cross_force_recall=cross_found / cross_true if cross_true else 1.0,
        true_pairs=int(true_pairs),
        predicted_pairs=int(pred_pairs),
        cross_force_pairs=int(cross_true),
    )
