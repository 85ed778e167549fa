"""Linkage against what real data does, one hard case at a time (issue 4): each test damages
the planted seed-7 incidents the way real extracts are damaged and checks the series hold.

Thresholds sit a little under the figures measured when the test was written (in each
docstring), so a regression fails and noise does not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random

import polars as pl
import pytest

from analytics.linkage import attach, link, search
from analytics.linkage_metrics import score_partition


def _scores(incidents: pl.DataFrame, assignments: pl.DataFrame):
    return score_partition(incidents.select("incident_id", "force_id", "true_series").join(
        assignments.rename({"series_id": "predicted_series"}), on="incident_id"))


def _typo(text: str, rng: random.Random) -> str:
    """Drop, double or swap one letter of a word of six letters or more inside the quotes."""
    if '"' not in text:
        return text
    head, quoted, tail = text.partition('"')[0], *text.partition('"')[2].partition('"')[::2]
    words = quoted.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not long:
        return text
    i = rng.choice(long)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    words[i] = rng.choice((w[:j] + w[j + 1:], w[:j] + w[j] + w[j:],
                           w[:j] + w[j + 1] + w[j] + w[j + 2:]))
    return f'{head}"{" ".join(words)}"{tail}'


def _series_members(planted: pl.DataFrame) -> pl.DataFrame:
    return planted.filter(pl.col("true_series").str.starts_with("SER-"))


@pytest.mark.integration
def test_typos_in_every_signature_phrase(planted: pl.DataFrame) -> None:
    """A fresh typo in the quoted phrase of every series incident (on top of the generator's
    own drift). Measured with m and u from EM on the data (issue 11): pairwise F1 0.84
    (0.93 undamaged), cross-force recall 1.00: a typo makes a new, unshared word, so the
    damaged word and its neighbours' word pairs no longer count, and EM, fitted on the
    damaged data, weighs a little shared wording more."""
    rng = random.Random(11)
    members = set(_series_members(planted)["incident_id"].to_list())
    damaged = planted.with_columns(pl.struct("incident_id", "summary").map_elements(
        lambda r: _typo(r["summary"], rng) if r["incident_id"] in members else r["summary"],
        return_dtype=pl.String).alias("summary"))
    assert (damaged["summary"] != planted["summary"]).sum() > 0.8 * len(members)
    s = _scores(planted, link(damaged).assignments)
    assert s.pair_f1 >= 0.82
    assert s.cross_force_recall >= 0.95


@pytest.mark.integration
def test_an_offender_who_changes_account(planted: pl.DataFrame) -> None:
    """From the middle of each series on, the offender uses new accounts: every later
    incident's suspect keys are replaced by keys never seen before. Pairs spanning the
    change can only be linked by phrase and habits. Measured: 0.995 of them linked
    (0.95 with the weights trained on style a's truth). Keys never seen twice do not count
    as senders when stock wording is judged by spread (`linkage_evidence._seen_twice`):
    counting them made this offender's own phrase look shared by thirty senders (0.20)."""
    series = _series_members(planted).with_columns(
        pl.col("reported_date").rank("ordinal").over("true_series").alias("order"),
        pl.len().over("true_series").alias("size"))
    later = series.filter(pl.col("order") > pl.col("size") / 2)["incident_id"]

    def fresh(incident_id: str) -> str:
        return hashlib.sha256(f"new account {incident_id}".encode()).hexdigest()[:32]

    damaged = planted.with_columns(
        pl.when(pl.col("incident_id").is_in(later.implode()) & pl.col("suspect_keys").is_not_null()
                & (pl.col("suspect_keys") != ""))
        .then(pl.col("incident_id").map_elements(fresh, return_dtype=pl.String))
        .otherwise(pl.col("suspect_keys")).alias("suspect_keys"))
    found = link(damaged).assignments
    before = series.filter(~pl.col("incident_id").is_in(later.implode())).select(
        "incident_id", "true_series")
    after = series.filter(pl.col("incident_id").is_in(later.implode())).select(
        pl.col("incident_id").alias("incident_id_r"), "true_series")
    spanning = before.join(after, on="true_series")
    assert spanning.height > 500
    linked = spanning.join(found, on="incident_id").join(
        found.rename({"incident_id": "incident_id_r", "series_id": "series_r"}),
        on="incident_id_r").filter(pl.col("series_id") == pl.col("series_r"))
    assert linked.height / spanning.height >= 0.9


@pytest.mark.integration
def test_unrelated_incidents_sharing_a_stock_phrase(planted: pl.DataFrame) -> None:
    """600 unrelated incidents each quote 'traitor to this country', as real abuse does.
    None of them may be linked to another through it: the pairs of them in one series are no
    more than before (measured: equal)."""
    background = planted.filter(~pl.col("true_series").str.starts_with("SER-"))
    chosen = background.sample(600, seed=5)["incident_id"]
    damaged = planted.with_columns(
        pl.when(pl.col("incident_id").is_in(chosen.implode()))
        .then(pl.concat_str(pl.col("summary").fill_null(""),
                            pl.lit(" Called the MP a 'traitor to this country'.")))
        .otherwise(pl.col("summary")).alias("summary"))
    def pairs_together(assignments: pl.DataFrame) -> int:
        sizes = assignments.filter(pl.col("incident_id").is_in(chosen.implode())).group_by(
            "series_id").len()["len"]
        return int((sizes * (sizes - 1) // 2).sum())

    before = link(planted).assignments
    after = link(damaged).assignments
    assert pairs_together(after) <= pairs_together(before)
    assert _scores(planted, after).pair_precision >= _scores(planted, before).pair_precision - 0.02


@pytest.mark.integration
def test_a_mass_event_is_not_a_series(planted: pl.DataFrame) -> None:
    """300 incidents on one day about one vote, from 300 different senders (each with their
    own key or none), all quoting the same words. They must not become one series.
    Measured: none of them is linked to another."""
    rng = random.Random(3)
    victims = planted["victim_id"].drop_nulls().unique().sort().to_list()
    day = dt.date(2024, 3, 15)
    event = pl.DataFrame({
        "incident_id": [f"event:{i:03d}" for i in range(300)],
        "force_id": [rng.choice(["metropolitan", "kent", "essex", "merseyside"])
                     for _ in range(300)],
        "reported_date": [day] * 300,
        "channel": ["email"] * 300,
        "platform": [None] * 300,
        "victim_id": [rng.choice(victims) for _ in range(300)],
        "victim_role": ["mp"] * 300,
        "suspect_keys": [hashlib.sha256(f"sender {i}".encode()).hexdigest()[:32]
                         if i % 3 else None for i in range(300)],
        "summary": ["Email after the vote on the Assisted Dying Bill saying the MP is "
                    "'a disgrace to democracy' and 'will answer for this vote'."] * 300,
    }, schema_overrides={"platform": pl.String})
    common = [c for c in event.columns if c in planted.columns]
    together = pl.concat([planted.select(common), event.select(common)],
                         how="vertical_relaxed")
    found = link(together).assignments
    on_the_day = found.filter(pl.col("incident_id").str.starts_with("event:"))
    assert on_the_day.group_by("series_id").len()["len"].max() <= 3


@pytest.mark.integration
def test_search_ranks_the_seed_series_first(planted: pl.DataFrame) -> None:
    """Two incidents of a series as seeds: the top ten are from that series (Series Finder's
    precision@k): at least eight of the ten, or every other member of a smaller series,
    for each of the five largest series. Measured: all ten (all seven for a series of 9)."""
    sizes = _series_members(planted).group_by("true_series").len().sort(
        "len", "true_series", descending=[True, False]).head(5)
    for name in sizes["true_series"]:
        members = planted.filter(pl.col("true_series") == name).sort("reported_date")
        seeds = members["incident_id"].head(2).to_list()
        ranked = search(planted, seeds, top=10)
        assert ranked.height == 10
        hits = ranked.join(planted.select("incident_id", "true_series"), on="incident_id")
        assert (hits["true_series"] == name).sum() >= min(8, members.height - 2), name
        assert not set(seeds) & set(ranked["incident_id"].to_list())
        assert ranked["why"].str.len_chars().min() > 0


@pytest.mark.unit
def test_search_refuses_unknown_seeds(planted: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="not found: nowhere:1"):
        search(planted, ["nowhere:1"])


@pytest.mark.integration
def test_new_incidents_attach_without_relinking(planted: pl.DataFrame) -> None:
    """Link everything before 2025, then attach the rest. Stored incidents keep their series;
    the whole partition stays nearly as good as a full relink. Measured with EM-fitted m and
    u (issue 11): pairwise F1 0.92 attached against 0.92 relinked."""
    cutoff = dt.date(2025, 1, 1)
    old = planted.filter(pl.col("reported_date").cast(pl.Date) < cutoff)
    assert 0 < old.height < planted.height
    stored = link(old).assignments
    result = attach(planted, stored)
    assert result.assignments.height == planted.height
    kept = stored.join(result.assignments, on="incident_id", suffix="_after")
    assert (kept["series_id"] == kept["series_id_after"]).all()
    attached = _scores(planted, result.assignments)
    relinked = _scores(planted, link(planted).assignments)
    assert attached.pair_f1 >= relinked.pair_f1 - 0.05
    assert attached.pair_f1 >= 0.90
    grew = result.assignments.join(stored, on="incident_id", how="anti").join(
        stored.select("series_id").unique(), on="series_id")
    assert grew.height >= 5  # new incidents did join stored series
