"""Returns: a force lead uploads their force's return and gets a receipt; national analysts
may upload any force's. The load is `plait ingest`'s (`dashboards.data_returns`), which also
refuses another force's file and audits every upload and refusal."""

from __future__ import annotations

import streamlit as st

from dashboards import audit, data, data_returns
from dashboards.access import AccessDenied
from dashboards.app import render, state
from etl.settings import get_settings

RECEIPT_KEY = "returns_receipt"
STATUS = {
    "loaded": "Loaded.",
    "skipped": "This file was loaded before (the same bytes): nothing changed. The counts and "
               "rows below are from that load.",
    "failed": "The file could not be loaded, and nothing was written:",
}

viewer = state.page_viewer("returns", roles=("national", "force"))
engine = state.engine()
settings = get_settings()
names = dict(data.forces(engine).select("force_id", "force_name").iter_rows())

st.title("Returns")
whose = ("any force's return" if viewer.is_national
         else f"{names.get(viewer.force_id or '', viewer.force_id)}'s return")
st.write(f"Upload {whose} as exported from your records system (CSV, XLSX or JSON lines). "
         "It is recognised by its layout, checked row by row and loaded. A row that cannot be "
         "used is set aside with the reason, and the rest of the file is still loaded.")
if settings.uses_development_key:
    st.warning("This server has no pseudonymisation key of its own (`PLAIT_PSEUDONYM_KEY`), so "
               "it accepts only synthetic returns written by `plait synth`.")

with st.form("upload_return"):
    uploaded = st.file_uploader("Return file", type=list(data_returns.UPLOAD_TYPES))
    submitted = st.form_submit_button("Check and load", type="primary")

if submitted:
    if uploaded is None:
        st.error("Choose a file first.")
    else:
        st.session_state.pop(RECEIPT_KEY, None)
        try:
            with st.spinner(f"Loading {uploaded.name}…"):
                st.session_state[RECEIPT_KEY] = data_returns.ingest_upload(
                    engine, viewer, uploaded.name, uploaded.getvalue(),
                    settings.pseudonym_key.get_secret_value().encode(),
                    synthetic_only=settings.uses_development_key)
        except AccessDenied as exc:
            st.error(f"Refused: {exc}.")
        except data_returns.UploadRefused as exc:
            st.error(f"Refused: {exc}.")

receipt = st.session_state.get(RECEIPT_KEY)
if isinstance(receipt, data_returns.Receipt):
    st.subheader(f"Receipt: {receipt.file}")
    message = STATUS.get(receipt.status, receipt.status)
    if receipt.status == "failed":
        st.error(f"{message} {receipt.error}")
    elif receipt.status == "skipped":
        st.info(message)
    else:
        st.success(f"{message} {names.get(receipt.force_id or '', receipt.force_id)}'s "
                   "return.")
    for column, (name, value) in zip(st.columns(len(data_returns.COUNTS)),
                                     receipt.counts().items(), strict=True):
        column.metric(name.capitalize(), f"{value:,}")
    st.caption("Read = loaded + updated + duplicate + rejected. Updated: a new version of an "
               "incident already held. Duplicate: already held, or repeated in the file. "
               "Rejected: set aside for the reason shown; correct it in your system and send "
               "it again.")
    if not receipt.rejects.is_empty():
        render.dataframe(receipt.rejects, hide_index=True, width="stretch",
                     column_config={"source_row": "Row in the file", "disposition": "Set aside as",
                                    "field": "Field", "reason": "Reason"})

    def _receipt_csv() -> bytes:
        audit.record(engine, viewer, "download", "returns", f"receipt of {receipt.file}")
        return receipt.to_csv()

    st.download_button("Download the receipt (CSV)", data=_receipt_csv,
                       file_name=f"receipt-{receipt.file.rsplit('.', 1)[0]}.csv",
                       mime="text/csv", on_click="ignore", icon=":material/download:")
    if receipt.status == "loaded":
        st.caption("The figures on the other pages change after the next analysis run "
                   "(`plait analyse`).")

st.subheader("Returns loaded")
loaded = data_returns.returns_loaded(engine, viewer)
if loaded.is_empty():
    st.write("No return has been loaded yet.")
else:
    render.dataframe(loaded, hide_index=True, width="stretch",
                 column_config={"file_name": "File", "force_id": "Force",
                                "loaded_at": st.column_config.DatetimeColumn(
                                    "Loaded (UTC)", format="YYYY-MM-DD HH:mm"),
                                "read": "Read", "loaded": "Loaded", "updated": "Updated",
                                "duplicate": "Duplicate",
                                "rejected": "Rejected"})
