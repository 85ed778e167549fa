"""Roles, the local users file and the checks every page makes (dashboards/access.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboards.access import (
    AccessDenied,
    Viewer,
    add_user,
    check_password,
    parse_role,
    read_users,
    require,
    role_for_email,
)

pytestmark = pytest.mark.unit
FORCES = {"kent", "essex"}


def test_roles_are_checked_against_the_reference_forces() -> None:
    assert parse_role(" national ") == "national"
    assert parse_role("force:kent", FORCES) == "force:kent"
    for wrong in ("admin", "force:", "force:nowhere", "Force:kent"):
        with pytest.raises(ValueError):
            parse_role(wrong, FORCES)


def test_a_viewer_sees_incidents_of_their_own_force_only_unless_national() -> None:
    kent = Viewer("k", "force:kent")
    assert kent.force_id == "kent" and kent.audience == "force:kent"
    assert kent.may_see_incidents_of("kent") and not kent.may_see_incidents_of("essex")
    assert Viewer("n", "national").may_see_incidents_of("essex")
    npcc = Viewer("p", "npcc")
    assert npcc.audience == "national" and not npcc.may_see_incidents_of("kent")


def test_require_refuses_the_wrong_role_and_the_signed_out() -> None:
    with pytest.raises(AccessDenied):
        require(None)
    with pytest.raises(AccessDenied):
        require(Viewer("p", "npcc"), roles=("national", "force"))
    assert require(Viewer("k", "force:kent"), roles=("national", "force")).force_id == "kent"
    with pytest.raises(AccessDenied):
        require(Viewer("k", "force:kent"), force_id="essex")


def test_users_file_keeps_hashes_only_and_checks_passwords(tmp_path: Path) -> None:
    users = tmp_path / "users.toml"
    add_user(users, "kent-lead", "force:kent", "correct horse battery", FORCES)
    text = users.read_text()
    assert "correct horse" not in text and "$argon2id$" in text
    assert oct(users.stat().st_mode & 0o777) == "0o600"
    assert check_password(users, "kent-lead", "correct horse battery") == Viewer(
        "kent-lead", "force:kent")
    assert check_password(users, "kent-lead", "wrong horse battery") is None
    assert check_password(users, "nobody", "correct horse battery") is None
    add_user(users, "kent-lead", "national", "a new long password", FORCES)
    assert read_users(users)["kent-lead"]["role"] == "national"
    assert check_password(users, "kent-lead", "correct horse battery") is None


def test_weak_passwords_and_odd_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="12 characters"):
        add_user(tmp_path / "u.toml", "kent-lead", "force:kent", "short", FORCES)
    with pytest.raises(ValueError, match="user name"):
        add_user(tmp_path / "u.toml", 'a"b', "force:kent", "long enough password", FORCES)
    assert not (tmp_path / "u.toml").exists()


def test_oidc_addresses_map_to_roles_case_blind() -> None:
    roles = {"Analyst@PLaIT.example": "national", "lead@kent.example": "force:kent"}
    assert role_for_email("analyst@plait.example", roles) == "national"
    assert role_for_email("lead@kent.example", roles) == "force:kent"
    assert role_for_email("someone@else.example", roles) is None
