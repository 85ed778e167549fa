"""Cross-border series: which incidents one offender (or one campaign sender) committed.

The design follows `shared/notes/series-linkage.md` §3, in three steps that never compare
all pairs:
1. candidate pairs by blocking: a shared suspect key (keyed hash of an email, phone,
   handle, handle stem or name), near-identical modus-operandi text (character n-gram
   TF-IDF, the k nearest neighbours above a cosine floor), and the same victim within 30
   days; a block larger than `MAX_BLOCK` is a stock value, not evidence, and is skipped;
2. a pair score: logistic regression on evidence an analyst can read (shared keys, text
   similarity, time gap, same channel, same platform, same victim, same victim role). The
   force is never evidence. The weights are learned from `plait synth` truth by
   `train_model` and kept in `data/models/linkage.json`; each pair's score splits into
   per-feature contributions, which the reasons quote;
3. clustering: edges above the threshold form components; inside a component, average
   linkage on 1 − score cuts chains, so one strong bridge does not merge two series.
Every incident ends in exactly one series; one in no series gets a series of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import squareform
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

MODEL_PATH = Path(__file__).resolve().parents[1] / "data" / "models" / "linkage.json"
# Comparison levels, as in Fellegi–Sunter: each pair falls in one level per comparison and
# each level has its own learned weight, so similarity need not act linearly.
FEATURES: tuple[str, ...] = (
    "keys_1",
    "keys_2_plus",
    "signature_mid",
    "signature_high",
    "text_mid",
    "text_high",
    "days_8_30",
    "days_31_180",
    "days_over_180",
    "same_channel",
    "same_platform",
    "same_victim",
    "same_victim_role",
)
MAX_BLOCK = 200
TEXT_NEIGHBOURS = 20
TEXT_FLOOR = 0.3
VICTIM_WINDOW_DAYS = 30
THRESHOLD = 0.5
PLACEHOLDER = r"\[(?:name|email|phone|postcode|url|handle)\]"


@dataclass(frozen=True)
class LinkModel:
    """Logistic weights per feature; the score of a pair is σ(intercept + Σ wᵢxᵢ)."""

    intercept: float
    weights: dict[str, float]
    threshold: float = THRESHOLD

    def logit(self, pairs: pl.DataFrame) -> pl.Expr:
        return pl.lit(self.intercept) + pl.sum_horizontal(
            pl.col(f).cast(pl.Float64) * w for f, w in self.weights.items())

    def save(self, path: Path = MODEL_PATH) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"intercept": self.intercept, "weights": self.weights,
                                    "threshold": self.threshold}, indent=2) + "\n")

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> LinkModel:
        data = json.loads(path.read_text())
        return cls(float(data["intercept"]), {k: float(v) for k, v in data["weights"].items()},
                   float(data.get("threshold", THRESHOLD)))


@dataclass
class Linkage:
    assignments: pl.DataFrame  # incident_id, series_id, score
    pairs: pl.DataFrame  # left, right, features…, score
    series: pl.DataFrame  # series_id, size, n_forces, reason


def _prepare(incidents: pl.DataFrame) -> pl.DataFrame:
    keys = pl.col("suspect_keys")
    if incidents.schema.get("suspect_keys") == pl.String:
        keys = pl.col("suspect_keys").str.split(";")
    return incidents.with_row_index("idx").with_columns(
        keys.list.eval(pl.element().filter(pl.element() != "")).fill_null([]).alias("keys"),
        pl.col("summary").fill_null("").str.replace_all(PLACEHOLDER, " ").str.to_lowercase()
        .alias("text"),
        pl.col("summary").fill_null("").str.extract_all(r"\"[^\"]{6,}\"|'[^']{6,}'")
        .list.join(" ").str.to_lowercase().alias("signature"),
        pl.col("reported_date").cast(pl.Date),
    )


def _key_pairs(frame: pl.DataFrame) -> pl.DataFrame:
    exploded = frame.select("idx", pl.col("keys").alias("key")).explode("key").drop_nulls()
    sizes = exploded.group_by("key").len("n").filter(pl.col("n").is_between(2, MAX_BLOCK))
    members = exploded.join(sizes.select("key"), on="key")
    return (
        members.join(members, on="key", suffix="_r")
        .filter(pl.col("idx") < pl.col("idx_r"))
        .group_by(pl.col("idx").alias("left"), pl.col("idx_r").alias("right"))
        .agg(pl.len().alias("shared_keys"))
    )


def _vectors(texts: list[str]) -> csr_matrix:
    """Character n-grams survive typos and punctuation games; IDF mutes stock phrases."""
    if not any(texts):
        return csr_matrix((len(texts), 1))
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True
                           ).fit_transform(texts)


def _neighbours(vectors: csr_matrix) -> pl.DataFrame:
    """The k most similar incidents of each, above the floor (chunked sparse products)."""
    lefts: list[int] = []
    rights: list[int] = []
    for start in range(0, vectors.shape[0], 2000):
        block = (vectors[start : start + 2000] @ vectors.T).toarray()
        for offset, row in enumerate(block):
            i = start + offset
            row[i] = 0.0
            top = np.argpartition(-row, min(TEXT_NEIGHBOURS, row.size - 1))[:TEXT_NEIGHBOURS]
            for j in top[row[top] >= TEXT_FLOOR]:
                lefts.append(min(i, int(j)))
                rights.append(max(i, int(j)))
    return pl.DataFrame({"left": lefts, "right": rights},
                        schema={"left": pl.UInt32, "right": pl.UInt32}).unique()


def _victim_pairs(frame: pl.DataFrame) -> pl.DataFrame:
    victims = frame.select("idx", "victim_id", "reported_date").drop_nulls("victim_id")
    sizes = victims.group_by("victim_id").len("n").filter(pl.col("n") <= MAX_BLOCK)
    victims = victims.join(sizes.select("victim_id"), on="victim_id")
    return (
        victims.join(victims, on="victim_id", suffix="_r")
        .filter((pl.col("idx") < pl.col("idx_r"))
                & ((pl.col("reported_date_r") - pl.col("reported_date")).dt.total_days().abs()
                   <= VICTIM_WINDOW_DAYS))
        .select(pl.col("idx").alias("left"), pl.col("idx_r").alias("right"))
    )


def candidate_pairs(frame: pl.DataFrame) -> pl.DataFrame:
    """Blocked pairs with their evidence (the FEATURES columns)."""
    keys = _key_pairs(frame)
    text_vectors = _vectors(frame["text"].to_list())
    signature_vectors = _vectors(frame["signature"].to_list())
    pairs = pl.concat(
        [keys.select("left", "right"), _neighbours(text_vectors),
         _neighbours(signature_vectors), _victim_pairs(frame)],
        how="vertical_relaxed",
    ).unique()
    pairs = pairs.join(keys, on=["left", "right"], how="left").with_columns(
        pl.col("shared_keys").fill_null(0))
    left = pairs["left"].to_numpy()
    right = pairs["right"].to_numpy()

    def similarity(vectors: csr_matrix) -> np.ndarray:
        return np.asarray(vectors[left].multiply(vectors[right]).sum(axis=1)).ravel()

    attrs = frame.select("idx", "reported_date", "channel", "platform", "victim_id",
                         "victim_role")
    pairs = (
        pairs.with_columns(pl.Series("text_similarity", similarity(text_vectors)),
                           pl.Series("signature_similarity", similarity(signature_vectors)))
        .join(attrs, left_on="left", right_on="idx")
        .join(attrs, left_on="right", right_on="idx", suffix="_r")
    )
    days = (pl.col("reported_date_r") - pl.col("reported_date")).dt.total_days().abs()
    return pairs.select(
        "left", "right", "shared_keys", "text_similarity", "signature_similarity",
        days.alias("days_apart"),
        (pl.col("shared_keys") == 1).alias("keys_1"),
        (pl.col("shared_keys") >= 2).alias("keys_2_plus"),
        pl.col("signature_similarity").is_between(0.5, 0.8, closed="left").alias("signature_mid"),
        (pl.col("signature_similarity") >= 0.8).alias("signature_high"),
        pl.col("text_similarity").is_between(0.5, 0.8, closed="left").alias("text_mid"),
        (pl.col("text_similarity") >= 0.8).alias("text_high"),
        days.is_between(8, 30).alias("days_8_30"),
        days.is_between(31, 180).alias("days_31_180"),
        (days > 180).alias("days_over_180"),
        (pl.col("channel") == pl.col("channel_r")).fill_null(False).alias("same_channel"),
        (pl.col("platform") == pl.col("platform_r")).fill_null(False).alias("same_platform"),
        (pl.col("victim_id") == pl.col("victim_id_r")).fill_null(False).alias("same_victim"),
        (pl.col("victim_role") == pl.col("victim_role_r")).fill_null(False)
        .alias("same_victim_role"),
    )


def train_model(pairs: pl.DataFrame, same_series: pl.Series) -> LinkModel:
    """Fit the pair weights on labelled candidate pairs (from generator truth)."""
    x = pairs.select(pl.col(f).cast(pl.Float64) for f in FEATURES).to_numpy()
    model = LogisticRegression(C=1.0, max_iter=1000, class_weight="balanced")
    model.fit(x, same_series.to_numpy())
    return LinkModel(float(model.intercept_[0]),
                     {f: float(w) for f, w in zip(FEATURES, model.coef_[0], strict=True)})


def _cluster(n: int, pairs: pl.DataFrame, threshold: float) -> np.ndarray:
    """Components of strong edges, cut by average linkage inside each component."""
    strong = pairs.filter(pl.col("score") >= threshold)
    left, right = strong["left"].to_numpy(), strong["right"].to_numpy()
    graph = csr_matrix((np.ones(left.size), (left, right)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    labels = component.astype(np.int64) * n
    scores = dict(zip(zip(left.tolist(), right.tolist(), strict=True),
                      strong["score"].to_list(), strict=True))
    for comp in np.unique(component):
        members = np.flatnonzero(component == comp)
        if members.size <= 2:
            continue
        position = {m: i for i, m in enumerate(members.tolist())}
        distance = np.ones((members.size, members.size))
        np.fill_diagonal(distance, 0.0)
        for (a, b), s in scores.items():
            if a in position and b in position:
                distance[position[a], position[b]] = distance[position[b], position[a]] = 1 - s
        tree = linkage(squareform(distance, checks=False), method="average")
        labels[members] = comp * n + fcluster(tree, t=1 - threshold, criterion="distance")
    return labels


def link(incidents: pl.DataFrame, model: LinkModel | None = None,
         threshold: float | None = None) -> Linkage:
    """Series for canonical incidents (incident_id, force_id, reported_date, channel,
    platform, victim_id, victim_role, suspect_keys, summary)."""
    model = model or LinkModel.load()
    threshold = model.threshold if threshold is None else threshold
    frame = _prepare(incidents)
    pairs = candidate_pairs(frame)
    pairs = pairs.with_columns(
        (1 / (1 + (-model.logit(pairs)).exp())).alias("score"))
    labels = _cluster(frame.height, pairs, threshold)
    ids = frame["incident_id"]
    label_series = pl.Series("label", labels)
    first = pl.DataFrame({"incident_id": ids, "label": label_series}).group_by("label").agg(
        pl.col("incident_id").min().alias("series_id"), pl.len().alias("size"))
    assigned = pl.DataFrame({"idx": frame["idx"], "incident_id": ids, "label": label_series})
    assigned = assigned.join(first, on="label").with_columns(
        pl.concat_str(pl.lit("series:"), pl.col("series_id")).alias("series_id"))
    within = pairs.join(assigned.select(pl.col("idx").alias("left"), pl.col("label")),
                        on="left").join(
        assigned.select(pl.col("idx").alias("right"), pl.col("label").alias("label_r")),
        on="right").filter(pl.col("label") == pl.col("label_r"))
    member_score = pl.concat([
        within.select(pl.col("left").alias("idx"), "score"),
        within.select(pl.col("right").alias("idx"), "score"),
    ]).group_by("idx").agg(pl.col("score").mean().alias("member_score"))
    best = pl.concat([
        pairs.select(pl.col("left").alias("idx"), "score"),
        pairs.select(pl.col("right").alias("idx"), "score"),
    ]).group_by("idx").agg(pl.col("score").max().alias("best"))
    assignments = (
        assigned.join(member_score, on="idx", how="left")
        .join(best, on="idx", how="left")
        .with_columns(
            pl.when(pl.col("size") > 1).then(pl.col("member_score"))
            .otherwise(1 - pl.col("best").fill_null(0.0)).clip(0, 1).alias("score"))
        .sort("idx")
        .select("incident_id", "series_id", "score")
    )
    series = _reasons(frame, assignments, within)
    return Linkage(assignments, pairs, series)


def _reasons(frame: pl.DataFrame, assignments: pl.DataFrame,
             within: pl.DataFrame) -> pl.DataFrame:
    """One sentence per multi-incident series, from the evidence that links its members."""
    joined = frame.join(assignments, on="incident_id").filter(
        pl.col("series_id").is_duplicated())
    if joined.height == 0:
        return pl.DataFrame(schema={"series_id": pl.String, "size": pl.UInt32,
                                    "n_forces": pl.UInt32, "reason": pl.String})
    keys = joined.select("series_id", pl.col("keys").alias("key")).explode("key").drop_nulls()
    shared = keys.group_by("series_id", "key").len("n").filter(pl.col("n") >= 2).group_by(
        "series_id").len("shared_keys")
    summary = joined.group_by("series_id").agg(
        pl.len().alias("size"),
        pl.col("force_id").n_unique().alias("n_forces"),
        pl.col("victim_id").n_unique().alias("n_victims"),
        pl.col("channel").mode().first().alias("channel"),
        ((pl.col("channel") == pl.col("channel").mode().first()).sum()).alias("channel_n"),
        pl.col("reported_date").min().alias("first"),
        pl.col("reported_date").max().alias("last"),
    ).join(shared, on="series_id", how="left").with_columns(pl.col("shared_keys").fill_null(0))
    text = within.join(
        frame.select(pl.col("idx").alias("left"), "incident_id"), on="left"
    ).join(assignments.select("incident_id", "series_id"), on="incident_id").group_by(
        "series_id").agg(pl.col("text_similarity").mean().alias("text"))
    phrase = (
        joined.with_columns(
            pl.col("signature").str.replace_all(r"[^\p{L}\p{N} ]+", "").str.strip_chars()
            .alias("phrase"))
        .filter(pl.col("phrase") != "")
        .group_by("series_id", "phrase").len("phrase_n")
        .sort("phrase_n", "phrase", descending=[True, False])
        .unique("series_id", keep="first")
    )
    summary = summary.join(text, on="series_id", how="left").join(
        phrase, on="series_id", how="left")
    quoted = pl.when(pl.col("phrase_n") >= 2).then(
        pl.format("; phrase '{}' in {} of {}", pl.col("phrase").str.slice(0, 60),
                  pl.col("phrase_n"), pl.col("size"))).otherwise(pl.lit(""))
    return summary.select(
        "series_id", "size", "n_forces",
        pl.concat_str(
            pl.format(
                "{} shared suspect keys; MO text {}% alike on average",
                pl.col("shared_keys"),
                (pl.col("text").fill_null(0) * 100).round(0).cast(pl.Int64),
            ),
            quoted,
            pl.format(
                "; {} in {} of {}; {} victims in {} forces over {} days",
                pl.col("channel"), pl.col("channel_n"), pl.col("size"), pl.col("n_victims"),
                pl.col("n_forces"), (pl.col("last") - pl.col("first")).dt.total_days() + 1,
            ),
        ).alias("reason"),
    ).sort("size", descending=True)
