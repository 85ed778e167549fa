"""Character n-gram vectors and near-duplicate search for short texts, at a million rows.

Linkage compares what offenders write: a signature phrase that drifts by a typo or a
swapped word. Character n-grams survive such drift, and inverse document frequency mutes
stock wording that thousands of unrelated incidents share. scikit-learn's vectorisers run
their analyser in Python, one document at a time, which is minutes at a million incidents;
here the n-grams of all texts are read at once from the Arrow buffer with numpy, hashed
into a fixed number of columns (the hashing trick, so no vocabulary is held), and weighted
as `TfidfVectorizer(sublinear_tf=True)` weights them.

Near-duplicates are found by MinHash-LSH (Broder 1997; Leskovec, Rajaraman & Ullman,
"Mining of Massive Datasets" ch. 3): `BANDS` bands of `ROWS` min-hashes each; two texts
whose n-gram sets have Jaccard similarity J share a band with probability 1 − (1 − J^ROWS)^BANDS
(0.98 at J = 0.6, 0.05 at J = 0.2). A band bucket holding more than `max_bucket` texts is a
stock phrase or a mass template, not one sender's, and yields no pairs. Cost is linear in the
total text length plus the pairs produced; no pair of texts is compared unless they share a
bucket.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
from scipy.sparse import csr_matrix

NGRAMS = (3, 4, 5)
COLUMNS = 1 << 20
BANDS = 12
ROWS = 3
MERSENNE = np.uint64((1 << 61) - 1)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def normalise(texts: pl.Expr) -> pl.Expr:
    """Lower case, runs of anything but letters and digits as one space, padded with spaces
    so that word edges are n-grams of their own (as scikit-learn's `char_wb` does)."""
    body = texts.fill_null("").str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]+", " ")
    body = body.str.strip_chars()
    return pl.when(body == "").then(pl.lit("")).otherwise(pl.concat_str(
        pl.lit(" "), body, pl.lit(" ")))


