"""Splink 5 (DuckDB) baseline for cross-border crime-series linkage.

Why this exists: `plait link` should be measured against what an analyst would get from the
standard open-source tool, not only against union-find on exact keys. This module runs
Splink 5 on DuckDB over the same fields `plait link` uses (suspect keys, quoted phrases,
reported date, channel, platform, victim, victim role), trained unsupervised the way Splink
users train it (`true_series` is never read here), and returns one series id per incident.
`benchmarks/link/run.py score` imports `splink_link` when `.[bench]` is installed.

Model (Fellegi–Sunter, as Splink builds it):
- comparisons: suspect keys by `ArrayIntersectAtSizes` [2, 1] (no keys → null level);
  the first quoted phrase by `JaroWinklerAtThresholds` [0.95, 0.88, 0.7] with term-frequency
  adjustment on the exact level (stock phrases such as "dealt with" are weak evidence);
  `AbsoluteDateDifferenceAtThresholds` on reported_date at 7, 30 and 180 days; `ExactMatch`
  on channel, platform, victim_id and victim_role.
- blocking (a union): the exploded keys; the exact phrase; its first and its last 10
  characters (so one typo still meets its series); victim_id + channel.
- training: `probability_two_random_records_match` from "shares a suspect key" with an
  assumed recall of 0.6; u by random sampling (1e7 pairs, seed 7); m by EM over three
  blocks — the first (sorted) suspect key, the victim, the phrase + channel — so each
  comparison is estimated in a block that does not fix it.
- prediction and connected components at `threshold` (0.5 by default).

How the settings were chosen, honestly: variants were scored (pairwise F1, thresholds 0.5 and
0.9) on seeds 101, 102 and 103 — the seeds `plait link` trains on — and the best mean at the
default threshold 0.5 was kept. Seed 7, which `run.py score` reports, did not decide the
choice, though the first drafts were also looked at on it. `true_series` was used only to
score and, once, to diagnose. What was found, in order:
- the first draft (exact-phrase blocking; EM over victim_id + channel, then the phrase)
  scored 0.74 on seed 7 at 0.5 (0.17–0.69 on 101–103). Exact blocking misses a third of
  the true pairs (phrases with a typo), and EM learnt that a shared suspect key is almost
  no evidence (m ≈ 0.04 against ≈ 0.88 in the truth): the latent "match" class it found in
  those blocks, crowded with stock phrases, is not "same series";
- EM on the first-key block fixes that, provided another, keyless, block trains the key
  comparison. At 0.5 on 101–103: first key + victim 0.79–0.89, first key + phrase + channel
  0.87–0.93, all three 0.92–0.95;
- the first/last-10-character phrase blocks: mean 0.93 against 0.90 without them;
- 1e7 pairs for u instead of Splink's default 1e6: 0.94 against 0.93 (kept);
- all quoted phrases joined instead of the first: 0.91 against 0.93 at 0.5 (0.91 against
  0.89 at 0.9); Jaro-Winkler [0.9, 0.7]: no consistent change; assumed recall 0.4 or 0.8:
  within 0.01 at 0.5.
Splink's EM estimates swing with the choice of training blocks and from seed to seed; that
instability is part of what this baseline measures.
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import duckdb
import polars as pl
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.internals.exceptions import EMTrainingException

from analytics.linkage_evidence import PLACEHOLDER, QUOTED, prepare
from analytics.text_vectors import normalise

if TYPE_CHECKING:
    from splink.internals.blocking_rule_creator import BlockingRuleCreator

CACHE = Path(__file__).resolve().parent / ".cache"


@dataclass(frozen=True)
class SplinkConfig:
    """The knobs that were varied; the defaults are the kept settings (see module docstring)."""

    phrase: Literal["first", "joined"] = "first"
    phrase_thresholds: tuple[float, ...] = (0.95, 0.88, 0.7)
    phrase_tf: bool = True
    phrase_affix: int = 10  # also block on the first and last N characters; 0 = off
    day_thresholds: tuple[int, ...] = (7, 30, 180)
    key_sizes: tuple[int, ...] = (2, 1)
    recall: float = 0.6  # assumed recall of "shares a suspect key"
    em_blocks: tuple[tuple[str, ...], ...] = (
        ("keys[1]",), ("victim_id",), ("phrase", "channel"))
    u_max_pairs: float = 1e7
    seed: int = 7


def _records(incidents: pl.DataFrame, config: SplinkConfig) -> pl.DataFrame:
    """The fields plait link compares, shaped for Splink: one row per incident, nulls for
    missing values (an empty key list is no evidence, not a disagreement)."""
    frame = prepare(incidents).with_columns(
        pl.col("summary").cast(pl.String).fill_null("").str.extract_all(QUOTED).list.eval(
            normalise(pl.element().str.replace_all(PLACEHOLDER, " "))
            .filter(pl.element().str.len_bytes() > 0)).list.unique(maintain_order=True)
        .alias("phrases"))
    keys = pl.col("keys")
    phrases = pl.col("phrases").list.eval(pl.element().str.strip_chars())
    phrase = phrases.list.first() if config.phrase == "first" else phrases.list.join(" | ")
    return frame.select(
        pl.col("incident_id").cast(pl.String).alias("unique_id"),
        pl.when(keys.list.len() > 0).then(keys.list.unique().list.sort()).alias("keys"),
        pl.when(phrase.str.len_chars() > 0).then(phrase).alias("phrase"),
        "reported_date",
        pl.col("channel").cast(pl.String),
        pl.col("platform").cast(pl.String),
        pl.col("victim_id").cast(pl.String),
        pl.col("victim_role").cast(pl.String),
    )


def _blocking(config: SplinkConfig) -> list[BlockingRuleCreator]:
    rules = [
        block_on("keys", arrays_to_explode=["keys"]),
        block_on("phrase"),
        block_on("victim_id", "channel"),
    ]
    if config.phrase_affix:
        n = config.phrase_affix
        rules += [block_on(f"substr(phrase, 1, {n})"), block_on(f"right(phrase, {n})")]
    return rules


def _settings(config: SplinkConfig) -> SettingsCreator:
    phrase = cl.JaroWinklerAtThresholds("phrase", list(config.phrase_thresholds))
    if config.phrase_tf:
        phrase = phrase.configure(term_frequency_adjustments=True)
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.ArrayIntersectAtSizes("keys", list(config.key_sizes)),
            phrase,
            cl.AbsoluteDateDifferenceAtThresholds(
                "reported_date", input_is_string=False,
                metrics=["day"] * len(config.day_thresholds),
                thresholds=list(config.day_thresholds)),
            cl.ExactMatch("channel"),
            cl.ExactMatch("platform"),
            cl.ExactMatch("victim_id"),
            cl.ExactMatch("victim_role"),
        ],
        blocking_rules_to_generate_predictions=list(_blocking(config)),
        retain_matching_columns=False,
    )


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Splink logs to the `splink` logger and warns; hush both for the duration only."""
    logger = logging.getLogger("splink")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _trained_linker(records: pl.DataFrame, config: SplinkConfig,
                    con: duckdb.DuckDBPyConnection) -> Linker:
    db_api = DuckDBAPI(connection=con)
    linker = Linker(db_api.register(records.to_arrow()), _settings(config), log_level=None)
    shared = records.select(pl.col("keys").explode().drop_nulls().is_duplicated().any()).item()
    if shared:  # otherwise the estimate is 0 and Splink fails; keep its default prior
        linker.training.estimate_probability_two_random_records_match(
            [block_on("keys", arrays_to_explode=["keys"])], recall=config.recall)
    linker.training.estimate_u_using_random_sampling(
        max_pairs=config.u_max_pairs, seed=config.seed)
    for columns in config.em_blocks:
        # On small inputs a block can hold no pairs (EMTrainingException), or EM can drive an
        # m probability to 0, which Splink 5 rejects (ValueError, splink PR #2851). Either way
        # that session is dropped before it touches the model; the other sessions still count.
        with contextlib.suppress(EMTrainingException, ValueError):
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*columns))
    return linker


