"""Reports: the quarterly report for the viewer to download, as PDF (and as data, JSON).

A national analyst chooses the national report or any force's; a force lead gets their own
force's only (no selector); an NPCC lead the national one. The PDF is built on the click (a
callable download), cached per warehouse, run and audience, and each download is audited
inside that callable, when the file is actually taken.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from analytics.release import ReleaseError
from dashboards import audit, data, data_reports
from dashboards.access import AccessDenied
from dashboards.app import state

viewer = state.page_viewer("reports")
run = state.current_run()
if run is None:
    state.no_run_yet()
assert run is not None
engine = state.engine()


@st.cache_data(show_spinner="Building the PDF…", max_entries=16, ttl=3600)
def _pdf(url: str, run_id: int, audience: str, _release: dict[str, Any]) -> bytes:
    """One PDF per warehouse, run and audience, shared by every session (the caller checks
    the viewer may take it first)."""
    return data_reports.build_pdf(_release)


st.title(f"Reports: {run.quarter_label}")
st.caption(f"The quarterly report of analysis run {run.run_id} (as of {run.as_of:%B %Y}), "
           "as printed: disclosure-controlled, OFFICIAL-SENSITIVE. Handle the file as you "
           "would the printed report.")

force_names = dict(data.forces(engine).select("force_id", "force_name").iter_rows())
audiences = data_reports.report_audiences(
    viewer, ["national", *(f"force:{f}" for f in force_names)])
if viewer.is_national:
    audience = st.selectbox(
        "Report", audiences, format_func=lambda a: data_reports.audience_label(a, force_names),
        help="The national report, or the report sent to one force.")
else:
    audience = viewer.audience
    st.write(f"Your report: **{data_reports.audience_label(audience, force_names)}**.")

try:
    release = state.release(viewer, audience)
    assert release is not None
    data_reports.check_release(viewer, release)
except AccessDenied as exc:
    audit.record(engine, viewer, "refused", "reports", f"{audience}: {exc}")
    st.error(f"You cannot take this report: {exc}.")
    st.stop()
    raise
except ReleaseError as exc:
    st.error(f"There is no {data_reports.audience_label(audience, force_names)} report in "
             f"this run: {exc}")
    st.stop()
    raise
stem = data_reports.file_stem(release)
url = str(engine.url)


def _download_pdf() -> bytes:
    data_reports.check_release(viewer, release)
    pdf = _pdf(url, run.run_id, release["audience"], release)
    audit.record(engine, viewer, "download", "reports",
                 f"{stem}.pdf: quarterly report, {release['audience']}, run {run.run_id}")
    return pdf


def _download_json() -> bytes:
    body = data_reports.release_json(viewer, release)
    audit.record(engine, viewer, "download", "reports",
                 f"{stem}.json: quarterly release data, {release['audience']}, run {run.run_id}")
    return body


left, right = st.columns(2)
left.download_button("Download the report (PDF)", data=_download_pdf, file_name=f"{stem}.pdf",
                     mime="application/pdf", on_click="ignore", type="primary",
                     icon=":material/picture_as_pdf:", width="stretch")
right.download_button("Download the figures (JSON)", data=_download_json,
                      file_name=f"{stem}.json", mime="application/json", on_click="ignore",
                      icon=":material/data_object:", width="stretch")
st.caption("The PDF takes a few seconds to build the first time it is asked for. Every "
           "download is recorded in the audit log.")

st.subheader("What the report holds")
st.markdown("\n".join(f"- {s['title']}" for s in release["sections"]))
