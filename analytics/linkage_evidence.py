"""Candidate pairs of incidents and the comparison levels each pair falls in.

Nothing here was learned from a generator's truth: every weight is estimated on the data
being linked (`analytics.linkage_em`), and what counts as rare or stock is read from that
data too. The pieces, and why:

- **Tokens.** Every word and every pair of adjacent words anywhere in the summary, quoted
  or not (officers quote as they like; a signature may be paraphrased, shortened or written
  as a hashtag, so `#LetUsSpeak` is split at its capitals first). Redaction placeholders
  (`[name]`) are dropped.
- **Senders behind a value, from spread.** A value (a suspect key, a token) is stock when
  many unrelated senders use it, whatever its count: a 60-incident burst quoting one slogan
  is one sender, a slogan shared by ten offenders is ten. The holders' *other* suspect keys
  tell the two apart: one sender's incidents repeat a few keys, unrelated senders' show new
  ones. For each value, ρ = (distinct other keys − 1) / (key mentions − 1) over its holders,
  shrunk towards the data's overall ρ₀ with `SHRINK` pseudo-mentions, estimates how often
  a holder is a new sender; the value's senders are Ŝ = 1 + (holders − 1)·ρ. For a suspect
  key the prior is `KEY_PRIOR_RHO` (a key names one person unless its holders show other
  people's keys); for a token it is ρ₀ of the data (with no keys to go by, every holder
  counts as its own sender as often as in the data at large).
- **Text evidence.** A shared token weighs log(`STOCK_SENDERS` / Ŝ) when fewer than
  `STOCK_SENDERS` senders use it, else nothing; a pair's text score is the sum over the
  tokens it shares (term-frequency adjustment by senders, not by incidents).
- **Blocking** (the union is compared; no rule compares all pairs): a shared suspect key;
  a shared informative token (Ŝ < `STOCK_SENDERS`). A group of up to `ALL_PAIRS`
  incidents gives all its pairs; a larger one gives each incident and the next `WINDOW` in
  date order (a pair never compared is no evidence either way, and clustering joins the
  chain); a value held by more than `MAX_GROUP` incidents is not examined (cost only: its
  weight would be nil at any plausible ρ).
- **Comparisons** (levels; −1 is no information): suspect keys (none shared though both
  have some / one shared / two or more), text score bands, days apart, channel and
  platform, victim. Term-frequency adjustments per pair: the rarer the shared key (in
  senders), the platform, the victim, or the busier the days (same channel and platform
  within a day either side: a mass event of hundreds on one day makes "same day" weak).
  Distance and the force are never evidence (letters, email and posts travel; a campaign
  spreads across forces on purpose).

Which data chose each constant is written beside it (`benchmarks/link/README.md` has the
protocol: designed on one style's development seed, measured on the other style).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

# Cost caps (not evidence): a value's holders are paired in full up to ALL_PAIRS, by a
# sorted-neighbourhood window above it, and not at all above MAX_GROUP.
ALL_PAIRS = 60
WINDOW = 12
MAX_GROUP = 2_000
# A token used by this many senders or more is stock (no evidence). Chosen before any
# measurement as "more senders than a prolific campaign has members"; kept after style a
# seed 101 (see benchmarks/link/README.md).
STOCK_SENDERS = 30.0
SHRINK = 1.0
# More distinct keys beside one key than one person plausibly uses (name, email, phone,
# handle and its stem, a few rotated handles): chosen before measuring; on style a seed 101
# no key has more than 7.
HUB_DEGREE = 12
# A day (same channel and platform, a day either side) this many times busier than its
# usual (the mean over the 8 weeks around it) is a crowd: a mass event. Chosen before
# measuring, as "an order of magnitude".
CROWD = 8.0
# ... or at least this many incidents more than usual ("hundreds of senders in one day",
# issue 11): chosen a priori; the bursts of one sender (60 in three weeks) add a few a day.
MASS_EXCESS = 100.0
PLACEHOLDER = r"\[(?:name|email|phone|postcode|url|handle)\]"
# A quoted phrase, for the reasons only (never evidence).
QUOTED = (r"\"[\p{L}\p{N}][^\"]{4,}[^\"\s]\"|'[\p{L}\p{N}][^']{4,}[^'\s]'"
          r"|“[\p{L}\p{N}][^”]{4,}[^”\s]”|‘[\p{L}\p{N}][^’]{4,}[^’\s]’")
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)

# Comparison levels, in order; each comparison's level names (shown in the reasons).
LEVELS: dict[str, tuple[str, ...]] = {
    "keys": ("both name a suspect, none shared",
             "one shared suspect key, other keys differ", "one shared suspect key",
             "two or more shared suspect keys"),
    "text": ("no rare wording shared", "a little rare wording shared",
             "some rare wording shared", "much rare wording shared",
             "a rare passage shared"),
    "days": ("within 2 days", "3–7 days apart", "8–30 days apart", "31–90 days apart",
             "91–365 days apart", "over a year apart"),
    "channel": ("another channel", "same channel, platform differs or unknown",
                "same channel and platform"),
    "victim": ("another victim of another role", "another victim of the same role",
               "same victim"),
}
# Text levels by the pair's text score (Σ over shared phrases of log(STOCK_SENDERS / Ŝ)
# times 1 + log(tokens)): score > band[i] → level i + 1; at or below the first band nothing
# notable is shared. Chosen on style a seed 101, where no true pair scores 5 or less and
# 19 in 20 unrelated candidate pairs do; bands from 2 were tried first and let EM give a
# score of 2-5 a strong weight when typos thinned the true pairs' sharing.
# Levels by the fewest senders of a shared phrase (under 3, 3-10, 10-30) were tried on the
# same seed and lost (pairwise F1 0.79 against 0.94): a long template many senders copy
# shares thirty tokens, each of a few senders.
TEXT_BANDS = (5.0, 8.0, 12.0, 16.0)
# A token proposes pairs when its weight is at least this (Ŝ ≤ STOCK_SENDERS / e ≈ 11):
# weaker tokens still add to a pair's score, but alone they made four in five of the
# candidates on style a seed 101 and none of its true pairs.
BLOCK_WEIGHT = 1.0
DAY_BANDS = (2, 7, 30, 90, 365)
COMPARISONS = tuple(LEVELS)


def prepare(incidents: pl.DataFrame) -> pl.DataFrame:
    """Canonical incidents with a row index, key lists and the normalised summary."""
    keys = pl.col("suspect_keys")
    if incidents.schema.get("suspect_keys") in (pl.String, pl.Null):
        keys = pl.col("suspect_keys").cast(pl.String).str.split(";")
    summary = pl.col("summary").cast(pl.String).fill_null("")
    return incidents.with_row_index("idx").with_columns(
        keys.list.eval(pl.element().filter(pl.element() != "")).fill_null([]).alias("keys"),
        normalise(summary).alias("text"),
        pl.col("reported_date").cast(pl.Date),
    )


def normalise(texts: pl.Expr) -> pl.Expr:
    """Hashtags split at their capitals, placeholders dropped, lower case, runs of anything
    but letters and digits as one space."""
    return (texts.str.replace_all(r"(\p{Ll})(\p{Lu})", "$1 $2").str.replace_all(PLACEHOLDER, " ")
            .str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars())


def tokens(frame: pl.DataFrame) -> pl.DataFrame:
    """(idx, token): each distinct word and adjacent-word pair of each summary, hashed."""
    words = frame.select("idx", pl.col("text").str.split(" ").alias("w")).explode("w").filter(
        pl.col("w").str.len_bytes() > 0)
    h = words["w"].hash(seed=11).to_numpy()
    idx = words["idx"].to_numpy()
    same = np.zeros(h.size, dtype=bool)
    same[:-1] = idx[:-1] == idx[1:]
    nxt = np.zeros(h.size, dtype=np.uint64)
    nxt[:-1] = h[1:]
    pair = (h * _GOLDEN) ^ (nxt + np.uint64(0x51))
    return pl.concat([
        pl.DataFrame({"idx": idx, "token": h}),
        pl.DataFrame({"idx": idx[same], "token": pair[same]}),
    ]).unique()


def key_table(frame: pl.DataFrame) -> pl.DataFrame:
    """(idx, key) for each suspect key an incident holds, the key hashed to 64 bits."""
    return frame.select("idx", pl.col("keys").alias("key")).explode("key").drop_nulls(
    ).with_columns(pl.col("key").hash(seed=13)).unique()


def identities(frame: pl.DataFrame, keys: pl.DataFrame) -> tuple[np.ndarray, float]:
    """An identity label per incident, and ρ₀: distinct identities per keyed incident.

    Incidents sharing a suspect key are one identity, except through a *hub* key (seen
    beside more than `HUB_DEGREE` distinct other keys: more than one person's name, email,
    phone, handle and a few rotations, so a shared relay or office address). An incident
    without keys is an identity of its own (unknown)."""
    n = frame.height
    pairs = keys.join(keys, on="idx", suffix="_o").filter(pl.col("key") != pl.col("key_o"))
    degree = pairs.group_by("key").agg(pl.col("key_o").n_unique().alias("degree"))
    plain = keys.join(degree, on="key", how="left").filter(
        pl.col("degree").fill_null(0) <= HUB_DEGREE)
    codes = plain["key"].rank("dense").cast(pl.Int64).to_numpy() - 1
    m = int(codes.max()) + 1 if codes.size else 0
    graph = csr_matrix((np.ones(codes.size), (plain["idx"].to_numpy().astype(np.int64),
                                             n + codes)), shape=(n + m, n + m))
    _, labels = connected_components(graph, directed=False)
    keyed = _seen_twice(keys, n)
    distinct = np.unique(labels[:n][keyed]).size
    rho = float(np.clip(distinct / max(int(keyed.sum()), 1), 0.05, 1.0))
    return labels[:n].astype(np.int64), rho


def _seen_twice(keys: pl.DataFrame, n: int) -> np.ndarray:
    """Whether each incident holds a key some other incident holds too. Only those tell
    senders apart: a key never seen twice (a throwaway account, a lone sender's address)
    says nothing about whether its holder wrote anything else, so its holder counts as
    unkeyed (measured on the account-change test of test_linkage_robustness: counting such
    keys made an offender who changes account every time look like thirty senders)."""
    repeated = keys.filter(pl.len().over("key") >= 2)
    keyed = np.zeros(n, dtype=bool)
    keyed[repeated["idx"].to_numpy().astype(np.int64)] = True
    return keyed


def senders(holders: pl.DataFrame, identity: pl.DataFrame, prior_rho: float) -> pl.DataFrame:
    """Estimated senders Ŝ behind each value: (value, holders, senders).

    `holders` is (value, idx); `identity` is (idx, identity, keyed, crowd) per incident.
    Keyed holders count one sender per distinct identity; unkeyed ones as new senders at
    the rate the keyed ones show beyond the first, ρ = (identities − 1 + SHRINK·ρ₀) /
    (keyed − 1 + SHRINK) (ρ₀ when none is keyed); a holder
    in a crowd (a mass event: its day is CROWD times busier than usual) counts as a sender
    of its own, since hundreds of unrelated senders write on such a day."""
    held = holders.join(identity, on="idx")
    stats = held.group_by("value").agg(
        pl.len().alias("holders"),
        pl.col("identity").filter(pl.col("keyed")).n_unique().alias("distinct"),
        pl.col("keyed").sum().alias("keyed"),
        pl.col("crowd").sum().alias("crowded"),
    )
    rho = ((pl.col("distinct") - 1).clip(0) + SHRINK * prior_rho) / (
        (pl.col("keyed") - 1).clip(0) + SHRINK)
    estimate = pl.col("distinct") + (pl.col("holders") - pl.col("keyed")) * rho
    return stats.select("value", "holders", pl.max_horizontal(
        estimate, pl.col("crowded"), pl.lit(1.0)).alias("senders"))


def group_pairs(members: pl.DataFrame, dates: pl.Series) -> pl.DataFrame:
    """Candidate pairs within groups (members: group, idx): all pairs up to ALL_PAIRS
    members, else each member and the next WINDOW in date order."""
    members = members.unique(["group", "idx"]).with_columns(pl.len().over("group").alias("n"))
    members = members.filter(pl.col("n").is_between(2, MAX_GROUP))
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


class Evidence:
    """What the data says about its own values: keys and tokens with their senders, and
    the day-by-platform volumes. Built once per data set; pairs are compared against it."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame
        n = frame.height
        keys = key_table(frame)
        crowd = _crowd(frame)
        self.crowd = crowd["ratio"].alias("crowd")
        # a mass event: an order of magnitude busier than usual, or hundreds more at once
        # (at a million incidents a usual day is itself hundreds, so the ratio alone fails)
        self.mass = ((crowd["ratio"] >= CROWD) | (crowd["excess"] >= MASS_EXCESS)).alias("mass")
        label, self.rho = identities(frame, keys)
        keyed = _seen_twice(keys, n)
        identity = pl.DataFrame({"idx": frame["idx"], "identity": label, "keyed": keyed,
                                 "crowd": self.mass.to_numpy()})
        key_senders = senders(keys.select(pl.col("key").alias("value"), "idx"), identity,
                              self.rho)
        self.keys = keys.join(key_senders.select(pl.col("value").alias("key"), "senders"),
                              on="key")
        held = tokens(frame).rename({"token": "value"})
        token_senders = senders(held, identity, self.rho)
        informative = token_senders.filter(pl.col("senders") < STOCK_SENDERS).with_columns(
            (np.log(STOCK_SENDERS) - pl.col("senders").log()).alias("weight"))
        self.tokens = held.join(informative.select("value", "weight", "senders", "holders"),
                                on="value").select("idx", pl.col("value").alias("token"),
                                                   "weight", "senders", "holders")
        self.token_senders = token_senders
        victims = frame.group_by("victim_id").len("v").filter(pl.col("victim_id").is_not_null())
        freq = frame.select("victim_id").join(victims, on="victim_id", how="left")["v"]
        self.victim_freq = freq.fill_null(1).cast(pl.Float64) / max(float(freq.median() or 1), 1)
        platforms = frame.group_by("channel", "platform").len("p")
        freq = frame.select("channel", "platform").join(
            platforms, on=["channel", "platform"], how="left", nulls_equal=True)["p"]
        self.platform_freq = freq.cast(pl.Float64) / max(float(freq.median() or 1), 1)

    def blocked(self) -> pl.DataFrame:
        """Every candidate pair (left < right), with the rules that proposed it."""
        dates = self.frame["reported_date"]
        rules = {
            "keys": group_pairs(self.keys.select(pl.col("key").alias("group"), "idx"), dates),
            "text": group_pairs(self.tokens.filter(pl.col("weight") >= BLOCK_WEIGHT).select(
                pl.col("token").alias("group"), "idx"), dates),
        }
        return pl.concat(
            [p.select(pl.col("left").cast(pl.UInt32), pl.col("right").cast(pl.UInt32),
                      *(pl.lit(rule == other).alias(f"by_{other}") for other in rules))
             for rule, p in rules.items()]
        ).group_by("left", "right").agg(pl.col(f"by_{rule}").any() for rule in rules
                                        ).sort("left", "right")

    def measures(self, pairs: pl.DataFrame) -> pl.DataFrame:
        """Raw measures per pair: shared keys and their fewest senders, text score and its
        best token's senders, days apart, channel/platform, victim, and the volumes the
        term-frequency adjustments read."""
        pairs = pairs.select(pl.col("left").cast(pl.UInt32), pl.col("right").cast(pl.UInt32))
        keys = self.keys.select(pl.col("idx").cast(pl.UInt32), "key", "senders")
        shared = pairs.join(keys.rename({"idx": "left"}), on="left").join(
            keys.select(pl.col("idx").alias("right"), "key"), on=["right", "key"]
        ).group_by("left", "right").agg(pl.len().alias("shared_keys"),
                                        pl.col("senders").min().alias("key_senders"))
        toks = self.tokens.select(pl.col("idx").cast(pl.UInt32), "token", "weight", "senders",
                                  "holders")
        # tokens held by exactly the same incidents are one phrase, one piece of evidence:
        # its weight counts once, with log(1 + tokens) for its length (a seven-word slogan
        # is more than one word, not fifteen words)
        text = pairs.join(toks.rename({"idx": "left"}), on="left").join(
            toks.select(pl.col("idx").alias("right"), "token"), on=["right", "token"]
        ).group_by("left", "right", "holders", "senders").agg(
            pl.col("weight").max(), pl.len().alias("n")
        ).group_by("left", "right").agg(
            (pl.col("weight") * (1 + pl.col("n").log())).sum().alias("text_score"),
            pl.col("n").sum().alias("shared_tokens"),
            pl.col("senders").min().alias("text_senders"))
        f = self.frame
        n_keys = f["keys"].list.len()
        has_text = f["text"].str.len_bytes() > 0
        left, right = pairs["left"], pairs["right"]

        def both(series: pl.Series, name: str) -> list[pl.Series]:
            return [series.gather(left).alias(name), series.gather(right).alias(f"{name}_r")]

        return pairs.join(shared, on=["left", "right"], how="left").join(
            text, on=["left", "right"], how="left").with_columns(
            pl.col("shared_keys").fill_null(0), pl.col("text_score").fill_null(0.0),
            pl.col("shared_tokens").fill_null(0),
            *both(n_keys, "n_keys"), *both(has_text, "has_text"),
            *both(f["reported_date"], "date"), *both(f["channel"].cast(pl.String), "channel"),
            *both(f["platform"].cast(pl.String), "platform"),
            *both(f["victim_id"].cast(pl.String), "victim"),
            *both(f["victim_role"].cast(pl.String), "role"),
            *both(self.crowd, "busy"), *both(self.mass, "mass"),
            *both(self.victim_freq, "victim_freq"),
            *both(self.platform_freq, "platform_freq"),
        ).with_columns((pl.col("date_r") - pl.col("date")).dt.total_days().abs()
                       .alias("days_apart"))


def levels_of(m: pl.DataFrame
              ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Level codes per comparison (−1: no information) and the term-frequency adjustment
    per pair, in nats, against a typical value: −log of how many times busier than usual
    the days are, −log of how many times commoner than the median the shared platform or
    victim is; and Ŝ of the shared key with the fewest senders (`senders`, which caps the
    key's contribution: `analytics.linkage_em.contributions`).
    EM's level weights are those of a typical value; the adjustment moves each pair off it
    (Splink's term-frequency adjustment, with senders in place of records for keys)."""
    nk, nkr = m["n_keys"].to_numpy(), m["n_keys_r"].to_numpy()
    shared = m["shared_keys"].to_numpy()
    # one shared key where each side also names a key the other lacks is a weaker level
    # than one shared key and nothing to compare besides (style a seed 101: unrelated
    # incidents sharing one of two keys)
    partial = (nk > shared) & (nkr > shared)
    keys = np.where(shared >= 2, 3, np.where(shared == 1, np.where(partial, 1, 2), 0))
    keys = np.where((shared == 0) & ((nk == 0) | (nkr == 0)), -1, keys)
    key_senders = np.maximum(m["key_senders"].fill_null(1.0).to_numpy(), 1.0)

    score = m["text_score"].to_numpy()
    text = np.searchsorted(np.asarray(TEXT_BANDS), score, side="left")
    text = np.where(m["has_text"].to_numpy() & m["has_text_r"].to_numpy(), text, -1)

    days = m["days_apart"].fill_null(-1).to_numpy()
    day_level = np.searchsorted(np.asarray(DAY_BANDS), days, side="left")
    day_level = np.where(days < 0, -1, day_level)
    busy = np.maximum(m["busy"].to_numpy(), m["busy_r"].to_numpy()).astype(np.float64)
    day_tf = -np.log(np.maximum(busy, 1.0))

    same_channel = (m["channel"] == m["channel_r"]).fill_null(False).to_numpy()
    same_platform = (m["platform"] == m["platform_r"]).fill_null(False).to_numpy()
    channel = np.where(same_channel, np.where(same_platform, 2, 1), 0)
    known = (m["channel"].is_not_null() & m["channel_r"].is_not_null()).to_numpy()
    channel = np.where(known, channel, -1)
    platform_tf = -np.log(m["platform_freq"].to_numpy())

    same_victim = (m["victim"] == m["victim_r"]).fill_null(False).to_numpy()
    same_role = (m["role"] == m["role_r"]).fill_null(False).to_numpy()
    victim = np.where(same_victim, 2, np.where(same_role, 1, 0))
    victim_known = (m["role"].is_not_null() & m["role_r"].is_not_null()).to_numpy()
    victim = np.where(victim_known | same_victim, victim, -1)
    # in a crowd (a mass event) a shared target is what the crowd does: the victim's
    # agreement is discounted by how much busier than usual the days are, as "same day" is
    crowd = np.where(m["mass"].to_numpy() & m["mass_r"].to_numpy(),
                     np.log(np.maximum(busy, 1.0)), 0.0)
    victim_tf = -np.log(m["victim_freq"].to_numpy()) - crowd

    levels = {"keys": keys, "text": text, "days": day_level, "channel": channel,
              "victim": victim}
    tf = {
        "days": np.where((day_level >= 0) & (day_level <= 1), day_tf, 0.0),
        "channel": np.where(channel == 2, platform_tf, 0.0),
        "victim": np.where(victim == 2, victim_tf, 0.0),
    }
    return ({c: v.astype(np.int64) for c, v in levels.items()}, tf,
            {"keys": np.where(keys >= 1, key_senders, 1.0)})


def _crowd(frame: pl.DataFrame) -> pl.DataFrame:
    """Per incident: how many times busier than usual its day is (`ratio`) and by how many
    incidents (`excess`), counting incidents of the same channel and platform within a day
    either side, against the mean of such 3-day counts over the 8 weeks around it."""
    cell = frame.select("idx", "reported_date", pl.col("channel").cast(pl.String),
                        pl.col("platform").cast(pl.String))
    per_day = cell.group_by("reported_date", "channel", "platform").len("n")
    around = pl.concat([per_day.with_columns(pl.col("reported_date") + pl.duration(days=d))
                        for d in (-1, 0, 1)]).group_by(
        "reported_date", "channel", "platform").agg(pl.col("n").sum().alias("busy"))
    wide = pl.concat([per_day.with_columns(pl.col("reported_date") + pl.duration(days=d))
                      for d in range(-28, 29)]).group_by(
        "reported_date", "channel", "platform").agg((pl.col("n").sum() * 3 / 57).alias("usual"))
    joined = cell.join(around, on=["reported_date", "channel", "platform"], how="left",
                       nulls_equal=True).join(wide, on=["reported_date", "channel", "platform"],
                                              how="left", nulls_equal=True).sort("idx")
    busy = joined["busy"].cast(pl.Float64).fill_null(1.0)
    usual = joined["usual"].fill_null(1.0).clip(lower_bound=1.0)
    return pl.DataFrame({"ratio": busy / usual, "excess": busy - usual})
