"""Cross-border series: which incidents one offender (or one campaign sender) committed.

The design follows `shared/notes/series-linkage.md` §3, in three steps that never compare
all pairs:
1. candidate pairs by blocking and their evidence (`analytics.linkage_evidence`): shared
   suspect keys, near-identical quoted phrases (MinHash-LSH), the same victim within 30 days;
2. a pair score: logistic regression on comparison levels an analyst can read (shared keys,
   keys that conflict, phrase similarity, time apart, platform, victim). The force is never
   evidence. The weights are learned from `plait synth` truth by `train_model` and kept in
   `analytics/models/linkage.json`; each pair's score splits into per-level contributions, which
   the reasons and the search quote;
3. clustering (`analytics.linkage_cluster`): average linkage of the pair log-odds over the
   pairs actually compared, so one strong bridge does not merge two series and a pair
   blocking never proposed is no evidence either way.
Every incident ends in exactly one series; one in no series gets a series of its own.
Besides the batch `link`, `search` ranks the incidents most like a few seed incidents and
`attach` places new incidents into stored series without reclustering the old ones.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.linear_model import LogisticRegression

from analytics.linkage_cluster import cluster
from analytics.linkage_evidence import (
    FEATURES,
    PLACEHOLDER,
    QUOTED,
    compare,
    evidence,
    explain,
    prepare,
)
from analytics.text_vectors import normalise

THRESHOLD = 0.5


def model_path() -> Path:
    """Where the trained pair weights live: `analytics/models/linkage.json`, package data.

    The one place that knows the path. Found through `importlib.resources`, so an installed
    plait (not only a source checkout) has its model; in a checkout or an editable install it
    is the file in the source tree, which `benchmarks/link/run.py train` rewrites."""
    return Path(str(files("analytics") / "models" / "linkage.json"))


MODEL_PATH = model_path()


@dataclass(frozen=True)
class LinkModel:
    """Logistic weights per feature; the score of a pair is σ(intercept + Σ wᵢxᵢ)."""

    intercept: float
    weights: dict[str, float]
    threshold: float = THRESHOLD

    def logit(self) -> pl.Expr:
        return pl.lit(self.intercept) + pl.sum_horizontal(
            pl.col(f).cast(pl.Float64) * w for f, w in self.weights.items())

    def score(self, pairs: pl.DataFrame) -> pl.DataFrame:
        return pairs.with_columns((1 / (1 + (-self.logit()).exp())).alias("score"))

    def save(self, path: Path = MODEL_PATH) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"intercept": self.intercept, "weights": self.weights,
                                    "threshold": self.threshold}, indent=2) + "\n")

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> LinkModel:
        data = json.loads(path.read_text())
        return cls(float(data["intercept"]), {k: float(v) for k, v in data["weights"].items()},
                   float(data.get("threshold", THRESHOLD)))


def model_fingerprint(path: Path = MODEL_PATH) -> dict[str, object]:
    """What identifies the model a run used: its path, the SHA-256 of its bytes, and every
    setting the file holds besides the weights (the threshold; training seeds and scales
    when the trainer records them), so a stored run can be traced to the exact model."""
    raw = path.read_bytes()
    data = json.loads(raw)
    settings = {k: v for k, v in data.items() if k not in ("intercept", "weights")}
    root = MODEL_PATH.parents[2]
    shown = path.relative_to(root) if path.is_relative_to(root) else path
    return {"path": str(shown), "sha256": hashlib.sha256(raw).hexdigest(),
            **settings, "threshold": float(data.get("threshold", THRESHOLD))}


@dataclass
class Linkage:
    assignments: pl.DataFrame  # incident_id, series_id, score
    pairs: pl.DataFrame  # left, right, features…, score
    series: pl.DataFrame  # series_id, size, n_forces, reason


def train_model(pairs: pl.DataFrame, same_series: pl.Series) -> LinkModel:
    """Fit the level weights on labelled candidate pairs (from generator truth)."""
    x = pairs.select(pl.col(f).cast(pl.Float64) for f in FEATURES).to_numpy()
    model = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced")
    model.fit(x, same_series.to_numpy())
    return LinkModel(float(model.intercept_[0]),
                     {f: float(w) for f, w in zip(FEATURES, model.coef_[0], strict=True)})


def scored_pairs(incidents: pl.DataFrame, model: LinkModel | None = None,
                 focus: pl.Series | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The prepared incidents and their blocked pairs with evidence and `score`."""
    model = model or LinkModel.load()
    frame = prepare(incidents)
    return frame, model.score(evidence(frame, focus))


def link(incidents: pl.DataFrame, model: LinkModel | None = None,
         threshold: float | None = None) -> Linkage:
    """Series for canonical incidents (incident_id, force_id, reported_date, channel,
    platform, victim_id, victim_role, suspect_keys, summary)."""
    model = model or LinkModel.load()
    threshold = model.threshold if threshold is None else threshold
    frame, pairs = scored_pairs(incidents, model)
    labels = cluster(frame.height, pairs["left"].to_numpy(), pairs["right"].to_numpy(),
                     pairs["score"].to_numpy(), threshold)
    return _result(frame, pairs, labels)


