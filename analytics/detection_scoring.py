"""How well exceedance detection finds planted exceedances: detection and false-alarm rates.

A planted episode adds incidents to one scope (a geography and a category) for some months.
Every series whose scope meets that scope carries the extra incidents in those months, so
an alarm there is not false: the national series contains a force's excess, and a force's
all-offences series contains its malicious-communications excess. Scoring therefore marks
each (series, month) as affected or not, then reports per method:
- episode detection rate: episodes with at least one alarm in their own series during
  their months;
- month sensitivity: affected months of the episodes' own series that alarm;
- false-alarm rate: alarms among evaluated (series, month) points affected by no episode.

The generator also raises every series in national events and election campaigns; those
months (`surge_months`) are real excesses, not planted episodes, so they count neither as
detections nor as false alarms: they are left out before anything is counted, from the
episodes' months as from the unaffected points (an episode lying wholly in surge months is
not scored at all).
"""

from __future__ import annotations

import polars as pl


def _scope_meets(series: pl.DataFrame, episode: dict[str, str],
                 force_region: dict[str, str]) -> pl.Expr:
    level, unit = episode["level"], episode["unit"]
    if level == "national":
        where = pl.lit(True)
    elif level == "region":
        forces = [f for f, r in force_region.items() if r == unit]
        where = (pl.col("level") == "national") | (
            (pl.col("level") == "region") & (pl.col("unit") == unit)) | (
            (pl.col("level") == "force") & pl.col("unit").is_in(forces))
    else:
        where = (pl.col("level") == "national") | (
            (pl.col("level") == "region") & (pl.col("unit") == force_region.get(unit, ""))) | (
            (pl.col("level") == "force") & (pl.col("unit") == unit))
    group, channel = episode["offence_group"], episode["channel"]
    what = (pl.col("dimension") == "all") | (
        (pl.col("dimension") == "offence_group")
        & ((pl.col("category") == group) if group != "all" else pl.lit(True))) | (
        (pl.col("dimension") == "channel")
        & ((pl.col("category") == channel) if channel != "all" else pl.lit(True)))
    return where & what


def own_series_id(episode: dict[str, str]) -> str:
    """The series an episode was planted in: `force:essex|offence_group:malicious_...`."""
    unit = "all" if episode["level"] == "national" else episode["unit"]
    if episode["offence_group"] != "all":
        what = f"offence_group:{episode['offence_group']}"
    elif episode["channel"] != "all":
        what = f"channel:{episode['channel']}"
    else:
        what = "all:all"
    return f"{episode['level']}:{unit}|{what}"


def score_detection(results: pl.DataFrame, episodes: pl.DataFrame,
                    force_region: dict[str, str],
                    surge_months: list[str] | None = None) -> pl.DataFrame:
    """Rates per method.

    results: series_id, level, unit, dimension, category, period (pl.Date), alarm, method
    (several methods stacked; a point without a bound has alarm false). episodes: the
    generator's `truth/exceedances.csv` (exceedance_id, level, unit, offence_group,
    channel, start_month, end_month as YYYY-MM).
    """
    month = pl.col("period").dt.strftime("%Y-%m")
    kept = results.filter(~month.is_in(surge_months or []))
    affected = pl.lit(False)
    own: list[pl.DataFrame] = []
    for ep in episodes.iter_rows(named=True):
        in_months = month.is_between(pl.lit(ep["start_month"]), pl.lit(ep["end_month"]))
        affected = affected | (in_months & _scope_meets(results, ep, force_region))
        own.append(
            kept.filter((pl.col("series_id") == own_series_id(ep)) & in_months)
            .with_columns(pl.lit(ep["exceedance_id"]).alias("exceedance_id"))
        )
    scored = kept.with_columns(affected.alias("affected"))
    owned = pl.concat(own) if own else kept.clear().with_columns(
        pl.lit("").alias("exceedance_id"))
    per_episode = owned.group_by("method", "exceedance_id").agg(
        pl.col("alarm").any().alias("detected"), pl.col("alarm").sum().alias("alarm_months"),
        pl.len().alias("months"))
    episodes_rate = per_episode.group_by("method").agg(
        pl.len().alias("episodes"),
        pl.col("detected").sum().alias("episodes_detected"),
        pl.col("alarm_months").sum().alias("episode_months_alarmed"),
        pl.col("months").sum().alias("episode_months"),
    )
    false = scored.filter(~pl.col("affected")).group_by("method").agg(
        pl.len().alias("unaffected_points"), pl.col("alarm").sum().alias("false_alarms"))
    return (
        episodes_rate.join(false, on="method", how="full", coalesce=True)
        .with_columns(
            (pl.col("episodes_detected") / pl.col("episodes")).alias("detection_rate"),
            (pl.col("episode_months_alarmed") / pl.col("episode_months"))
            .alias("month_sensitivity"),
            (pl.col("false_alarms") / pl.col("unaffected_points")).alias("false_alarm_rate"),
        )
        .sort("method")
    )
