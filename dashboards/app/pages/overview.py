"""Overview: the latest quarter's headline figures and changes, the latest month's exceedance
alarms, and new and growing cross-border series."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards import data
from dashboards.app import render, state
from etl.periods import quarter_name

viewer = state.page_viewer("overview")
run = state.current_run()
if run is None:
    state.no_run_yet()
release = state.release(viewer)
assert run is not None and release is not None

st.title(f"Overview: {quarter_name(run.quarter)}")
st.caption(f"Analysis run {run.run_id}, as of {run.as_of:%B %Y}. "
           f"{'National figures' if viewer.force_id is None else 'Your force and the nation'}, "
           "disclosure-controlled: [c] is a count of 1 to 7 or a cell hidden so that one cannot "
           "be worked out; other counts are rounded to 5.")

summary = data.section(release, "summary")
if summary is not None:
    headline = next((t for t in summary["tables"] if t["id"] == "headline"), None)
    if headline is not None:
        columns = st.columns(len(headline["rows"]))
        for column, (measure, value) in zip(columns, headline["rows"], strict=True):
            column.metric(render.column_label(measure),
                          "[c]" if value is None else (f"{value:,}" if isinstance(value, int)
                                                        else str(value)))
    st.subheader("What changed")
    st.markdown("\n".join(f"- {line}" for line in summary["narrative"]))

if viewer.force_id:
    st.subheader("Your force, as recorded")
    st.caption("Your own force's incidents without disclosure control: for use inside your "
               "force. Do not pass these on; the published figures above are the ones to quote.")
    own = data.own_force_quarters(state.engine(), viewer, run)
    state.audit_view(viewer, "overview", f"{viewer.force_id} counts as recorded")
    totals = own.filter(pl.col("dimension") == "all").sort("quarter", descending=True)
    labels = ("This quarter", "Previous quarter", "Same quarter last year")
    for column, label, count in zip(st.columns(3), labels, totals["incidents"], strict=False):
        column.metric(label, f"{count:,}")
    by_group = (own.filter(pl.col("dimension") == "offence_group")
                .pivot("quarter", index="category", values="incidents"))
    by_group = by_group.rename({c: str(c) for c in by_group.columns})
    render.dataframe(by_group.rename({"category": "Offence group"}), hide_index=True,
                     width="stretch")

st.subheader("Exceedance alarms")
if viewer.is_national:
    alarms = data.latest_alarms(state.engine(), viewer, run)
    st.caption(f"Series above their Farrington upper bound in {run.as_of:%B %Y} "
               f"(national, regional and force series; counts as recorded).")
    if alarms.is_empty():
        st.write("No series is above its upper bound this month.")
    else:
        render.dataframe(alarms, hide_index=True, width="stretch")
else:
    trends = data.section(release, "trends")
    exceed = next((t for t in (trends or {"tables": []})["tables"]
                   if t["id"] == "exceedances"), None)
    if exceed is not None:
        render.table(exceed)

st.subheader("Cross-border series")
render.section(release, "series", heading=False)
if viewer.force_id:
    render.section(release, "force_series")
