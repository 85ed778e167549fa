"""Cross-border series: which incidents one offender (or one campaign sender) committed.

The design follows `shared/notes/series-linkage.md` §3 and issue 11, in three steps that
never compare all pairs:
1. candidate pairs by blocking and their comparison levels (`analytics.linkage_evidence`):
   shared suspect keys, rare wording anywhere in the summary, days apart, channel and
   platform, victim; what is rare or stock is read from the data itself (senders behind a
   value, from how its holders' other keys spread), never from a count cut-off;
2. Fellegi–Sunter weights estimated by EM on those pairs (`analytics.linkage_em`), with
   term-frequency adjustments per pair. The stored model (`analytics/models/linkage.json`) is
   only EM's starting point and a weak prior: a new data set gets its own m and u. A pair's
   posterior log-odds splits into per-comparison contributions, which the reasons and the
   search quote. The force is never evidence;
3. clustering (`analytics.linkage_cluster`): average linkage of the pair log-odds over the
   pairs actually compared, so one strong bridge does not merge two series and a pair
   blocking never proposed is no evidence either way. A pair is linked when its posterior
   probability of being one sender's is above `THRESHOLD` (0.5: more likely than not; not
   tuned on any data set).
Every incident ends in exactly one series; one in no series gets a series of its own.
Besides the batch `link`, `search` ranks the incidents most like a few seed incidents and
`attach` places new incidents into stored series without reclustering the old ones.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import numpy as np
import polars as pl

from analytics.linkage_cluster import cluster
from analytics.linkage_em import (
    FSParameters,
    contributions,
    fit_population,
    fit_sessions,
    log_odds,
)
from analytics.linkage_evidence import (
    LEVELS,
    PLACEHOLDER,
    QUOTED,
    Evidence,
    levels_of,
    prepare,
)
from analytics.text_vectors import normalise

THRESHOLD = 0.5
# u of the dense comparisons (days, channel, victim) is read on this many random pairs.
RANDOM_PAIRS = 300_000
DENSE = ("days", "channel", "victim")
SPARSE = ("keys", "text")
# Dense comparisons whose u is re-estimated among each session's candidate non-matches
# instead of random pairs: tried, pairwise F1 0.957 against 0.946 on style a seed 101, but
# 0.47 against 0.58 on style b seed 101 (seen, so this choice used both styles' development
# seeds; see benchmarks/link/README.md). Off: u from random pairs, as Splink does.
SESSION_U: tuple[str, ...] = ()


def model_path() -> Path:
    """Where EM's starting point lives: `analytics/models/linkage.json`, package data.

    The one place that knows the path. Found through `importlib.resources`, so an installed
    plait (not only a source checkout) has its model; in a checkout or an editable install it
    is the file in the source tree, which `benchmarks/link/run.py prior` rewrites."""
    return Path(str(files("analytics") / "models" / "linkage.json"))


MODEL_PATH = model_path()


@dataclass(frozen=True)
class LinkModel:
    """Where EM starts (m, u per level and λ), how strongly that start holds as a prior
    (pseudo-pairs per level), and the posterior threshold of a link."""

    start: FSParameters
    prior_strength: float = 2.0
    threshold: float = THRESHOLD
    notes: dict[str, object] = field(default_factory=dict)

    def save(self, path: Path = MODEL_PATH) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"threshold": self.threshold,
                                    "prior_strength": self.prior_strength,
                                    **self.notes, "start": self.start.as_json()},
                                   indent=2) + "\n")

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> LinkModel:
        data = json.loads(path.read_text())
        notes = {k: v for k, v in data.items()
                 if k not in ("start", "threshold", "prior_strength")}
        return cls(FSParameters.from_json(data["start"]),
                   float(data.get("prior_strength", 2.0)),
                   float(data.get("threshold", THRESHOLD)), notes)


def model_fingerprint(path: Path = MODEL_PATH) -> dict[str, object]:
    """What identifies the model a run used: its path, the SHA-256 of its bytes, and every
    setting the file holds besides EM's starting values (the threshold, the prior's
    strength, where the start came from), so a stored run can be traced to the exact model."""
    raw = path.read_bytes()
    data = json.loads(raw)
    settings = {k: v for k, v in data.items() if k != "start"}
    root = MODEL_PATH.parents[2]
    shown = path.relative_to(root) if path.is_relative_to(root) else path
    return {"path": str(shown), "sha256": hashlib.sha256(raw).hexdigest(),
            **settings, "threshold": float(data.get("threshold", THRESHOLD))}


@dataclass
class Linkage:
    assignments: pl.DataFrame  # incident_id, series_id, score
    pairs: pl.DataFrame  # left, right, levels…, measures…, score
    series: pl.DataFrame  # series_id, size, n_forces, reason
    parameters: FSParameters | None = None  # m, u and λ EM found on this data


@dataclass
class Fitted:
    """The evidence of one data set, the m and u EM fitted on its candidate pairs, and the
    data's own term frequencies."""

    evidence: Evidence
    params: FSParameters

    def score(self, pairs: pl.DataFrame, measured: pl.DataFrame | None = None
              ) -> pl.DataFrame:
        """Pairs (left, right) with their measures, levels, per-comparison contributions
        (`w_<comparison>`), posterior log-odds and `score` (the posterior probability).
        `measured` passes pairs already measured."""
        if measured is None:
            measured = self.evidence.measures(pairs)
        levels, adjust, senders = levels_of(measured)
        parts = contributions(levels, self.params, adjust, senders)
        contributions_ = {f"w_{c}": v for c, v in parts.items()}
        odds = log_odds(levels, self.params, adjust, senders)
        return measured.with_columns(
            *(pl.Series(f"level_{c}", v) for c, v in levels.items()),
            *(pl.Series(k, v) for k, v in contributions_.items()),
            pl.Series("log_odds", odds),
            pl.Series("score", 1 / (1 + np.exp(-np.clip(odds, -50, 50)))),
        )


