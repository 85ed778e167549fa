"""Candidate pairs of incidents and the evidence each pair carries, without comparing all pairs.

Blocking rules (each can only add pairs; their union is scored), each a set of groups of
incidents paired by `group_pairs` (all pairs in a group of up to ALL_PAIRS, the next WINDOW
in date order in a larger one, none in a group over MAX_BLOCK, which is a stock value):
- `keys`: a shared suspect key (keyed hash of an email, phone, handle, handle stem or name);
- `phrase`: the same rare quoted phrase, or near-identical ones by MinHash-LSH on character
  n-grams (`analytics.text_vectors`).
Two more rules were tried and dropped, measured on seed 7: the same channel and platform
adjacent in time added no true pair the others missed (3,102 of 3,125 found with or without
it) but 5,000 unrelated ones, and training on them taught the model that sharing a channel
is evidence *against* a link; the same victim within 30 days added 2 true pairs for 434
unrelated ones (24 for 110,000 at 100,000 incidents). The victim stays as evidence.

The evidence is a set of comparison levels, as in Fellegi–Sunter: each pair falls in one level
per comparison, and each level gets its own weight. Distance is not evidence here (letters,
email and posts travel; a campaign spreads across constituencies on purpose), and the force
is never evidence.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from analytics.text_vectors import lsh_buckets, minhash, normalise, pair_cosine, tfidf

MAX_BLOCK = 200
COMMON_PHRASE = 50
ALL_PAIRS = 50
WINDOW = 10
PLACEHOLDER = r"\[(?:name|email|phone|postcode|url|handle)\]"
# A quoted phrase opens on a letter or digit and closes on no space, so the text between
# two short quotes ("to 'visit'. Called the MP a 'traitor'") is not taken for a phrase.
QUOTED = (r"\"[\p{L}\p{N}][^\"]{4,}[^\"\s]\"|'[\p{L}\p{N}][^']{4,}[^'\s]'"
          r"|“[\p{L}\p{N}][^”]{4,}[^”\s]”|‘[\p{L}\p{N}][^’]{4,}[^’\s]’")
FEATURES: tuple[str, ...] = (
    "keys_1",
    "keys_2_plus",
    "keys_conflict",
    "phrase_low",
    "phrase_mid",
    "phrase_high",
    "phrase_same",
    "days_8_30",
    "days_31_180",
    "days_181_365",
    "days_over_365",
    "same_platform",
    "other_platform",
    "same_victim",
    "same_victim_role",
)
LABELS = {
    "keys_1": "one shared suspect key",
    "keys_2_plus": "two or more shared suspect keys",
    "keys_conflict": "both name a suspect, none shared",
    "phrase_low": "rare quoted phrase 20–50% alike",
    "phrase_mid": "rare quoted phrase 50–80% alike",
    "phrase_high": "rare quoted phrase 80–95% alike",
    "phrase_same": "same rare quoted phrase (95% alike or more)",
    "days_8_30": "8–30 days apart",
    "days_31_180": "31–180 days apart",
    "days_181_365": "181–365 days apart",
    "days_over_365": "over a year apart",
    "same_platform": "same channel and platform",
    "other_platform": "same channel, another platform",
    "same_victim": "same victim",
    "same_victim_role": "same victim role",
}
RULES = ("keys", "phrase")


def prepare(incidents: pl.DataFrame) -> pl.DataFrame:
    """Canonical incidents with a row index, key lists and the quoted phrases, normalised."""
    keys = pl.col("suspect_keys")
    if incidents.schema.get("suspect_keys") in (pl.String, pl.Null):
        keys = pl.col("suspect_keys").cast(pl.String).str.split(";")
    summary = pl.col("summary").cast(pl.String).fill_null("")
    return incidents.with_row_index("idx").with_columns(
        keys.list.eval(pl.element().filter(pl.element() != "")).fill_null([]).alias("keys"),
        summary.str.extract_all(QUOTED).list.eval(
            normalise(pl.element().str.replace_all(PLACEHOLDER, " "))
            .filter(pl.element().str.len_bytes() > 0)
        ).list.unique(maintain_order=True).alias("phrases"),
        pl.col("reported_date").cast(pl.Date),
    )


def group_pairs(members: pl.DataFrame, dates: pl.Series) -> pl.DataFrame:
    """Candidate pairs within groups of incidents (members: group, idx).

    A group of up to ALL_PAIRS incidents gives all its pairs; a larger one (up to
    MAX_BLOCK) gives each incident and the next WINDOW of the group in date order (sorted
    neighbourhood), so a prolific offender's 150 incidents cost 750 pairs, not 11,175, and
    clustering still joins them, since a pair never compared is no evidence against. A
    group over MAX_BLOCK is a stock value and gives none."""
    members = members.unique(["group", "idx"]).with_columns(pl.len().over("group").alias("n"))
    members = members.filter(pl.col("n").is_between(2, MAX_BLOCK))
    small = members.filter(pl.col("n") <= ALL_PAIRS).select("group", "idx")
    parts = [
        small.join(small, on="group", suffix="_r").filter(pl.col("idx") < pl.col("idx_r"))
        .select(pl.col("idx").alias("left"), pl.col("idx_r").alias("right"))
    ]
    large = members.filter(pl.col("n") > ALL_PAIRS)
    if large.height:
        order = large.select("group", "idx").with_columns(
            pl.Series("day", dates.gather(large["idx"]))).sort("group", "day", "idx")
        for step in range(1, WINDOW + 1):
            parts.append(order.select(
                pl.col("idx").alias("a"), pl.col("idx").shift(-step).alias("b"),
                (pl.col("group") == pl.col("group").shift(-step)).alias("same"),
            ).filter(pl.col("same")).select(pl.min_horizontal("a", "b").alias("left"),
                                            pl.max_horizontal("a", "b").alias("right")))
    return pl.concat(parts).unique()


def key_groups(frame: pl.DataFrame) -> pl.DataFrame:
    """(group, idx) for each suspect key an incident holds."""
    return frame.select(pl.col("keys").alias("group"), "idx").explode("group").drop_nulls(
    ).with_columns(pl.col("group").hash())


def shared_keys(frame: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """How many suspect keys each pair shares, not counting stock keys (held by more than
    MAX_BLOCK incidents: a shared office number, a hashed 'unknown')."""
    exploded = frame.select("idx", pl.col("keys").alias("key")).explode("key").drop_nulls()
    stock = exploded.group_by("key").len("n").filter(pl.col("n") > MAX_BLOCK)["key"]
    usable = frame.select(pl.col("idx").cast(pl.UInt32), pl.col("keys").list.eval(
        pl.element().filter(~pl.element().is_in(stock.implode()))).alias("k"))["k"]
    left = usable.gather(pairs["left"])
    right = usable.gather(pairs["right"])
    return pairs.with_columns(
        left.list.set_intersection(right).list.len().cast(pl.UInt32).alias("shared_keys"))


def phrase_table(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Who quotes what: (idx, phrase_id) per incident and quoted phrase, and each distinct
    phrase with how many incidents quote it (`holders`). Phrases repeat (one offender's
    phrase, stock wording), so comparing distinct phrases is far cheaper than comparing
    incidents' phrases; a phrase held by more than COMMON_PHRASE incidents is stock wording
    ("traitor", "dealt with") or a mass template and is never compared: an identical stock
    phrase would be cosine 1 whatever its IDF."""
    held = frame.select("idx", pl.col("phrases").alias("phrase")).explode("phrase").drop_nulls(
    ).unique(["idx", "phrase"])
    distinct = held.group_by("phrase").agg(pl.len().alias("holders")).sort("phrase"
                                                                           ).with_row_index(
        "phrase_id").with_columns((pl.col("holders") <= COMMON_PHRASE).alias("rare"))
    held = held.join(distinct.select("phrase", "phrase_id", "rare"), on="phrase").select(
        "idx", "phrase_id", "rare")
    return held, distinct


