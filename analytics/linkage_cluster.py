"""Series from scored pairs: correlation clustering by greedy additive edge contraction.

Connected components of strong edges chain unrelated series through one bridge; average
linkage inside a component (the first design) counts every pair that blocking never
proposed as "certainly different", so a long series whose early and late phrases drifted
apart was cut in pieces. Correlation clustering scores a partition by the sum of the pair
log-odds inside its clusters, measured against the threshold (logit(score) − logit(t)):
a pair never proposed adds nothing, a pair scored below the threshold pushes apart, one
above pulls together. Greedy additive edge contraction (GAEC; Keuper et al., ICCV 2015)
merges, at each step, the two clusters joined by the largest positive total and stops when
none is positive. It runs inside the connected components of edges above the threshold
(two incidents in different components can never gain by merging), so the work grows with
the number of edges, not with the square of the incidents.

`frozen` clusters (series already stored) may take in new incidents but never merge with
each other: that is how new incidents attach without relinking everything.
"""

from __future__ import annotations

import heapq

import numpy as np
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
    """GAEC over the listed edges; returns each node's final cluster node."""
    adjacency: dict[int, dict[int, float]] = {}
    for x, y, v in zip(a.tolist(), b.tolist(), w.tolist(), strict=True):
        row = adjacency.setdefault(x, {})
        row[y] = row.get(y, 0.0) + v
        other = adjacency.setdefault(y, {})
        other[x] = other.get(x, 0.0) + v
    heap = [(-v, x, y) for x, row in adjacency.items() for y, v in row.items()
            if x < y and v > 0]
    heapq.heapify(heap)
    is_frozen = set(np.flatnonzero(frozen).tolist()) if frozen is not None else set()
    parent = np.arange(nodes)
    while heap:
        negative, x, y = heapq.heappop(heap)
        row = adjacency.get(x)
        if row is None or y not in adjacency or row.get(y) != -negative:
            continue  # stale: one side was merged since this entry was pushed
        if x in is_frozen and y in is_frozen:
            continue
        if len(row) < len(adjacency[y]):
            x, y = y, x
        # y joins x
        parent[y] = x
        if y in is_frozen:
            is_frozen.add(x)
        gone = adjacency.pop(y)
        gone.pop(x, None)
        adjacency[x].pop(y, None)
        for z, v in gone.items():
            del adjacency[z][y]
            total = adjacency[x].get(z, 0.0) + v
            adjacency[x][z] = total
            adjacency[z][x] = total
            if total > 0:
                heapq.heappush(heap, (-total, min(x, z), max(x, z)))
    # follow parents to the root
    root = parent.copy()
    while True:
        nxt = root[root]
        if np.array_equal(nxt, root):
            return root
        root = nxt
