"""Charts of the Series page, as Altair specifications with alt text from the same data.

Kept apart from `dashboards.charts` (the release's charts, shared with the PDF) because these
draw incident-level data that only national analysts see and that no report prints.
"""

from __future__ import annotations

import altair as alt
import polars as pl

from dashboards.charts import OKABE_ITO, WIDTH, Chart


def series_timeline(series: str, monthly: pl.DataFrame) -> Chart:
    """A series' members over time: one row per force, a circle per month sized by its
    incidents (`data_series.timeline`: month, force, incidents).

    Forces sit on their own rows rather than in colours, so a series across 19 forces reads
    as well as one across 2, in greyscale too."""
    forces = (monthly.group_by("force").agg(pl.col("month").min().alias("first"))
              .sort("first", "force")["force"].to_list())
    sizes = sorted(set(monthly["incidents"].to_list()))
    if len(sizes) > 4:
        sizes = [sizes[0], sizes[len(sizes) // 3], sizes[2 * len(sizes) // 3], sizes[-1]]
    values = [{"month": f"{r['month']:%Y-%m-01}", "force": r["force"], "incidents": r["incidents"]}
              for r in monthly.iter_rows(named=True)]
    spec = (
        alt.Chart(alt.Data(values=values))
        .mark_circle(color=OKABE_ITO[0], opacity=0.8)
        .encode(
            x=alt.X("month:T", title="Month reported", timeUnit="yearmonth",
                    axis=alt.Axis(format="%b %Y", labelAngle=-45),
                    scale=alt.Scale(padding=14)),
            y=alt.Y("force:N", title=None, sort=forces, axis=alt.Axis(labelLimit=280)),
            size=alt.Size("incidents:Q", title="Incidents",
                          scale=alt.Scale(range=[40, 400], zero=False),
                          legend=alt.Legend(values=sizes, format="d")),
            tooltip=[alt.Tooltip("force:N", title="Force"),
                     alt.Tooltip("month:T", title="Month", timeUnit="yearmonth",
                                 format="%B %Y"),
                     alt.Tooltip("incidents:Q", title="Incidents")],
        )
        .properties(width=WIDTH, height=max(60, 26 * len(forces)))
        .configure_axis(labelFontSize=13, titleFontSize=14, titleFontWeight="normal")
        .configure_legend(labelFontSize=13, titleFontSize=14, orient="bottom")
        .configure_view(stroke=None)
    )
    return Chart(f"series_timeline:{series}", spec, _alt_text(series, monthly, forces))


def _alt_text(series: str, monthly: pl.DataFrame, forces: list[str]) -> str:
    if monthly.is_empty():
        return f"Timeline of {series}: no incidents to show."
    total = int(monthly["incidents"].sum())
    first, last = monthly["month"].min(), monthly["month"].max()
    by_force = (monthly.group_by("force").agg(pl.col("incidents").sum())
                .sort("incidents", "force", descending=[True, False]))
    top = by_force.row(0, named=True)
    busiest = monthly.sort("incidents", "month", descending=[True, False]).row(0, named=True)
    span = (f"in {first:%B %Y}" if first == last
            else f"from {first:%B %Y} to {last:%B %Y}")  # type: ignore[str-format]
    text = (f"Timeline chart of {series}: {total:,} incidents in {len(forces)} "
            f"{'force' if len(forces) == 1 else 'forces'} {span}, one row per force and one "
            f"circle per month sized by its incidents. Most were in {top['force']} "
            f"({top['incidents']:,}).")
    if busiest["incidents"] > 1:
        text += (f" The busiest month was {busiest['month']:%B %Y} in {busiest['force']} "
                 f"({busiest['incidents']:,}).")
    return text