def splink_link(incidents: pl.DataFrame, threshold: float = 0.5, *,
                config: SplinkConfig | None = None) -> pl.DataFrame:
    """Splink 5 on DuckDB over the same fields plait link uses; returns incident_id, series_id."""
    config = config or SplinkConfig()
    records = _records(incidents, config)
    ids = records.select(pl.col("unique_id").alias("incident_id"))
    if records.height < 2:
        return ids.with_columns(pl.col("incident_id").alias("series_id"))
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    try:
        with _quiet():
            linker = _trained_linker(records, config, con)
            predictions = linker.inference.predict(threshold_match_probability=threshold)
            clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
                predictions, threshold_match_probability=threshold)
            found = clusters.as_duckdbpyrelation().pl()
    finally:
        con.close()
    # Clustering returns every input node (singletons as their own cluster); the left join
    # and fill make that a guarantee rather than an assumption.
    return ids.join(
        found.select(pl.col("unique_id").alias("incident_id"),
                     pl.col("cluster_id").cast(pl.String).alias("series_id")),
        on="incident_id", how="left", maintain_order="left",
    ).with_columns(pl.col("series_id").fill_null(pl.col("incident_id")))


def main() -> None:
    from analytics.linkage_metrics import score_partition

    incidents = pl.read_parquet(CACHE / "stylea_seed7_scale1.parquet")
    truth = incidents.select("incident_id", "force_id", "true_series")
    for threshold in (0.5, 0.9):
        start = time.perf_counter()
        found = splink_link(incidents, threshold)
        seconds = time.perf_counter() - start
        assert found.height == incidents.height == found["incident_id"].n_unique()
        s = score_partition(truth.join(
            found.select("incident_id", pl.col("series_id").alias("predicted_series")),
            on="incident_id"))
        print(f"threshold {threshold}: pairwise P {s.pair_precision:.3f} "
              f"R {s.pair_recall:.3f} F1 {s.pair_f1:.3f}, B³ F1 {s.bcubed_f1:.3f}, "
              f"cross-force recall {s.cross_force_recall:.3f}, {seconds:.1f} s")


if __name__ == "__main__":
    main()
