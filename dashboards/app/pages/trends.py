"""Trends: any count series against what was expected, with its alarms, long-term trend and
changes on earlier quarters, then the funnel plot of forces.

National analysts see every series as recorded; a force user sees its own force in full and
the nation and regions disclosure-controlled; an NPCC lead the nation and regions,
disclosure-controlled (`dashboards.data_trends` decides, this page only renders)."""

from __future__ import annotations

import streamlit as st

from dashboards import charts, data_trends
from dashboards.app import render, state

viewer = state.page_viewer("trends")
run = state.current_run()
if run is None:
    state.no_run_yet()
assert run is not None
release = state.release(viewer)
engine = state.engine()

st.title(f"Trends: {run.quarter_label}")
st.caption(f"Analysis run {run.run_id}, as of {run.as_of:%B %Y}. Each series is checked "
           "against the count expected from its own history (improved Farrington, Noufaily "
           "et al. 2013); a period above the upper bound is an alarm.")

catalogue = data_trends.catalogue(engine, viewer, run)
if catalogue.is_empty():
    st.info("This run has no count series.")
    st.stop()

areas = list(dict.fromkeys(catalogue["area"].to_list()))
left, middle, right = st.columns([2, 2, 1])
area = left.selectbox("Area", areas, key="trends_area")
choices = catalogue.filter(catalogue["area"] == area)
whats = choices["what"].to_list()
what = middle.selectbox("Incidents", whats, key="trends_what")
series_id = str(choices.filter(choices["what"] == what)["series_id"][0])
periods = data_trends.frequencies(engine, viewer, run, series_id)
frequency = right.selectbox("Periods", periods, format_func=data_trends.FREQUENCIES.get,
                            key=f"trends_frequency_{'_'.join(periods)}")

with st.spinner("Applying disclosure control…"):
    view = data_trends.exceedance(engine, viewer, run, series_id, frequency)
    changes = data_trends.period_changes(engine, viewer, run, series_id)
trend = data_trends.trend(engine, viewer, run, series_id)

st.subheader(view.table["title"])
if view.controlled:
    st.caption("Counts are disclosure-controlled: [c] is a count of 1 to 7, or one hidden so "
               "that another cannot be worked out; other counts are rounded to 5. Expected "
               "counts and upper bounds are model outputs, rounded to 1 decimal place; beside "
               "a [c] the alarm is shown only where the quarterly release publishes it. "
               "Monthly counts are published for the national total only, and regions by "
               "their totals only: smaller counts are for PLaIT analysts.")
elif viewer.force_id:
    st.caption("Your force's own counts, as recorded: do not pass them on outside policing "
               "without disclosure control.")
render.chart(charts.exceedance_chart(view.table))
st.dataframe(view.frame.rename({c: render.column_label(c) for c in view.frame.columns}),
             hide_index=True, width="stretch")

st.subheader("Long-term trend")
st.caption("Change per year from a Poisson or negative binomial regression on the whole "
           "series, as a percentage, with its 95% confidence interval.")
if trend.is_empty():
    st.write("No trend was estimated for this series.")
else:
    st.dataframe(trend.rename({c: render.column_label(c) for c in trend.columns}),
                 hide_index=True, width="stretch")

st.subheader("Latest quarter against earlier ones")
st.caption("Rate ratio of the latest complete quarter to the one before and to the same "
           "quarter a year earlier, with its exact 95% confidence interval."
           + (" For disclosure-controlled series the ratio is worked out from the published "
              "counts." if view.controlled else ""))
if changes.is_empty():
    st.write("No comparison is stored for this series.")
else:
    st.dataframe(changes.rename({c: render.column_label(c) for c in changes.columns}),
                 hide_index=True, width="stretch")

st.subheader("Forces against the national rate")
funnel = data_trends.funnel(engine, viewer, run, release)
if funnel.table is None or funnel.national_rate is None:
    st.write("The funnel plot is not available for this run.")
else:
    st.caption("Incidents per constituency by force over 12 months. Forces outside the "
               "funnel's limits differ from the national rate by more than chance would "
               "explain." + (" From the quarterly release: forces with a suppressed count "
                             "are not drawn." if funnel.from_release else ""))
    render.chart(charts.incidence_funnel(funnel.table, funnel.national_rate))
    own = (None if viewer.force_id is None
           else data_trends.area_label("force", viewer.force_id,
                                       data_trends.force_names(engine)))
    shown = render.funnel_rows(funnel.table, own) if funnel.from_release else funnel.table
    render.table(shown, with_chart=False)