def phrase_groups(held: pl.DataFrame, distinct: pl.DataFrame) -> pl.DataFrame:
    """(group, idx): the holders of each rare phrase, and of each MinHash-LSH bucket of
    near-identical rare phrases (a bucket whose phrases more than MAX_BLOCK incidents hold
    is a family of stock wordings and is skipped)."""
    rare = distinct.filter(pl.col("rare"))
    holders = held.filter(pl.col("rare")).select("idx", "phrase_id")
    buckets = lsh_buckets(minhash(rare["phrase"]), MAX_BLOCK,
                          weights=rare["holders"].to_numpy().astype(np.int64))
    near = buckets.with_columns(
        rare["phrase_id"].gather(buckets["row"]).alias("phrase_id")
    ).join(holders, on="phrase_id").select(pl.col("bucket").alias("group"), "idx")
    exact = holders.select((pl.col("phrase_id").cast(pl.UInt64) | (1 << 63)).alias("group"),
                           "idx")
    return pl.concat([near, exact.with_columns(pl.col("group").cast(pl.UInt64))])


def blocked_pairs(frame: pl.DataFrame, held: pl.DataFrame, distinct: pl.DataFrame
                  ) -> pl.DataFrame:
    """All candidate pairs, with the rules that proposed them."""
    dates = frame["reported_date"]
    rules = {
        "keys": group_pairs(key_groups(frame), dates),
        "phrase": group_pairs(phrase_groups(held, distinct), dates),
    }
    return pl.concat(
        [p.select(pl.col("left").cast(pl.UInt32), pl.col("right").cast(pl.UInt32),
                  *(pl.lit(rule == other).alias(f"by_{other}") for other in RULES))
         for rule, p in rules.items()]
    ).group_by("left", "right").agg(pl.col(f"by_{rule}").any() for rule in RULES)


