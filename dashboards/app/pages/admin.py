"""Admin (national analysts only): the audit log of sign-ins, views of incident-level data,
uploads, downloads and refusals, newest first, filtered by user, action and date."""

from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from dashboards import audit
from dashboards.app import render, state

LIMIT = 10_000

viewer = state.page_viewer("admin", roles=("national",))
st.title("Admin: audit log")
st.caption(f"Who signed in, saw incident-level data, uploaded or downloaded what, and what was "
           f"refused: the latest {LIMIT:,} events, newest first. Times are UTC.")

events = audit.events(state.engine(), limit=LIMIT)
if events.is_empty():
    st.info("Nothing has been recorded yet.")
    st.stop()

user_col, action_col, date_col = st.columns(3)
users = user_col.multiselect("User", sorted(events["user_name"].unique().to_list()),
                             placeholder="Every user")
actions = action_col.multiselect("Action", list(audit.ACTIONS), placeholder="Every action")
first = events["at"].min()
last = events["at"].max()
assert isinstance(first, dt.datetime) and isinstance(last, dt.datetime)
dates = date_col.date_input("Dates", value=(first.date(), last.date()),
                            min_value=first.date(), max_value=last.date(), format="DD/MM/YYYY")

shown = events
if users:
    shown = shown.filter(pl.col("user_name").is_in(users))
if actions:
    shown = shown.filter(pl.col("action").is_in(actions))
if isinstance(dates, tuple) and len(dates) == 2:
    shown = shown.filter(pl.col("at").dt.date().is_between(dates[0], dates[1]))

st.write(f"{shown.height:,} of {events.height:,} events.")
render.dataframe(shown.drop("event_id").with_columns(pl.col("at").dt.strftime("%Y-%m-%d %H:%M:%S")),
             hide_index=True, width="stretch",
             column_config={"at": "When (UTC)", "user_name": "User", "role": "Role",
                            "action": "Action", "page": "Page", "detail": "Detail"})
