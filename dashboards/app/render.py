"""How a page shows the release: its sections, tables and charts, exactly as published.

Tables go to `st.dataframe` as the release's cells ("[c]" stays "[c]"); charts come from the
same Altair specifications as the PDF (`dashboards.charts`), with their alt text beneath.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl
import streamlit as st

from dashboards import charts, data
from dashboards.report_pdf import column_label, printed_rows

__all__ = ["chart", "chart_dict", "chart_from_dict", "column_label", "dataframe", "funnel_rows",
           "section", "table"]

CHARTS = {
    "incidents_by_quarter": charts.quarterly_trend,
    "force_incidents_by_quarter": charts.quarterly_trend,
    "channel_mix": charts.mix_comparison,
    "platform_mix": charts.mix_comparison,
}


def chart(made: charts.Chart) -> None:
    st.altair_chart(_fit_x(made.spec), width="stretch")
    st.caption(made.alt_text)


def _fit_x(spec: alt.TopLevelMixin) -> alt.TopLevelMixin:
    # the page's width, the specification's height for the plot alone: Streamlit's default
    # fit squeezed the plot under a legend placed below it
    return spec.properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def chart_dict(made: charts.Chart) -> tuple[dict[str, Any], str]:
    """A chart as the page draws it, as a plain Vega-Lite dict and its alt text: what a page
    caches when building and validating the Altair chart costs more than a rerun may (the
    650-hexagon map: 1.5 s)."""
    return _fit_x(made.spec).to_dict(), made.alt_text


def chart_from_dict(spec: dict[str, Any], alt_text: str) -> None:
    """Draw a chart made by `chart_dict`, exactly as `chart` draws the Altair original."""
    st.vega_lite_chart(spec, width="stretch")
    st.caption(alt_text)


def table(table_: dict[str, Any], *, with_chart: bool = True) -> None:
    """One release table under its title, with its chart when it has one."""
    st.markdown(f"**{table_['title']}**")
    if not table_["rows"]:
        st.caption("Nothing to show for this quarter.")
        return
    maker = CHARTS.get(table_["id"])
    if with_chart and maker is not None:
        chart(maker(table_))
    frame = data.table_frame(table_)
    st.dataframe(frame.rename({c: column_label(c) for c in frame.columns}),
                 hide_index=True, width="stretch")


def section(release: dict[str, Any], section_id: str, *, heading: bool = True) -> None:
    """A release section: its narrative as bullet points, then its tables."""
    found = data.section(release, section_id)
    if found is None:
        st.caption("This section is not in the release for this quarter.")
        return
    if heading:
        st.subheader(found["title"])
    if found["narrative"]:
        st.markdown("\n".join(f"- {line}" for line in found["narrative"]))
    for t in found["tables"]:
        table(t)


def funnel_rows(table_: dict[str, Any], force_label: str | None) -> dict[str, Any]:
    """A funnel table cut as the force's PDF prints it (outside the limits, and its own)."""
    rows, _ = printed_rows(table_, force_label)
    return {**table_, "rows": rows}


def dataframe(frame: Any, column_config: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """`st.dataframe` with dates shown as dates (Streamlit shows a polars Date with a time)
    and datetimes to the minute."""
    config = dict(column_config or {})
    schema = getattr(frame, "schema", {})
    for name, dtype in schema.items():
        if name in config:
            continue
        if dtype == pl.Date:
            config[name] = st.column_config.DateColumn(format="YYYY-MM-DD")
        elif isinstance(dtype, pl.Datetime):
            config[name] = st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")
    st.dataframe(frame, column_config=config, **kwargs)