def _buffers(texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of all texts end to end, and each text's start offset (n + 1 values)."""
    array = texts.fill_null("").to_arrow()
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    array = array.cast(pa.large_string())
    _, offsets_buffer, data_buffer = array.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[array.offset:
                                                              array.offset + len(array) + 1]
    data = (np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None
            else np.zeros(0, dtype=np.uint8))
    return data, offsets


def ngram_hashes(texts: pl.Series, sizes: tuple[int, ...] = NGRAMS
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Every byte n-gram of every text: (row of the text, 64-bit hash), rows ascending.

    One pass per n over the whole buffer: the n-gram ending at each byte is built from the
    (n − 1)-gram before it, and an n-gram is kept while n bytes of its own text remain."""
    data, offsets = _buffers(texts)
    lengths = np.diff(offsets)
    data = data[offsets[0]: offsets[-1]].astype(np.uint64)
    total = data.size
    sizes = tuple(sorted(sizes))
    if total == 0 or not sizes:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    remaining = np.repeat(offsets[1:] - offsets[0], lengths) - np.arange(total, dtype=np.int64)
    grams = np.zeros((total, len(sizes)), dtype=np.uint64)
    keep = np.zeros((total, len(sizes)), dtype=bool)
    value = data.copy()
    for k in range(1, sizes[-1]):
        value[: total - k] = (value[: total - k] << np.uint64(8)) | data[k:]
        if k + 1 in sizes:
            j = sizes.index(k + 1)
            # n is mixed in so that a 3-gram and a 5-gram with equal bytes stay apart
            grams[:, j] = (value ^ np.uint64((k + 1) << 56)) * _GOLDEN
            keep[:, j] = remaining >= k + 1
    if sizes[0] == 1:
        grams[:, 0] = (data ^ np.uint64(1 << 56)) * _GOLDEN
        keep[:, 0] = True
    row_of_byte = np.repeat(np.arange(lengths.size, dtype=np.int64), lengths)
    mask = keep.ravel()
    return np.repeat(row_of_byte, len(sizes))[mask], grams.ravel()[mask]


def tfidf(texts: pl.Series, sizes: tuple[int, ...] = NGRAMS) -> csr_matrix:
    """Rows L2-normalised; weight (1 + log tf) · (1 + log((1 + n) / (1 + df)))."""
    n = texts.len()
    row, value = ngram_hashes(texts, sizes)
    column = (value >> np.uint64(64 - 20)).astype(np.int32)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=n), out=indptr[1:])
    matrix = csr_matrix((np.ones(row.size, dtype=np.float32), column, indptr),
                        shape=(n, COLUMNS))
    matrix.sum_duplicates()
    df = np.bincount(matrix.indices, minlength=COLUMNS)
    idf = (np.log((1 + n) / (1 + df)) + 1).astype(np.float32)
    matrix.data = (1 + np.log(matrix.data)) * idf[matrix.indices]
    counts = np.diff(matrix.indptr)
    row_of_entry = np.repeat(np.arange(n), counts)
    norms = np.sqrt(np.bincount(row_of_entry, weights=matrix.data.astype(np.float64) ** 2,
                                minlength=n))
    norms = np.where(counts > 0, norms, 1.0).astype(np.float32)
    matrix.data /= norms[row_of_entry]
    return matrix


def pair_cosine(matrix: csr_matrix, left: np.ndarray, right: np.ndarray,
                chunk: int = 1_000_000) -> np.ndarray:
    """Cosine of each listed pair (rows are unit length), in chunks to bound memory."""
    out = np.empty(left.size, dtype=np.float32)
    for start in range(0, left.size, chunk):
        a = matrix[left[start: start + chunk]]
        b = matrix[right[start: start + chunk]]
        out[start: start + chunk] = np.asarray(a.multiply(b).sum(axis=1)).ravel()
    return out


def minhash(texts: pl.Series, permutations: int = BANDS * ROWS, seed: int = 20261129,
            sizes: tuple[int, ...] = NGRAMS) -> np.ndarray:
    """(rows × permutations) min-hash signatures; a text with no n-gram gets all-max rows."""
    n = texts.len()
    row, value = ngram_hashes(texts, sizes)
    signatures = np.full((n, permutations), np.iinfo(np.uint64).max, dtype=np.uint64)
    if row.size == 0:
        return signatures
    present = np.flatnonzero(np.bincount(row, minlength=n))
    starts = np.searchsorted(row, present)
    rng = np.random.default_rng(seed)
    multipliers = rng.integers(1, 1 << 61, size=permutations, dtype=np.uint64) | np.uint64(1)
    adders = rng.integers(0, 1 << 61, size=permutations, dtype=np.uint64)
    for k in range(permutations):
        permuted = value * multipliers[k] + adders[k]
        signatures[present, k] = np.minimum.reduceat(permuted, starts)
    return signatures


def lsh_buckets(signatures: np.ndarray, max_bucket: int, rows: int = ROWS,
                weights: np.ndarray | None = None) -> pl.DataFrame:
    """(row, bucket) for every band bucket holding two rows or more whose total weight
    (rows, or `weights` per row, such as how many incidents hold each distinct text) is at
    most max_bucket; `bucket` is a 64-bit id unique across bands."""
    permutations = signatures.shape[1]
    keep = np.flatnonzero(signatures[:, 0] != np.iinfo(np.uint64).max)
    weight = np.ones(keep.size, dtype=np.int64) if weights is None else weights[keep]
    frames = []
    for band in range(permutations // rows):
        block = signatures[keep, band * rows: (band + 1) * rows]
        key = block[:, 0] ^ np.uint64(band)
        for j in range(1, rows):
            key = (key * _GOLDEN) ^ block[:, j]
        frames.append(pl.DataFrame({"row": keep.astype(np.uint32), "bucket": key,
                                    "weight": weight}))
    if not frames:
        return pl.DataFrame(schema={"row": pl.UInt32, "bucket": pl.UInt64})
    members = pl.concat(frames)
    sizes = members.group_by("bucket").agg(
        pl.len().alias("n"), pl.col("weight").sum().alias("total")).filter(
        (pl.col("n") >= 2) & (pl.col("total") <= max_bucket))
    return members.join(sizes.select("bucket"), on="bucket").select("row", "bucket")