def _result(frame: pl.DataFrame, pairs: pl.DataFrame, labels: np.ndarray,
            names: pl.Series | None = None) -> Linkage:
    """Assignments, member scores and reasons for a labelling of the prepared rows.

    A series is named after its first incident (`series:<incident_id>`) unless `names`
    gives a name per row (a stored series keeps its name when new incidents attach)."""
    assigned = pl.DataFrame({"idx": frame["idx"], "incident_id": frame["incident_id"],
                             "label": labels})
    if names is None:
        named = assigned.group_by("label").agg(
            pl.concat_str(pl.lit("series:"), pl.col("incident_id").min()).alias("series_id"))
    else:
        named = assigned.with_columns(names.alias("name")).group_by("label").agg(
            pl.coalesce(pl.col("name").drop_nulls().first(),
                        pl.concat_str(pl.lit("series:"), pl.col("incident_id").min()))
            .alias("series_id"))
    assigned = assigned.join(named, on="label").with_columns(
        pl.len().over("label").alias("size"))
    label_of = assigned.select("idx", "label")
    within = pairs.join(label_of.rename({"idx": "left"}), on="left").join(
        label_of.rename({"idx": "right", "label": "label_r"}), on="right").filter(
        pl.col("label") == pl.col("label_r"))
    ends = [pl.col("left").alias("idx"), pl.col("right").alias("idx")]
    member_score = pl.concat([within.select(e, "score") for e in ends]).group_by("idx").agg(
        pl.col("score").mean().alias("member_score"))
    best = pl.concat([pairs.select(e, "score") for e in ends]).group_by("idx").agg(
        pl.col("score").max().alias("best"))
    assignments = (
        assigned.join(member_score, on="idx", how="left")
        .join(best, on="idx", how="left")
        .with_columns(
            pl.when(pl.col("size") > 1).then(pl.col("member_score").fill_null(0.0))
            .otherwise(1 - pl.col("best").fill_null(0.0)).clip(0, 1).alias("score"))
        .sort("idx")
        .select("incident_id", "series_id", "score")
    )
    within = within.join(assignments.select(
        pl.col("incident_id"), "series_id").join(
        frame.select("idx", "incident_id"), on="incident_id").select(
        pl.col("idx").alias("left"), "series_id"), on="left")
    return Linkage(assignments, pairs, _reasons(frame, assignments, within))


def search(incidents: pl.DataFrame, seeds: list[str], model: LinkModel | None = None,
           top: int = 20) -> pl.DataFrame:
    """Incidents most like the seed incidents, best first ("incidents like these").

    Series Finder's seeded mode (Wang et al. 2013), on this model: blocking proposes the
    candidates (every incident paired with some seed), then each candidate is compared with
    every seed, blocked or not, and ranked by its mean log-odds over the seeds, so a
    candidate like all the seeds ranks above one like a single seed. Returns incident_id,
    score (σ of that mean: the model's confidence that the candidate is in the seeds'
    series), seeds_matched (seeds it scores above the threshold with) and why (the levels
    that weigh most against its closest seed)."""
    model = model or LinkModel.load()
    wanted = list(dict.fromkeys(seeds))
    missing = set(wanted) - set(incidents["incident_id"].to_list())
    if missing:
        raise ValueError(f"seed incidents not found: {', '.join(sorted(missing))}")
    focus = incidents["incident_id"].is_in(wanted)
    frame, blocked = scored_pairs(incidents, model, focus)
    ids = frame.select("idx", "incident_id")
    seed_rows = ids.filter(pl.col("incident_id").is_in(wanted))["idx"].cast(pl.UInt32)
    candidates = pl.concat([blocked["left"], blocked["right"]]).unique()
    candidates = candidates.filter(~candidates.is_in(seed_rows.implode()))
    if candidates.len() == 0:
        return pl.DataFrame(schema={"incident_id": pl.String, "score": pl.Float64,
                                    "seeds_matched": pl.UInt32, "why": pl.String})
    pairs = pl.DataFrame({"left": candidates}).join(
        pl.DataFrame({"right": seed_rows}), how="cross")
    scored = model.score(compare(frame, pairs)).with_columns(
        (pl.col("score").clip(1e-9, 1 - 1e-9).log()
         - (1 - pl.col("score").clip(1e-9, 1 - 1e-9)).log()).alias("logit"))
    closest = scored.sort("score", descending=True).unique("left", keep="first")
    why = {r["left"]: explain(model.weights, r) for r in closest.iter_rows(named=True)}
    return (
        scored.group_by(pl.col("left").alias("idx")).agg(
            pl.col("logit").mean().alias("mean_logit"),
            (pl.col("score") >= model.threshold).sum().cast(pl.UInt32).alias("seeds_matched"))
        .sort("mean_logit", "idx", descending=[True, False]).head(top)
        .join(ids.with_columns(pl.col("idx").cast(pl.UInt32)), on="idx")
        .with_columns(pl.col("idx").replace_strict(why, return_dtype=pl.String).alias("why"),
                      (1 / (1 + (-pl.col("mean_logit")).exp())).alias("score"))
        .sort("mean_logit", "idx", descending=[True, False])
        .select("incident_id", "score", "seeds_matched", "why")
    )


