"""plait's dashboard: one Streamlit app for PLaIT analysts, force leads and NPCC leads.

`plait serve` runs this file. Pages are listed by role here for convenience only; every page
checks the role itself (`state.page_viewer`)."""

from __future__ import annotations

import streamlit as st

from dashboards.app import state

st.set_page_config(page_title="plait", page_icon=":material/shield:", layout="wide")

PAGES = {
    # file, title, icon, roles allowed ("force" = any force role; empty = every role)
    "overview": ("Overview", ":material/dashboard:", ()),
    "trends": ("Trends", ":material/monitoring:", ()),
    "map": ("Map", ":material/map:", ()),
    "series": ("Series", ":material/hub:", ()),
    "intelligence": ("Intelligence", ":material/lightbulb:", ()),
    "investigation": ("Investigation", ":material/gavel:", ()),
    "data_quality": ("Data quality", ":material/fact_check:", ()),
    "returns": ("Returns", ":material/upload_file:", ("national", "force")),
    "reports": ("Reports", ":material/picture_as_pdf:", ()),
    "admin": ("Admin", ":material/admin_panel_settings:", ("national",)),
}

viewer = state.viewer()
if viewer is None:
    page = st.navigation([st.Page(state.sign_in_form, title="Sign in", icon=":material/login:")])
else:
    kinds = {viewer.role, "force" if viewer.force_id else viewer.role}
    # a page the role may not open is registered but hidden: its address still reaches it,
    # and the page's own check refuses and audits the attempt
    pages = [st.Page(f"pages/{name}.py", title=title, icon=icon, default=name == "overview",
                     visibility="visible" if not roles or kinds & set(roles) else "hidden")
             for name, (title, icon, roles) in PAGES.items()]
    page = st.navigation(pages)
    with st.sidebar:
        st.caption(f"Signed in as **{viewer.name}** ({viewer.role})")
        st.button("Sign out", on_click=state.sign_out)
        st.caption("OFFICIAL-SENSITIVE")
page.run()