def phrase_similarity(pairs: pl.DataFrame, held: pl.DataFrame,
                      distinct: pl.DataFrame) -> pl.DataFrame:
    """Per pair: the best cosine between a rare phrase of each (`phrase_similarity`), how many
    incidents hold the more common of the two (`phrase_holders`) and that phrase."""
    rare = held.filter(pl.col("rare")).select("idx", "phrase_id")
    both = pairs.select("left", "right").join(rare.rename({"idx": "left"}), on="left").join(
        rare.rename({"idx": "right"}), on="right", suffix="_r")
    distinct_pairs = both.select("phrase_id", "phrase_id_r").unique()
    vectors = tfidf(distinct["phrase"])
    distinct_pairs = distinct_pairs.with_columns(pl.Series("cosine", pair_cosine(
        vectors, distinct_pairs["phrase_id"].to_numpy(),
        distinct_pairs["phrase_id_r"].to_numpy())))
    info = distinct.select("phrase_id", "holders", "phrase")
    best = (
        both.join(distinct_pairs, on=["phrase_id", "phrase_id_r"])
        .sort("cosine", descending=True).unique(["left", "right"], keep="first")
        .join(info, on="phrase_id").join(info, left_on="phrase_id_r", right_on="phrase_id",
                                         suffix="_r")
    )
    return pairs.join(
        best.select("left", "right", pl.col("cosine").alias("phrase_similarity"),
                    pl.max_horizontal("holders", "holders_r").alias("phrase_holders"),
                    pl.col("phrase").alias("best_phrase")),
        on=["left", "right"], how="left",
    ).with_columns(pl.col("phrase_similarity").fill_null(0.0))


