"""Being built (issue 10)."""

from __future__ import annotations

import streamlit as st

from dashboards.app import state

viewer = state.page_viewer("data_quality")
st.title("data_quality")