def random_pairs(n: int, size: int = RANDOM_PAIRS, seed: int = 20261202) -> pl.DataFrame:
    """`size` pairs of distinct rows drawn uniformly (left < right)."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n, size=size)
    b = rng.integers(0, n, size=size)
    keep = a != b
    return pl.DataFrame({"left": np.minimum(a, b)[keep].astype(np.uint32),
                         "right": np.maximum(a, b)[keep].astype(np.uint32)})


def fit_data(evidence: Evidence, model: LinkModel, measured: pl.DataFrame,
             labels: pl.DataFrame | None = None) -> Fitted:
    """EM over all pairs of this data, read through its candidate pairs (`measured`:
    every blocked pair, measured) and random pairs for the dense comparisons
    (`analytics.linkage_em.fit_population`).

    `labels` (left, right, same: bool), where an analyst gave them, are blended into m and
    u as known matches and non-matches."""
    frame = evidence.frame
    n = frame.height
    levels, adjust, senders = levels_of(measured)
    dense_u: dict[str, np.ndarray] = {}
    if n >= 2:
        sample_levels, _, _ = levels_of(evidence.measures(random_pairs(n)))
        for c in DENSE:
            level = sample_levels[c]
            size = model.start.u[c].size
            counts = np.bincount(level[level >= 0], minlength=size).astype(np.float64)
            dense_u[c] = (counts + model.prior_strength * size * model.start.u[c]) / (
                counts.sum() + model.prior_strength * size)
    keyed = float((frame["keys"].list.len() > 0).sum())
    texted = float((frame["text"].str.len_bytes() > 0).sum())
    total = max(n * (n - 1) / 2, 1.0)
    start = FSParameters(model.start.m, model.start.u, min(max(n, 1) / total, 0.5))
    params = fit_population(
        levels, start, total_pairs=total,
        sparse_totals={"keys": max(keyed * (keyed - 1) / 2, 1.0),
                       "text": max(texted * (texted - 1) / 2, 1.0)},
        dense_u=dense_u, adjust=adjust, senders=senders, prior_strength=model.prior_strength)
    params = fit_sessions(levels, params, {c: levels[c] >= 1 for c in SPARSE},
                          total_pairs=total, adjust=adjust, senders=senders,
                          prior_strength=model.prior_strength, free_u=SESSION_U)
    if labels is not None and labels.height:
        params = _with_labels(evidence, params, labels)
    return Fitted(evidence, params)


def _with_labels(evidence: Evidence, params: FSParameters,
                 labels: pl.DataFrame) -> FSParameters:
    """Blend analyst labels into m and u: each labelled pair is a known match or non-match,
    counted against 100 pseudo-pairs (labels are few and precise)."""
    measured = evidence.measures(labels.select("left", "right"))
    levels, _, _ = levels_of(measured)
    same = labels["same"].to_numpy().astype(bool)
    m, u = dict(params.m), dict(params.u)
    for c, level in levels.items():
        known = level >= 0
        size = m[c].size
        hits = np.bincount(level[known & same], minlength=size).astype(np.float64)
        miss = np.bincount(level[known & ~same], minlength=size).astype(np.float64)
        if hits.sum():
            m[c] = (m[c] * 100 + hits) / (100 + hits.sum())
        if miss.sum() and c in DENSE:
            u[c] = (u[c] * 100 + miss) / (100 + miss.sum())
    return FSParameters(m, u, params.match_share, params.iterations, params.history)


def scored_pairs(incidents: pl.DataFrame, model: LinkModel | None = None,
                 focus: pl.Series | None = None) -> tuple[pl.DataFrame, pl.DataFrame, Fitted]:
    """The prepared incidents, their blocked pairs (only those touching a `focus` row when
    given) with evidence and `score`, and the fit (always on every blocked pair)."""
    model = model or LinkModel.load()
    frame = prepare(incidents)
    evidence = Evidence(frame)
    measured = evidence.measures(evidence.blocked())
    fitted = fit_data(evidence, model, measured)
    if focus is not None:
        chosen = frame.filter(focus).select(pl.col("idx").cast(pl.UInt32))["idx"].implode()
        measured = measured.filter(pl.col("left").is_in(chosen) | pl.col("right").is_in(chosen))
    return frame, fitted.score(measured, measured), fitted


def link(incidents: pl.DataFrame, model: LinkModel | None = None,
         threshold: float | None = None) -> Linkage:
    """Series for canonical incidents (incident_id, force_id, reported_date, channel,
    platform, victim_id, victim_role, suspect_keys, summary)."""
    model = model or LinkModel.load()
    threshold = model.threshold if threshold is None else threshold
    frame, pairs, fitted = scored_pairs(incidents, model)
    labels = cluster(frame.height, pairs["left"].to_numpy(), pairs["right"].to_numpy(),
                     pairs["score"].to_numpy(), threshold)
    result = _result(frame, pairs, labels)
    result.parameters = fitted.params
    return result


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


def explain(row: dict[str, object], top: int = 3) -> str:
    """The comparisons that moved one pair's score most, in words, strongest first; a shared
    suspect key always comes first (it is what an officer can act on), whatever its
    weight in this data."""
    parts = []
    for c, names in LEVELS.items():
        level = row.get(f"level_{c}")
        if level is None or int(level) < 0:  # type: ignore[call-overload]
            continue
        first = c == "keys" and int(level) >= 1  # type: ignore[call-overload]
        weight = float(row[f"w_{c}"])  # type: ignore[arg-type]
        parts.append((not first, -abs(weight), weight, names[int(level)]))  # type: ignore[call-overload]
    parts.sort()
    return "; ".join(f"{label} ({w:+.1f})" for _, _, w, label in parts[:top])


def search(incidents: pl.DataFrame, seeds: list[str], model: LinkModel | None = None,
           top: int = 20) -> pl.DataFrame:
    """Incidents most like the seed incidents, best first ("incidents like these").

    Series Finder's seeded mode (Wang et al. 2013), on this model: blocking proposes the
    candidates (every incident paired with some seed), then each candidate is compared with
    every seed, blocked or not, and ranked by its mean log-odds over the seeds, so a
    candidate like all the seeds ranks above one like a single seed. m and u are fitted by
    EM on the whole data's candidate pairs, as for `link`. Returns incident_id, score (σ of
    that mean: the model's confidence that the candidate is in the seeds' series),
    seeds_matched (seeds it scores above the threshold with) and why (the comparisons that
    weigh most in its pair with its closest seed)."""
    model = model or LinkModel.load()
    wanted = list(dict.fromkeys(seeds))
    missing = set(wanted) - set(incidents["incident_id"].to_list())
    if missing:
        raise ValueError(f"seed incidents not found: {', '.join(sorted(missing))}")
    focus = incidents["incident_id"].is_in(wanted)
    frame, blocked, fitted = scored_pairs(incidents, model, focus)
    ids = frame.select("idx", "incident_id")
    seed_rows = ids.filter(pl.col("incident_id").is_in(wanted))["idx"].cast(pl.UInt32)
    candidates = pl.concat([blocked["left"], blocked["right"]]).unique()
    candidates = candidates.filter(~candidates.is_in(seed_rows.implode()))
    if candidates.len() == 0:
        return pl.DataFrame(schema={"incident_id": pl.String, "score": pl.Float64,
                                    "seeds_matched": pl.UInt32, "why": pl.String})
    pairs = pl.DataFrame({"left": candidates}).join(
        pl.DataFrame({"right": seed_rows}), how="cross").with_columns(
        pl.min_horizontal("left", "right").alias("a"), pl.max_horizontal("left", "right")
        .alias("b"))
    scored = fitted.score(pairs.select(pl.col("a").alias("left"), pl.col("b").alias("right")))
    scored = pairs.select("left", "right", "a", "b").join(
        scored.rename({"left": "a", "right": "b"}), on=["a", "b"])
    closest = scored.sort("score", descending=True).unique("left", keep="first")
    why = {r["left"]: explain(r) for r in closest.iter_rows(named=True)}
    return (
        scored.group_by(pl.col("left").alias("idx")).agg(
            pl.col("log_odds").mean().alias("mean_logit"),
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

    m and u are fitted on all candidate pairs; only pairs touching a new incident are
    clustered. A stored series is one cluster from the start: it may take in new
    incidents, and a new incident may pull another new one in with it, but two stored
    series are never merged or split here (that is the batch run's job, when an analyst
    asks for it)."""
    model = model or LinkModel.load()
    threshold = model.threshold if threshold is None else threshold
    known = stored.select("incident_id", "series_id").unique("incident_id")
    is_new = ~incidents["incident_id"].is_in(known["incident_id"].implode())
    frame, pairs, fitted = scored_pairs(incidents, model, is_new)
    names = frame.select("incident_id").join(known, on="incident_id", how="left")["series_id"]
    frozen = names.rank("dense").fill_null(0).cast(pl.Int64).to_numpy() - 1
    labels = cluster(frame.height, pairs["left"].to_numpy(), pairs["right"].to_numpy(),
                     pairs["score"].to_numpy(), threshold, frozen=frozen)
    result = _result(frame, pairs, labels, names)
    result.parameters = fitted.params
    return result


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
    similarity = within.group_by("series_id").agg(
        (pl.col("text_score") > 0).mean().alias("alike"))
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
        pl.format("; phrase '{}' in {} of {} (rare wording shared in {}% of linked pairs)",
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
