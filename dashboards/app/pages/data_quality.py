"""Data quality: what each force sent, what became of every row, and late or missing returns.

National analysts see every force's files and rejected rows; a force user their own force's,
beside the release's data-quality section; NPCC leads the release's section only. Rejected
rows are incident-level data of their force: showing them is written to the audit log."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards import data, data_quality
from dashboards.access import Viewer
from dashboards.app import render, state

viewer = state.page_viewer("data_quality")
run = state.current_run()
if run is None:
    state.no_run_yet()
release = state.release(viewer)
assert run is not None and release is not None

LABELS = {"file_name": "File", "received_at": "Received", "last_received": "Last received",
          "read": "Rows read", "reconciles": "Read = loaded + updated + duplicates + rejected",
          "latest_month": "Latest month reported", "months_behind": "Months behind",
          "row": "Row", "rows": "Rows"}


def show(frame: pl.DataFrame) -> None:
    labels = {c: LABELS.get(c, render.column_label(c)) for c in frame.columns}
    render.dataframe(frame.rename(labels), hide_index=True, width="stretch")


def rejected_rows(viewer_: Viewer, force_id: str, force_name: str) -> None:
    rows = data_quality.rejected_rows(state.engine(), viewer_, force_id)
    if rows.is_empty():
        st.write(f"No row from {force_name} has been rejected.")
        return
    state.audit_view(viewer_, "data_quality", f"rejected rows of {force_id}")
    st.caption("Each rejected row by its file and row number, the field at fault and the rule "
               "it broke (values are left out: look the row up in the file you sent).")
    show(rows)


st.title("Data quality")
st.caption(f"Files received up to now; late returns judged against the analysis run as of "
           f"{run.as_of:%B %Y}.")

if viewer.is_national:
    engine = state.engine()
    st.subheader("Late or missing returns")
    late = data_quality.late_returns(viewer, release, run)
    if late.is_empty():
        st.write(f"Every force has reported incidents up to {run.as_of:%B %Y}.")
    else:
        st.caption("Forces with no return, or whose latest reported incident is before the "
                   "run's month. The note is the quarterly release's.")
        show(late)
    st.subheader("Returns by force")
    show(data_quality.returns_by_force(engine, viewer))
    st.subheader("Files received")
    show(data_quality.source_files(engine, viewer))
    st.subheader("Rejected rows by reason")
    show(data_quality.rejects_by_reason(engine, viewer))
    st.subheader("Rejected rows of one force")
    forces = data.forces(engine)
    names = dict(forces.select("force_id", "force_name").iter_rows())
    force_id = st.selectbox("Force", list(names), format_func=names.__getitem__, index=None,
                            placeholder="Choose a force", key="reject_force")
    if force_id is not None:
        rejected_rows(viewer, force_id, names[force_id])
    with st.expander("As published in the quarterly release"):
        render.section(release, "data_quality", heading=False)
elif viewer.force_id:
    engine = state.engine()
    st.subheader("Your force's returns")
    returns = data_quality.returns_by_force(engine, viewer)
    show(returns)
    st.subheader("Files you have sent")
    show(data_quality.source_files(engine, viewer))
    st.subheader("Your rejected rows")
    rejected_rows(viewer, viewer.force_id, returns["force"][0] if returns.height
                  else viewer.force_id)
    render.section(release, "data_quality")
else:
    render.section(release, "data_quality", heading=False)
