"""The four failures of issue 11, each planted into real background data (`planted`: style a
seed 7 through ingest) and linked with m and u fitted by EM on that data.

- a large, fast series (60 incidents in three weeks, one slogan quoted or not) is found
  whole, though its slogan is quoted by more than 50 incidents;
- two incidents sharing one exact suspect key, and nothing contrary, are linked;
- a slogan used by ten unrelated offenders does not merge their series;
- a mass event (300 senders on one day, one slogan in varied forms, a relay address) links
  nobody.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random

import polars as pl
import pytest

from analytics.linkage import link

FORMS = ('Message ended "{s}".', "Signed off {s}.", "Text included the words '{s}'.",
         "{S} written at the bottom.", "Subject line: {s}")


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _plant(background: pl.DataFrame, rows: list[dict[str, object]], tag: str,
           seed: int) -> pl.DataFrame:
    """New incidents on background rows' shapes (other columns copied from random rows)."""
    template = background.sample(len(rows), seed=seed, with_replacement=True)
    new = pl.DataFrame(rows, schema_overrides={"reported_date": pl.Date})
    planted = template.drop(new.columns).with_columns(new).with_columns(
        pl.col("reported_date").cast(background.schema["reported_date"]))
    planted = planted.with_columns(pl.Series("true_series", [tag] * len(rows)))
    return pl.concat([background, planted.select(background.columns)])


def _wording(rng: random.Random, slogan: str) -> str:
    opening = rng.choice(("Abusive post aimed at the MP.", "Email to the constituency office.",
                          "Caseworker received messages online.", "Comments left for the member."))
    form = rng.choice(FORMS)
    return f"{opening} {form.format(s=slogan, S=slogan.upper())}"


def _series_of(result: pl.DataFrame, ids: list[str]) -> pl.Series:
    return result.filter(pl.col("incident_id").is_in(ids))["series_id"]


@pytest.mark.integration
def test_a_large_fast_series_quoting_one_slogan_is_found_whole(planted: pl.DataFrame) -> None:
    rng = random.Random(1)
    start = dt.date(2024, 3, 4)
    keys = [_key("burst email"), _key("burst handle")]
    rows = [{"incident_id": f"burst:{i}", "reported_date": start + dt.timedelta(
                days=rng.randint(0, 20)),
             "channel": "social_media", "platform": "X",
             "victim_id": f"vburst{rng.randint(0, 30)}",
             "victim_role": rng.choice(("mp", "mp_staff", "councillor", "candidate")),
             "suspect_keys": rng.choice(keys) if rng.random() < 0.3 else None,
             "summary": _wording(rng, "the quiet shires will rise at dawn")}
            for i in range(60)]
    data = _plant(planted, rows, "burst", 1)
    found = link(data).assignments
    series = _series_of(found, [r["incident_id"] for r in rows])
    assert series.n_unique() == 1
    size = found.filter(pl.col("series_id") == series[0]).height
    assert size <= 62  # found whole, and not merged into anything else


@pytest.mark.integration
def test_one_shared_exact_key_and_nothing_contrary_links(planted: pl.DataFrame) -> None:
    """Six months apart, two different victims of one role on one channel, ordinary
    wording: the key is the only evidence, and nothing speaks against it."""
    key = _key("one shared email")
    rows = [{"incident_id": "pair:0", "reported_date": dt.date(2023, 5, 2),
             "channel": "email", "platform": None, "victim_id": "vpair0",
             "victim_role": "mp", "suspect_keys": key,
             "summary": "Abusive email to the MP about a vote in the House."},
            {"incident_id": "pair:1", "reported_date": dt.date(2023, 11, 20),
             "channel": "email", "platform": None, "victim_id": "vpair1",
             "victim_role": "mp", "suspect_keys": key,
             "summary": "The member received an offensive email at the office."}]
    found = link(_plant(planted, rows, "pair", 3)).assignments
    assert _series_of(found, ["pair:0", "pair:1"]).n_unique() == 1
    assert found.filter(pl.col("series_id") == _series_of(found, ["pair:0"])[0]).height == 2


@pytest.mark.integration
def test_a_slogan_of_ten_offenders_does_not_merge_their_series(planted: pl.DataFrame) -> None:
    rng = random.Random(7)
    rows = []
    for offender in range(10):
        key = _key(f"offender {offender}")
        first = dt.date(2017, 1, 1) + dt.timedelta(days=rng.randint(0, 2500))
        channel, platform = rng.choice((("email", None), ("social_media", "Facebook"),
                                        ("social_media", "X"), ("letter", None)))
        for i in range(4):
            rows.append({"incident_id": f"slogan:{offender}:{i}",
                         "reported_date": first + dt.timedelta(days=rng.randint(0, 200)),
                         "channel": channel, "platform": platform,
                         "victim_id": f"vslogan{offender}", "victim_role": "mp",
                         "suspect_keys": key,
                         "summary": _wording(rng, "take back our streets before it is too late")})
    data = _plant(planted, rows, "slogan", 7).with_columns(
        pl.when(pl.col("incident_id").str.starts_with("slogan:"))
        .then(pl.col("incident_id").str.extract(r"^(slogan:\d+)"))
        .otherwise(pl.col("true_series")).alias("true_series"))
    found = link(data).assignments.join(data.select("incident_id", "true_series"),
                                        on="incident_id")
    ours = found.filter(pl.col("incident_id").str.starts_with("slogan:"))
    per_series = ours.group_by("series_id").agg(pl.col("true_series").n_unique())
    assert per_series["true_series"].max() == 1  # no two offenders merged
    assert ours.group_by("true_series").agg(pl.col("series_id").n_unique())[
        "series_id"].max() == 1  # each offender's own series found


@pytest.mark.integration
def test_a_mass_event_links_nobody(planted: pl.DataFrame) -> None:
    rng = random.Random(9)
    day = dt.date(2022, 9, 8)
    relay = _key("relay@anonbox.example")
    rows = []
    for i in range(300):
        keyed = rng.random()
        key = relay if i < 60 else (_key(f"mass sender {i}") if keyed < 0.45 else None)
        rows.append({"incident_id": f"mass:{i}", "reported_date": day,
                     "channel": "email" if rng.random() < 0.8 else "social_media",
                     "platform": None, "victim_id": f"vmass{rng.randint(0, 400)}",
                     "victim_role": rng.choice(("mp", "mp", "mp", "mp_staff")),
                     "suspect_keys": key,
                     "summary": _wording(rng, "not in our name, never in our name")})
    data = _plant(planted, rows, "mass", 9)
    found = link(data).assignments
    mass = found.filter(pl.col("incident_id").str.starts_with("mass:"))
    sizes = mass.group_by("series_id").len()
    assert sizes["len"].max() == 1
