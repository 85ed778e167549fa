"""Cross-border series: incidents plait links to one offender or campaign across forces.

Everyone sees the release's series (lettered, disclosure-controlled). National analysts also
see every series of the run with its members at incident level and a timeline, and a force
user their own force's members of the series that touch it; both can ask for incidents like
chosen ones. Every incident-level view is written to the audit log."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards import audit, charts_series, data_series
from dashboards.access import AccessDenied, Viewer
from dashboards.app import render, state
from dashboards.data import RunInfo

viewer = state.page_viewer("series")
run = state.current_run()
if run is None:
    state.no_run_yet()
release = state.release(viewer)
assert run is not None and release is not None

LABELS = {"incident_id": "Incident", "reported_date": "Reported", "offence_group": "Offence group",
          "seeds_matched": "Chosen incidents matched", "why": "Why it matches",
          "force_names": "Force names", "your_incidents": "Your incidents",
          "your_first_date": "Your first", "your_last_date": "Your last",
          "in_release": "In this quarter's release", "linked_by": "Linked by",
          "series_id": "Series id", "first_date": "First reported", "last_date": "Last reported"}


def show(frame: pl.DataFrame) -> None:
    labels = {c: LABELS.get(c, render.column_label(c)) for c in frame.columns}
    render.dataframe(frame.rename(labels), hide_index=True, width="stretch")


def members_view(viewer_: Viewer, run_: RunInfo, label: str) -> pl.DataFrame:
    members = data_series.series_members(state.engine(), viewer_, run_, label)
    where = "every force" if viewer_.is_national else viewer_.force_id
    state.audit_view(viewer_, "series", f"{label} (run {run_.run_id}): members of {where}")
    return members


def find_more(viewer_: Viewer, members: pl.DataFrame, key: str) -> None:
    """Incidents like the chosen ones (`plait similar`'s search), as the role allows."""
    st.subheader("Find more like these")
    st.caption("Choose incidents to start from; plait ranks other incidents by how likely they "
               "are to belong with them (the same model that links series). Matches score 0.5 "
               "or more.")
    seeds = st.multiselect("Start from these incidents", members["incident_id"].to_list(),
                           key=f"seeds_{key}")
    typed = st.text_input("Or enter incident references, separated by commas",
                          key=f"typed_{key}", placeholder="force:reference")
    if not st.button("Find more like these", key=f"find_{key}"):
        return
    chosen = [*seeds, *(t.strip() for t in typed.split(",") if t.strip())]
    try:
        found = data_series.similar_incidents(state.engine(), viewer_, chosen)
    except AccessDenied as exc:
        audit.record(state.engine(), viewer_, "refused", "series",
                     f"find more like these: {exc}")
        st.error(f"You cannot start from those incidents: {exc}.")
        return
    except ValueError as exc:
        st.error(f"Cannot search: {exc}.")
        return
    where = "every force" if viewer_.is_national else viewer_.force_id
    state.audit_view(viewer_, "series",
                     f"find more like {len(chosen)} incidents: matches of {where}")
    if found.matches.is_empty():
        st.write("No incidents you can see match these closely.")
    else:
        show(found.matches)
    if viewer_.force_id:
        if found.other_force_count:
            st.markdown(f"There are also matches in **{found.other_force_count}** other "
                        f"{'force' if found.other_force_count == 1 else 'forces'}. Ask PLaIT "
                        "for details: other forces' incidents are not shown here.")
            st.caption("Matches per force: counts of 1 to 7 are shown as [c] and others are "
                       "rounded to 5.")
            show(found.other_forces)
        else:
            st.write("No other force has a matching incident.")


st.title(f"Cross-border series: {run.quarter_label}")

if viewer.is_national:
    render.section(release, "series")
    st.subheader("Every series in this run")
    single = st.checkbox("Include series within one force", key="single")
    catalogue = data_series.all_series(state.engine(), viewer, run,
                                       cross_border_only=not single)
    st.caption("As recorded, without disclosure control. Series not in this quarter's release "
               "are named Other series 1, 2 and so on. The evidence is the model's own summary "
               "and may quote a phrase: keep it inside PLaIT.")
    show(catalogue)
    if catalogue.height:
        label = st.selectbox("Series", catalogue["series"].to_list(), key="series")
        members = members_view(viewer, run, label)
        st.subheader(f"{label}: members")
        chart = charts_series.series_timeline(label, data_series.timeline(members))
        render.chart(chart)
        show(members)
        find_more(viewer, members, "national")
elif viewer.force_id:
    render.section(release, "force_series")
    with st.expander("Cross-border series across all forces"):
        render.section(release, "series", heading=False)
    st.subheader("Your force's incidents in cross-border series")
    st.caption("Your own incidents only, as recorded. Other forces' incidents in these series "
               "are in the tables above, disclosure-controlled.")
    mine = data_series.force_series(state.engine(), viewer, run)
    members = pl.DataFrame(schema={"incident_id": pl.String})
    if mine.is_empty():
        st.write("None of your force's incidents is in a cross-border series in this run.")
    else:
        show(mine)
        label = st.selectbox("Series", mine["series"].to_list(), key="series")
        members = members_view(viewer, run, label)
        show(members)
    find_more(viewer, members, "force")
else:
    render.section(release, "series", heading=False)
