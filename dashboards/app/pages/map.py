"""Map: the 650 constituencies as a hex cartogram, coloured by force rate or funnel position
(every role, from the disclosure-controlled release), or by constituency counts and force
alarms as recorded (national analysts only). Nothing finer than a force reaches anyone else
(`dashboards.data_trends.map_values` decides, this page only renders)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboards import charts, data_trends
from dashboards.app import render, state


@st.cache_data(max_entries=256, show_spinner=False)
def hex_chart(table: dict[str, Any], title: str, quantitative: bool, by: str,
              categories: dict[str, str] | None, highlight: str | None
              ) -> tuple[dict[str, Any], str]:
    """The map's chart, made once per distinct view: its table is the role's own (from
    `map_values`), so the cache, keyed by what is drawn, hands no one another role's map."""
    return render.chart_dict(charts.hex_map(table, title, quantitative=quantitative, by=by,
                                            categories=categories, highlight=highlight))


viewer = state.page_viewer("map")
run = state.current_run()
if run is None:
    state.no_run_yet()
assert run is not None
release = state.release(viewer)
engine = state.engine()

st.title(f"Map: {run.quarter_label}")
st.caption("Each hexagon is one parliamentary constituency (2024 boundaries), all the same "
           "size, so that small urban forces show as clearly as large rural ones. Hex map: "
           "Rae & Brown, via mySociety (CC BY 4.0).")

measures = data_trends.map_measures(viewer)
measure = st.selectbox("Colour the map by", list(measures), format_func=measures.get,
                       key="map_measure")
view = data_trends.map_values(engine, viewer, run, release, measure)
own = (None if viewer.force_id is None
       else data_trends.area_label("force", viewer.force_id, data_trends.force_names(engine)))


render.chart_from_dict(*hex_chart(view.table, view.title, view.quantitative, view.by,
                                  view.categories, own))
st.caption(view.note)  # the chart's alt text above already says whose hexagons are outlined
frame = view.frame.select("area", "shown").rename({
    "area": "Constituency" if view.by == "constituency" else "Force", "shown": view.title})
st.dataframe(frame, hide_index=True, width="stretch")
