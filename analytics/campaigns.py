"""General-election campaigns: how much more often offences are reported while one runs.

Candidates and MPs are most exposed between the dissolution of Parliament and polling day
(Committee on Standards in Public Life 2017, "Intimidation in Public Life"; the Speaker's
Conference on the security of candidates and MPs); this module measures that as a rate
ratio of offences per day.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from analytics.trends import exact_rate_ratio
from etl.periods import add_months

CAMPAIGNS: tuple[tuple[int, dt.date, dt.date], ...] = (
    (2017, dt.date(2017, 5, 3), dt.date(2017, 6, 8)),
    (2019, dt.date(2019, 11, 6), dt.date(2019, 12, 12)),
    (2024, dt.date(2024, 5, 30), dt.date(2024, 7, 4)),
)
"""(election year, dissolution, polling day) of the general elections since 2016.

Copied from `etl/synth/elections.py` (analytics must not import the generator).
"""

RATE_RATIO_SCHEMA: dict[str, pl.DataType] = {
    "group": pl.String(),
    "in_campaign_count": pl.Int64(),
    "in_campaign_days": pl.Int64(),
    "other_count": pl.Int64(),
    "other_days": pl.Int64(),
    "rate_ratio": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
    "p_value": pl.Float64(),
    "note": pl.String(),
}


def campaign_windows() -> pl.DataFrame:
    """The three general-election campaigns, dissolution to polling day, both inclusive.

    Polling day is inside the window: reports peak on it (the generator's `surge_on` counts
    it too). Columns: election_year, start_date, end_date, days.
    """
    return pl.DataFrame(
        {
            "election_year": [year for year, _, _ in CAMPAIGNS],
            "start_date": [start for _, start, _ in CAMPAIGNS],
            "end_date": [end for _, _, end in CAMPAIGNS],
        },
        schema={"election_year": pl.Int64, "start_date": pl.Date, "end_date": pl.Date},
    ).with_columns(days=(pl.col("end_date") - pl.col("start_date")).dt.total_days() + 1)


def campaign_rate_ratio(
    daily_or_incidents: pl.DataFrame,
    group_col: str | None = None,
    *,
    exclude_months_around: int = 0,
) -> pl.DataFrame:
    """Offences per day during campaigns against offences per day at other times.

    Input: one row per incident with a `reported_date` (pl.Date), or daily counts with
    `reported_date` and `count`; `group_col` (e.g. "police_region") splits the result, else
    one "national" row. The span is the whole frame's first to last `reported_date`, the same
    for every group (include zero-count days to extend it). "In campaign" is every day of the
    span inside a window of `campaign_windows()`; "other" is every other day of the span,
    except that `exclude_months_around` > 0 leaves out the N calendar months before each
    dissolution and after each polling day (from both counts and days), so the run-up and
    aftermath, when reports are often raised too, do not inflate the baseline.

    Estimate: rate ratio R = (in_count/in_days)/(other_count/other_days), the maximum-
    likelihood estimate of the Poisson GLM log E[count] = log(days) + a + b·in_campaign
    (exp(b) = R). CI and p-value are the exact conditional test instead of the GLM's Wald
    interval (Przyborowski & Wileński 1940; R's `poisson.test`; `trends.exact_rate_ratio`):
    given the total, the campaign count is Binomial(total, π) with
    π = R·d_in/(R·d_in + d_other), so the test of R = 1 is scipy's `binomtest` with
    p = d_in/(d_in + d_other), and the Clopper–Pearson interval for π maps to
    R = π/(1−π)·d_other/d_in. It holds for the small counts of a region's campaign weeks,
    where Wald intervals do not. Like any Poisson method it assumes offences arrive
    independently; a campaign of many messages from one suspect is overdispersed, and the
    CI is then too narrow (link series first, or count series).

    A group with no offences in the other days gets a null ratio (unbounded) and a note.
    Only the three campaigns above are windows: data reported before 2016 would count the
    2015 campaign (30 March to 7 May 2015) as other time.
    """
    if exclude_months_around < 0:
        raise ValueError(f"exclude_months_around must be 0 or more, not {exclude_months_around}")
    frame = _validated(daily_or_incidents, group_col)
    if frame.is_empty():
        raise ValueError("incidents: no rows, so there is no span to compare")
    span_start, span_end = frame["reported_date"].min(), frame["reported_date"].max()
    assert isinstance(span_start, dt.date) and isinstance(span_end, dt.date)  # non-empty
    days = pl.DataFrame(
        {"reported_date": pl.date_range(span_start, span_end, interval="1d", eager=True)}
    ).with_columns(part=_part(exclude_months_around))
    in_days = days.filter(pl.col("part") == "campaign").height
    other_days = days.filter(pl.col("part") == "other").height
    if in_days == 0:
        raise ValueError(
            f"reported_date spans {span_start} to {span_end}, which covers no campaign window "
            f"({', '.join(f'{s}..{e}' for _, s, e in CAMPAIGNS)})"
        )
    if other_days == 0:
        raise ValueError(
            f"reported_date spans {span_start} to {span_end}: no days outside the campaigns "
            "(and the excluded months) to compare with"
        )
    totals = (
        frame.with_columns(part=_part(exclude_months_around))
        .group_by("group", maintain_order=True)
        .agg(
            in_campaign_count=pl.col("count").filter(pl.col("part") == "campaign").sum(),
            other_count=pl.col("count").filter(pl.col("part") == "other").sum(),
        )
        .sort("group", nulls_last=True)
    )
    rows = [
        _ratio_row(row["group"], row["in_campaign_count"], in_days, row["other_count"], other_days)
        for row in totals.iter_rows(named=True)
    ]
    return pl.DataFrame(rows, schema=RATE_RATIO_SCHEMA)


def _part(exclude_months_around: int) -> pl.Expr:
    """'campaign', 'excluded' or 'other' for each reported_date."""
    date = pl.col("reported_date")
    in_campaign = pl.lit(False)
    near = pl.lit(False)
    for _, start, end in CAMPAIGNS:
        in_campaign = in_campaign | date.is_between(start, end)
        if exclude_months_around:
            near = near | date.is_between(
                add_months(start, -exclude_months_around), add_months(end, exclude_months_around)
            )
    return (
        pl.when(in_campaign)
        .then(pl.lit("campaign"))
        .when(near)
        .then(pl.lit("excluded"))
        .otherwise(pl.lit("other"))
    )


def _ratio_row(
    group: str | None, in_count: int, in_days: int, other_count: int, other_days: int
) -> dict[str, object]:
    row: dict[str, object] = {
        "group": group,
        "in_campaign_count": in_count,
        "in_campaign_days": in_days,
        "other_count": other_count,
        "other_days": other_days,
    }
    row |= exact_rate_ratio(in_count, in_days, other_count, other_days)
    if in_count + other_count == 0:
        row["note"] = "no offences in the span: no ratio"
    elif other_count == 0:
        row["note"] = "no offences outside the campaigns: the ratio is unbounded"
    return row


def _validated(frame: pl.DataFrame, group_col: str | None) -> pl.DataFrame:
    """group, reported_date and count (1 per incident row), checked."""
    if "reported_date" not in frame.columns:
        raise ValueError("incidents: no reported_date column")
    if frame.schema["reported_date"] != pl.Date:
        raise ValueError(
            f"incidents: reported_date must be pl.Date, not {frame.schema['reported_date']}"
        )
    if group_col is not None and group_col not in frame.columns:
        raise ValueError(f"incidents: no {group_col!r} column to group by")
    nulls = frame.with_row_index("row").filter(pl.col("reported_date").is_null())
    if len(nulls):
        raise ValueError(
            f"incidents row {nulls['row'][0]}: reported_date is empty ({len(nulls)} rows)"
        )
    count = pl.col("count").cast(pl.Int64) if "count" in frame.columns else pl.lit(1, pl.Int64)
    group = pl.col(group_col).cast(pl.String) if group_col else pl.lit("national")
    out = frame.select(group.alias("group"), "reported_date", count.alias("count"))
    bad = out.with_row_index("row").filter(pl.col("count").is_null() | (pl.col("count") < 0))
    if len(bad):
        raise ValueError(
            f"incidents row {bad['row'][0]}: count must be a non-negative integer, "
            f"got {bad['count'][0]}"
        )
    return out

