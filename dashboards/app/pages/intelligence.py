"""Intelligence, as in the quarterly release: repeat victimisation, how incidents were made,
online platforms, words newly common in summaries, hate-related incidents."""

from __future__ import annotations

import streamlit as st

from dashboards.app import render, state

viewer = state.page_viewer("intelligence")
run = state.current_run()
if run is None:
    state.no_run_yet()
release = state.release(viewer)
assert run is not None and release is not None

st.title(f"Intelligence: {run.quarter_label}")
if viewer.force_id:
    st.caption("National figures, disclosure-controlled; your force's own figures are on the "
               "Overview and in your force's report.")
render.section(release, "intelligence", heading=False)
