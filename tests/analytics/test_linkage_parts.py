"""The parts of linkage on hand-made inputs: n-gram vectors, MinHash-LSH, clustering."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from analytics.linkage_cluster import cluster
from analytics.text_vectors import lsh_buckets, minhash, normalise, pair_cosine, tfidf

PHRASES = [
    "The reckoning will not stay silent - a patriot!!",
    "The reckonnig will not stay silent - a patriot",
    "Justice will sweep you away. Tick tock.",
    "Justice will SWEEP you away Tcik tock",
    "You have betrayed the 17.4 million",
]


def _texts(values: list[str | None]) -> pl.Series:
    return pl.DataFrame({"t": values}).select(normalise(pl.col("t"))).to_series()


@pytest.mark.unit
def test_hashed_ngram_cosine_tracks_scikit_learn() -> None:
    """Same weighting as TfidfVectorizer(char_wb, 3–5, sublinear_tf); hashing and padding
    differ slightly, so the cosines agree to a few hundredths, typos stay close."""
    texts = _texts(PHRASES)
    ours = tfidf(texts)
    reference = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True
                                ).fit_transform(texts.to_list())
    left, right = np.array([0, 2, 0, 1]), np.array([1, 3, 2, 4])
    expected = np.asarray(reference[left].multiply(reference[right]).sum(axis=1)).ravel()
    got = pair_cosine(ours, left, right)
    assert np.allclose(got, expected, atol=0.05)
    assert got[0] > 0.7 and got[1] > 0.6 and got[2] < 0.2


@pytest.mark.unit
def test_empty_and_missing_texts_have_no_vector() -> None:
    texts = _texts([None, "", "  ", "dealt with"])
    matrix = tfidf(texts)
    assert list(np.diff(matrix.indptr)[:3]) == [0, 0, 0]
    assert pair_cosine(matrix, np.array([0, 3]), np.array([1, 3])).tolist() == pytest.approx(
        [0.0, 1.0])


def _bucket_pairs(texts: pl.Series, max_bucket: int) -> set[tuple[int, int]]:
    members = lsh_buckets(minhash(texts), max_bucket)
    together = members.join(members, on="bucket", suffix="_r").filter(
        pl.col("row") < pl.col("row_r"))
    return set(together.select("row", "row_r").unique().iter_rows())


@pytest.mark.unit
def test_lsh_buckets_join_near_duplicates_and_skip_crowded_ones() -> None:
    texts = _texts(PHRASES)
    pairs = _bucket_pairs(texts, max_bucket=10)
    assert (0, 1) in pairs
    assert (0, 4) not in pairs and (2, 4) not in pairs
    crowd = _texts(["dealt with"] * 30 + PHRASES[:2])
    crowded = _bucket_pairs(crowd, max_bucket=10)
    assert (30, 31) in crowded
    assert not any(a < 30 and b < 30 for a, b in crowded)


def _edges(pairs: list[tuple[int, int, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a, b, s = zip(*pairs, strict=True)
    return np.array(a), np.array(b), np.array(s)


@pytest.mark.unit
def test_one_bridge_does_not_chain_two_series() -> None:
    """Two tight triangles joined by one strong edge whose ends disagree with the rest."""
    triangle = [(0, 1, 0.95), (0, 2, 0.95), (1, 2, 0.95), (3, 4, 0.95), (3, 5, 0.95),
                (4, 5, 0.95)]
    bridge = [(2, 3, 0.9), (1, 3, 0.05), (2, 4, 0.05), (0, 3, 0.05)]
    labels = cluster(6, *_edges(triangle + bridge), threshold=0.5)
    assert labels.tolist() == [0, 0, 0, 3, 3, 3]


@pytest.mark.unit
def test_a_pair_never_compared_is_no_evidence() -> None:
    """A chain 0–1–2–3 of strong edges with no edge between the ends stays one series
    (average linkage on a dense matrix would have counted 0–3 as 'certainly different')."""
    labels = cluster(4, *_edges([(0, 1, 0.99), (1, 2, 0.99), (2, 3, 0.99)]), threshold=0.5)
    assert labels.tolist() == [0, 0, 0, 0]


@pytest.mark.unit
def test_frozen_series_take_new_members_but_never_merge() -> None:
    # rows 0,1 stored as series 0; rows 2,3 stored as series 1; row 4 new, like both
    frozen = np.array([0, 0, 1, 1, -1])
    edges = [(0, 4, 0.99), (1, 4, 0.99), (2, 4, 0.9), (1, 2, 0.99)]
    labels = cluster(5, *_edges(edges), threshold=0.5, frozen=frozen)
    assert labels[0] == labels[1] == labels[4]
    assert labels[2] == labels[3] != labels[0]