def attach(incidents: pl.DataFrame, stored: pl.DataFrame, model: LinkModel | None = None,
           threshold: float | None = None) -> Linkage:
    """Place incidents not yet in `stored` (incident_id, series_id) into stored series or
    new ones, without reclustering what is stored.

    Only pairs touching a new incident are compared. A stored series is one cluster from
    the start: it may take in new incidents, and a new incident may pull another new one in
    with it, but two stored series are never merged or split here (that is the batch run's
    job, when an analyst asks for it)."""
    model = model or LinkModel.load()
    threshold = model.threshold if threshold is None else threshold
    known = stored.select("incident_id", "series_id").unique("incident_id")
    is_new = ~incidents["incident_id"].is_in(known["incident_id"].implode())
    frame, pairs = scored_pairs(incidents, model, is_new)
    names = frame.select("incident_id").join(known, on="incident_id", how="left")["series_id"]
    frozen = names.rank("dense").fill_null(0).cast(pl.Int64).to_numpy() - 1
    labels = cluster(frame.height, pairs["left"].to_numpy(), pairs["right"].to_numpy(),
                     pairs["score"].to_numpy(), threshold, frozen=frozen)
    return _result(frame, pairs, labels, names)


def _reasons(frame: pl.DataFrame, assignments: pl.DataFrame,
             within: pl.DataFrame) -> pl.DataFrame:
    """One sentence per multi-incident series, from the evidence that links its members:
    "3 shared suspect keys; phrase 'final warning' in 9 of 11; email in 10 of 11;
    11 victims in 6 forces over 40 days"."""
    joined = frame.select(
        "incident_id", "force_id", "victim_id", "channel", "reported_date", "keys", "summary"
    ).join(assignments, on="incident_id").filter(pl.col("series_id").is_duplicated())
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
        pl.col("reported_date").min().alias("first"),
        pl.col("reported_date").max().alias("last"),
    ).join(shared, on="series_id", how="left").with_columns(pl.col("shared_keys").fill_null(0))
    channel = (joined.group_by("series_id", "channel").len("channel_n")
               .sort("channel_n", "channel", descending=[True, False], nulls_last=True)
               .unique("series_id", keep="first"))
    summary = summary.join(channel, on="series_id", how="left")
    similarity = within.filter(pl.col("phrase_similarity") > 0).group_by("series_id").agg(
        pl.col("phrase_similarity").mean().alias("alike"))
    # phrases are counted in their normalised form and quoted as most often written
    phrase = (
        joined.select("series_id", "incident_id",
                      pl.col("summary").cast(pl.String).fill_null("").str.extract_all(QUOTED)
                      .alias("written"))
        .explode("written").drop_nulls()
        .with_columns(pl.col("written").str.slice(1, pl.col("written").str.len_chars() - 2)
                      .str.replace_all(PLACEHOLDER, "…"))
        .with_columns(normalise(pl.col("written")).alias("phrase"))
        .filter(pl.col("phrase") != "")
        .group_by("series_id", "phrase").agg(
            pl.col("incident_id").n_unique().alias("phrase_n"),
            pl.col("written").mode().sort().first().alias("written"))
        .sort("phrase_n", "phrase", descending=[True, False])
        .unique("series_id", keep="first")
    )
    summary = summary.join(similarity, on="series_id", how="left").join(
        phrase, on="series_id", how="left")
    keys_text = pl.when(pl.col("shared_keys") == 1).then(pl.lit("1 shared suspect key")).otherwise(
        pl.format("{} shared suspect keys", pl.col("shared_keys")))
    quoted = pl.when(pl.col("phrase_n") >= 2).then(
        pl.format("; phrase '{}' in {} of {} (quoted phrases {}% alike on average)",
                  pl.col("written").str.slice(0, 60), pl.col("phrase_n"), pl.col("size"),
                  (pl.col("alike").fill_null(0) * 100).round(0).cast(pl.Int64))
    ).otherwise(pl.lit(""))
    return summary.select(
        "series_id", "size", "n_forces",
        pl.concat_str(
            keys_text,
            quoted,
            pl.format(
                "; {} in {} of {}; {} victims in {} forces over {} days",
                pl.col("channel").fill_null("channel unknown"), pl.col("channel_n"),
                pl.col("size"), pl.col("n_victims"),
                pl.col("n_forces"), (pl.col("last") - pl.col("first")).dt.total_days() + 1,
            ),
        ).alias("reason"),
    ).sort("size", "series_id", descending=[True, False])
