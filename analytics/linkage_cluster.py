"""Series from scored pairs: greedy contraction of the pair log-odds, over compared pairs only.

Connected components of strong edges chain unrelated series through one bridge; average
linkage on a dense matrix (the first design) counts every pair that blocking never proposed
as "certainly different", so a long series whose early and late phrases drifted apart was
cut in pieces. Here each compared pair carries its log-odds against the threshold
(logit(score) − logit(t)): above the threshold it pulls together, below it pushes apart, and
a pair never compared is no evidence either way. Clusters are contracted greedily, the most
attracted pair of clusters first, until no pair of clusters attracts.

The affinity of two clusters is the *mean* log-odds over their compared pairs (average
linkage on the sparse graph, `MEAN = True`), or their *sum* (greedy additive edge
contraction for correlation clustering, Keuper et al., ICCV 2015). Mean was chosen on the
training seeds: pairwise F1 0.961 against 0.953 at threshold 0.7 over seeds 101–103 at
scales 1 and 5; the sum lets two large series merge on many weak edges (at 100,000
incidents, F1 0.71 against 0.77). Contraction runs inside the connected components of edges
above the threshold (two incidents in different components can never gain by merging), so
the work grows with the number of edges, not with the square of the incidents.

`frozen` clusters (series already stored) may take in new incidents but never merge with
each other: that is how new incidents attach without relinking everything.
"""

from __future__ import annotations

import heapq

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

MEAN = True


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
              frozen: np.ndarray | None, mean: bool | None = None) -> np.ndarray:
    """Greedy contraction over the listed edges; returns each node's final cluster node.

    Two clusters' affinity is the sum of the weights between them (GAEC) or, with `mean`,
    their average over the pairs actually compared (average linkage on the sparse graph)."""
    total: dict[int, dict[int, float]] = {}
    count: dict[int, dict[int, int]] = {}
    for x, y, v in zip(a.tolist(), b.tolist(), w.tolist(), strict=True):
        for p, q in ((x, y), (y, x)):
            total.setdefault(p, {})[q] = total.get(p, {}).get(q, 0.0) + v
            count.setdefault(p, {})[q] = count.get(p, {}).get(q, 0) + 1

    mean = MEAN if mean is None else mean

    def affinity(x: int, y: int) -> float:
        return total[x][y] / count[x][y] if mean else total[x][y]

    heap = [(-affinity(x, y), x, y) for x, row in total.items() for y in row
            if x < y and affinity(x, y) > 0]
    heapq.heapify(heap)
    is_frozen = set(np.flatnonzero(frozen).tolist()) if frozen is not None else set()
    parent = np.arange(nodes)
    while heap:
        negative, x, y = heapq.heappop(heap)
        if x not in total or y not in total[x] or affinity(x, y) != -negative:
            continue  # stale: one side was merged since this entry was pushed
        if x in is_frozen and y in is_frozen:
            continue
        if len(total[x]) < len(total[y]):
            x, y = y, x
        # y joins x
        parent[y] = x
        if y in is_frozen:
            is_frozen.add(x)
        gone, gone_count = total.pop(y), count.pop(y)
        for table in (gone, gone_count, total[x], count[x]):
            table.pop(x, None)
            table.pop(y, None)
        for z, v in gone.items():
            del total[z][y]
            n = count[z].pop(y)
            total[x][z] = total[z][x] = total[x].get(z, 0.0) + v
            count[x][z] = count[z][x] = count[x].get(z, 0) + n
            if affinity(x, z) > 0:
                heapq.heappush(heap, (-affinity(x, z), min(x, z), max(x, z)))
    # follow parents to the root
    root = parent.copy()
    while True:
        nxt = root[root]
        if np.array_equal(nxt, root):
            return root
        root = nxt