def evidence(frame: pl.DataFrame, focus: pl.Series | None = None) -> pl.DataFrame:
    """Blocked pairs with their evidence: the FEATURES columns and the raw measures.

    `focus` (a boolean per row) keeps only the pairs touching a focus row: blocking still
    reads every incident (it is the cheap, linear part), the comparisons do not."""
    held, distinct = phrase_table(frame)
    pairs = blocked_pairs(frame, held, distinct)
    if focus is not None:
        chosen = frame.filter(focus).select(pl.col("idx").cast(pl.UInt32))["idx"]
        pairs = pairs.filter(pl.col("left").is_in(chosen.implode())
                             | pl.col("right").is_in(chosen.implode()))
    return _levels_of(frame, pairs, held, distinct)


def compare(frame: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """The evidence of pairs chosen by the caller (left, right row indices), blocked or not:
    seeded search compares each candidate with every seed."""
    held, distinct = phrase_table(frame)
    pairs = pairs.select(pl.col("left").cast(pl.UInt32), pl.col("right").cast(pl.UInt32))
    return _levels_of(frame, pairs, held, distinct)


def _levels_of(frame: pl.DataFrame, pairs: pl.DataFrame, held: pl.DataFrame,
               distinct: pl.DataFrame) -> pl.DataFrame:
    pairs = phrase_similarity(shared_keys(frame, pairs), held, distinct)
    # rows are their own index, so each side's attributes are a gather, not a join
    attrs = frame.select("reported_date", "channel", "platform", "victim_id", "victim_role",
                         pl.col("keys").list.len().alias("n_keys"))
    left, right = pairs["left"], pairs["right"]
    return with_levels(pairs.with_columns(
        *(attrs[c].gather(left).alias(c) for c in attrs.columns),
        *(attrs[c].gather(right).alias(f"{c}_r") for c in attrs.columns)))


def with_levels(pairs: pl.DataFrame) -> pl.DataFrame:
    """The comparison levels of pairs whose raw measures and attributes are joined."""
    days = (pl.col("reported_date_r") - pl.col("reported_date")).dt.total_days().abs()
    phrase = pl.col("phrase_similarity")
    same_channel = (pl.col("channel") == pl.col("channel_r")).fill_null(False)
    platform_known = pl.col("platform").is_not_null() & pl.col("platform_r").is_not_null()
    return pairs.select(
        "left", "right", *(c for c in pairs.columns if c.startswith("by_")),
        "shared_keys", "phrase_similarity", "phrase_holders", "best_phrase",
        days.alias("days_apart"),
        (pl.col("shared_keys") == 1).alias("keys_1"),
        (pl.col("shared_keys") >= 2).alias("keys_2_plus"),
        ((pl.col("shared_keys") == 0) & (pl.col("n_keys") > 0) & (pl.col("n_keys_r") > 0))
        .alias("keys_conflict"),
        phrase.is_between(0.2, 0.5, closed="left").alias("phrase_low"),
        phrase.is_between(0.5, 0.8, closed="left").alias("phrase_mid"),
        phrase.is_between(0.8, 0.95, closed="left").alias("phrase_high"),
        (phrase >= 0.95).alias("phrase_same"),
        days.is_between(8, 30).alias("days_8_30"),
        days.is_between(31, 180).alias("days_31_180"),
        days.is_between(181, 365).alias("days_181_365"),
        (days > 365).alias("days_over_365"),
        (same_channel & platform_known & (pl.col("platform") == pl.col("platform_r")))
        .alias("same_platform"),
        (same_channel & platform_known & (pl.col("platform") != pl.col("platform_r")))
        .alias("other_platform"),
        (pl.col("victim_id") == pl.col("victim_id_r")).fill_null(False).alias("same_victim"),
        (pl.col("victim_role") == pl.col("victim_role_r")).fill_null(False)
        .alias("same_victim_role"),
    )


def explain(weights: dict[str, float], row: dict[str, object], top: int = 3) -> str:
    """The levels that moved one pair's score most, in words, strongest first."""
    parts = sorted(((weights[f], LABELS[f]) for f in FEATURES if row.get(f)),
                   key=lambda x: -abs(x[0]))[:top]
    return "; ".join(f"{label} ({w:+.1f})" for w, label in parts)

