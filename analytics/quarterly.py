"""The statistics of the quarterly release, for one report quarter: intelligence and
investigation, nationally, by region and by force.

The report quarter is the last complete quarter on or before the as-of month; intelligence
compares it with the four quarters before it; investigation looks at the incidents reported
in the 12 months to the quarter's end, with outcomes as known at the end of the as-of month
(open cases censored there). Exact counts are stored (analysts see them in the warehouse);
the release discloses them.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from analytics.channel_mix import channel_shift
from analytics.emerging_terms import emerging_terms
from analytics.hate_share import hate_share
from analytics.investigation import charge_rate_funnel, charge_rates, outcomes
from analytics.repeat_victims import repeat_victimisation
from analytics.social_media import social_media
from analytics.time_to_outcome import time_to_outcome
from etl.periods import add_quarters, last_complete_quarter, month_end, quarter_end

RELEASE_COLUMNS = ("incident_id", "force_id", "reported_date", "offence_group", "hate_strand",
                   "channel", "platform", "victim_id", "suspect_keys", "summary", "outcome",
                   "outcome_date")


def report_window(as_of: dt.date) -> dict[str, dt.date]:
    """The quarter, the 12-month investigation window and the censoring date of a run."""
    quarter = last_complete_quarter(as_of)
    return {"quarter": quarter, "first": add_quarters(quarter, -3),
            "last": quarter_end(quarter), "censor": month_end(as_of)}


def release_statistics(incidents: pl.DataFrame, forces: pl.DataFrame,
                       as_of: dt.date) -> dict[str, pl.DataFrame]:
    """Every table of the release's intelligence and investigation sections.

    `incidents` holds the canonical columns (RELEASE_COLUMNS) of the incidents that are not
    duplicates; `forces` is `ref_force`.
    """
    w = report_window(as_of)
    frame = incidents.filter(pl.col("reported_date") <= w["censor"]).join(
        forces.select("force_id", "police_region"), on="force_id", how="left")
    quarter = w["quarter"]
    rates = charge_rates(frame, w["first"], w["last"], w["censor"])
    funnel = charge_rate_funnel(rates).drop("charged_count", "total_count", "rate", "phi",
                                            strict=False)
    charge = rates.join(
        funnel.rename({"force_id": "unit"}).with_columns(pl.lit("force").alias("level")),
        on=["level", "unit"], how="left")
    return {
        "repeat_victim": repeat_victimisation(frame, quarter),
        "channel_shift": pl.concat([channel_shift(frame, quarter, "channel"),
                                    channel_shift(frame, quarter, "platform")],
                                   how="diagonal_relaxed"),
        "emerging_term": emerging_terms(frame, quarter),
        "hate_share": hate_share(frame, quarter).rename({"strand": "hate_strand"}),
        "social_media": social_media(frame, quarter, w["censor"]),
        "outcome": outcomes(frame, w["first"], w["last"], w["censor"]).with_columns(
            pl.lit(w["first"]).alias("first_period"), pl.lit(w["last"]).alias("last_period")),
        "charge_rate": charge,
        "time_to_outcome": time_to_outcome(frame, w["first"], w["last"], w["censor"]),
    }
