"""The app's Streamlit edge: the cached engine and releases, the signed-in viewer, page guards.

Caches are shared by every session (stack.md), so anything that depends on who is looking is
either keyed by the `Viewer` or handed out by `dashboards.data` per viewer from a cache of all
audiences (the releases of a run hold nothing a role may not see in its own audience's).
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from sqlalchemy import Engine

from dashboards import audit, data
from dashboards.access import AccessDenied, Viewer, check_password, require, role_for_email
from etl.settings import get_settings
from etl.warehouse import make_engine, migrate

VIEWER_KEY = "plait_viewer"


def engine() -> Engine:
    """The warehouse of `$PLAIT_DB_URL` (set by `plait serve --db`)."""
    return _engine(get_settings().db_url)


@st.cache_resource
def _engine(url: str) -> Engine:
    """One engine per warehouse URL for the server's life; the schema brought up to date."""
    made = make_engine(url)
    migrate(made)
    return made


@st.cache_data(ttl=900, show_spinner="Building the quarterly release…", max_entries=4)
def _releases(_engine: Engine, url: str, run_id: int) -> dict[str, dict[str, Any]]:
    run = next(r for r in data.runs(_engine) if r.run_id == run_id)
    return data.all_releases(_engine, run)


def current_run() -> data.RunInfo | None:
    return data.latest_run(engine())


def release(viewer: Viewer, audience: str | None = None) -> dict[str, Any] | None:
    """The viewer's release of the latest run (None before any `plait analyse`)."""
    run = current_run()
    if run is None:
        return None
    url = str(engine().url)
    return data.release_for(_releases(engine(), url, run.run_id), viewer, audience)


def viewer() -> Viewer | None:
    """The signed-in viewer of this session: OIDC when configured, else the local sign-in."""
    found = st.session_state.get(VIEWER_KEY)
    if isinstance(found, Viewer):
        return found
    if _oidc_configured() and getattr(st.user, "is_logged_in", False):
        roles = dict(st.secrets.get("plait", {}).get("roles", {}))
        role = role_for_email(str(st.user.get("email", "")), roles)
        if role is not None:
            signed = Viewer(str(st.user.get("email")), role)
            st.session_state[VIEWER_KEY] = signed
            audit.record(engine(), signed, "sign_in", "sign in", "OIDC")
            return signed
    return None


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False


def sign_in_form() -> None:
    """The sign-in page: the identity provider's button, or the local users file's form."""
    st.title("plait: crimes against MPs, candidates and their staff")
    st.caption("OFFICIAL-SENSITIVE. Sign in to continue.")
    if _oidc_configured():
        if getattr(st.user, "is_logged_in", False):
            st.error("Your account has no plait role. Ask PLaIT to add you.")
            st.button("Sign out", on_click=st.logout)
        else:
            st.button("Sign in", on_click=st.login, type="primary")
        return
    with st.form("sign_in"):
        name = st.text_input("User name")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        signed = check_password(get_settings().users_file, name.strip(), password)
        if signed is None:
            audit.record(engine(), None, "refused", "sign in", f"user name {name.strip()[:120]}")
            st.error("The user name or password is not right.")
        else:
            st.session_state[VIEWER_KEY] = signed
            audit.record(engine(), signed, "sign_in", "sign in", "users file")
            st.rerun()


def sign_out() -> None:
    signed = viewer()
    if signed is not None:
        audit.record(engine(), signed, "sign_out", "sign out")
    st.session_state.pop(VIEWER_KEY, None)
    if _oidc_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()


def page_viewer(page: str, roles: tuple[str, ...] = ()) -> Viewer:
    """The viewer, checked against the page's roles in code; stops the page otherwise."""
    try:
        return require(viewer(), roles=roles)
    except AccessDenied as exc:
        audit.record(engine(), viewer(), "refused", page, str(exc))
        st.error(f"You cannot open this page: {exc}.")
        st.stop()
        raise  # st.stop raises; this line is for type checkers


def audit_view(viewer_: Viewer, page: str, detail: str) -> None:
    """Record a view of incident-level data."""
    audit.record(engine(), viewer_, "view_incidents", page, detail)


def no_run_yet() -> None:
    st.info("No analysis has been run on this warehouse yet: run `plait analyse`.")
    st.stop()
