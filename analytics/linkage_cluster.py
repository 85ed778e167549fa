"""Series from scored pairs: greedy contraction of the pair log-odds, over compared pairs only.

Connected components of strong edges chain unrelated series through one bridge; average
linkage on a dense matrix (the first design) counts every pair that blocking never proposed
as "certainly different", so a long series whose early and late phrases drifted apart was
cut in pieces. Here each compared pair carries its log-odds against the threshold
(logit(score) − logit(t)): above the threshold it pulls together, below it pushes apart, and
a pair never compared is no evidence either way. Clusters are contracted greedily, the most
attracted pair of clusters first, until no pair of clusters attracts.

The affinity of two clusters is the *mean* log-odds over their compared pairs (average
linkage on the sparse graph). Their *sum* (greedy additive edge contraction for correlation
clustering, Keuper et al., ICCV 2015) was tried and lost on the training seeds (pairwise
F1 0.953 against 0.961 at threshold 0.7 over seeds 101–103 at scales 1 and 5): the sum
lets two large series merge on many weak edges (at 100,000 incidents, F1 0.71 against
0.77). Contraction runs inside the connected components of edges
above the threshold (two incidents in different components can never gain by merging), so
the work grows with the number of edges, not with the square of the incidents.

`frozen` clusters (series already stored) may take in new incidents but never merge with
each other: that is how new incidents attach without relinking everything.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components


def log_odds(score: np.ndarray, threshold: float) -> np.ndarray:
    """Edge weight of each pair: positive above the threshold, negative below."""
    s = np.clip(score, 1e-9, 1 - 1e-9)
    return np.log(s / (1 - s)) - np.log(threshold / (1 - threshold))


def cluster(n: int, left: np.ndarray, right: np.ndarray, score: np.ndarray,
            threshold: float, frozen: np.ndarray | None = None) -> np.ndarray:
    """A cluster label (the smallest member's row) for each of the n rows.

    `frozen`, when given, holds a label per row (−1 for a free row): rows sharing a frozen
    label start as one cluster, and two frozen clusters are never merged.
    """
    weight = log_odds(score, threshold)
    start = np.arange(n) if frozen is None else np.where(frozen >= 0, frozen, -1)
    if frozen is not None:
        free = start < 0
        start[free] = n + np.flatnonzero(free)  # free rows get labels no frozen one has
        _, start = np.unique(start, return_inverse=True)
    # contract the frozen clusters first: nodes are start labels
    a, b = start[left], start[right]
    keep = a != b
    a, b, weight = a[keep], b[keep], weight[keep]
    nodes = int(start.max()) + 1 if n else 0
    positive = weight > 0
    graph = csr_matrix((np.ones(int(positive.sum())), (a[positive], b[positive])),
                       shape=(nodes, nodes))
    _, component = connected_components(graph, directed=False)
    inside = component[a] == component[b]
    node_label = _contract(a[inside], b[inside], weight[inside], nodes,
                           None if frozen is None else _frozen_nodes(start, frozen, nodes))
    labels = node_label[start]
    # name each cluster by its smallest row, so labels are stable and readable
    first = np.full(nodes, n, dtype=np.int64)
    np.minimum.at(first, labels, np.arange(n))
    return first[labels]


def _frozen_nodes(start: np.ndarray, frozen: np.ndarray, nodes: int) -> np.ndarray:
    mark = np.zeros(nodes, dtype=bool)
    mark[start[frozen >= 0]] = True
    return mark


def _contract(a: np.ndarray, b: np.ndarray, w: np.ndarray, nodes: int,
                     frozen: np.ndarray | None) -> np.ndarray:
    """Average linkage over compared pairs in rounds, vectorised: in each round every pair of
    clusters that are each other's best neighbour (mean log-odds above zero) merges at once.

    For a reducible linkage such as the average, merging reciprocal best neighbours gives
    the same tree as merging one best pair at a time (Sumengen et al., "Scaling hierarchical
    agglomerative clustering to billion-sized datasets", 2021). The mean over compared pairs
    only is not strictly reducible, so a tie or two may break differently: at 100,000
    incidents 99.9 % of labels equal a one-merge-at-a-time Python loop, in 1.3 s against
    8.8 s."""
    parent = np.arange(nodes)
    locked = np.zeros(nodes, dtype=bool) if frozen is None else frozen.copy()
    edges = pl.DataFrame({"a": np.minimum(a, b), "b": np.maximum(a, b),
                          "s": w.astype(np.float64), "c": np.ones(a.size, dtype=np.int64)}
                         ).group_by("a", "b").agg(pl.col("s").sum(), pl.col("c").sum())
    while edges.height:
        ea, eb = edges["a"].to_numpy(), edges["b"].to_numpy()
        mean = edges["s"].to_numpy() / edges["c"].to_numpy()
        mergeable = (mean > 0) & ~(locked[ea] & locked[eb])
        if not mergeable.any():
            break
        open_ = pl.DataFrame({"a": ea[mergeable], "b": eb[mergeable], "m": mean[mergeable]})
        both = pl.concat([open_.select(pl.col("a").alias("x"), pl.col("b").alias("y"), "m"),
                          open_.select(pl.col("b").alias("x"), pl.col("a").alias("y"), "m")])
        best = both.sort(["m", "y"], descending=[True, False]).unique("x", keep="first")
        mutual = best.join(best.select(pl.col("x").alias("y"), pl.col("y").alias("x")),
                           on=["x", "y"]).filter(pl.col("x") < pl.col("y"))
        keep, gone = mutual["x"].to_numpy(), mutual["y"].to_numpy()
        parent[gone] = keep
        locked[keep] |= locked[gone]
        # clusters with no open edge are final: their edges leave the table
        active = np.zeros(nodes, dtype=bool)
        active[ea[mergeable]] = True
        active[eb[mergeable]] = True
        live = active[ea] | active[eb]
        ra, rb = parent[ea[live]], parent[eb[live]]  # one level: each round merges pairs
        edges = pl.DataFrame({"a": np.minimum(ra, rb), "b": np.maximum(ra, rb),
                              "s": edges["s"].to_numpy()[live], "c": edges["c"].to_numpy()[live]}
                             ).filter(pl.col("a") != pl.col("b")).group_by("a", "b").agg(
            pl.col("s").sum(), pl.col("c").sum())
    root = parent.copy()
    while True:
        nxt = root[root]
        if np.array_equal(nxt, root):
            return root
        root = nxt
