"""Who may see what: roles, the local users file, and the checks every page makes.

Three roles (issue 10): `national` (PLaIT analysts: everything, incident level), `force:<id>`
(a force lead: their own force at incident level, everything else only as the disclosure-
controlled release) and `npcc` (national aggregates, disclosure-controlled). Streamlit does no
authorisation, so every page calls `require` itself; hiding a page from the menu is only
convenience.

Local sign-in reads a TOML users file written by `plait users add`, with argon2id password
hashes (argon2-cffi's defaults, RFC 9106's second recommended profile). With OIDC configured in
Streamlit's secrets, `st.login` proves who the user is and the `[plait.roles]` table of the
secrets maps their e-mail address to a role.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

NATIONAL = "national"
NPCC = "npcc"
FORCE_PREFIX = "force:"
_NAME = re.compile(r"^[A-Za-z0-9._@-]{2,120}$")
_HASHER = PasswordHasher()


class AccessDenied(PermissionError):
    """The signed-in user's role does not allow this page or this data."""


@dataclass(frozen=True)
class Viewer:
    """A signed-in user: the name recorded in the audit log and the role that limits them."""

    name: str
    role: str

    @property
    def force_id(self) -> str | None:
        return self.role[len(FORCE_PREFIX):] if self.role.startswith(FORCE_PREFIX) else None

    @property
    def is_national(self) -> bool:
        return self.role == NATIONAL

    @property
    def audience(self) -> str:
        """The release this user reads: a force user's own force, everyone else national."""
        return self.role if self.force_id else NATIONAL

    def may_see_incidents_of(self, force_id: str | None) -> bool:
        """Incident-level rows: national analysts for every force, a force for its own."""
        return self.is_national or (force_id is not None and force_id == self.force_id)


def parse_role(role: str, known_forces: set[str] | None = None) -> str:
    """A role as written in the users file or secrets, checked; raises ValueError."""
    role = role.strip()
    if role in (NATIONAL, NPCC):
        return role
    if role.startswith(FORCE_PREFIX) and len(role) > len(FORCE_PREFIX):
        force = role[len(FORCE_PREFIX):]
        if known_forces is not None and force not in known_forces:
            raise ValueError(f"role {role!r}: no force {force!r} in the reference data")
        return role
    raise ValueError(f"role {role!r}: expected 'national', 'npcc' or 'force:<force_id>'")


def require(viewer: Viewer | None, *, roles: tuple[str, ...] = (), force_id: str | None = None
            ) -> Viewer:
    """The viewer, if signed in and allowed; otherwise AccessDenied.

    `roles` lists the roles allowed ("force" meaning any force role); `force_id` asks that the
    viewer may see that force's incident-level data."""
    if viewer is None:
        raise AccessDenied("sign in first")
    kinds = {viewer.role, "force" if viewer.force_id else viewer.role}
    if roles and not kinds & set(roles):
        raise AccessDenied(f"the {viewer.role} role cannot open this page")
    if force_id is not None and not viewer.may_see_incidents_of(force_id):
        raise AccessDenied(f"the {viewer.role} role cannot see {force_id}'s incidents")
    return viewer


# --- The local users file -------------------------------------------------------------------

def read_users(path: Path) -> dict[str, dict[str, str]]:
    """name → {"role", "password_hash"}; an absent file is no users."""
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return {name: {"role": str(entry["role"]), "password_hash": str(entry["password_hash"])}
            for name, entry in data.get("users", {}).items()}


def write_users(path: Path, users: dict[str, dict[str, str]]) -> None:
    """Write the users file (names are checked, so plain TOML quoting is enough)."""
    lines = ["# plait users: written by `plait users add`; passwords are argon2id hashes.", ""]
    for name in sorted(users):
        entry = users[name]
        lines += [f'[users."{name}"]', f'role = "{entry["role"]}"',
                  f'password_hash = "{entry["password_hash"]}"', ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    path.chmod(0o600)


def add_user(path: Path, name: str, role: str, password: str,
             known_forces: set[str] | None = None) -> None:
    """Add or replace a user. Passwords under 12 characters are refused (NCSC guidance
    favours length)."""
    if not _NAME.match(name):
        raise ValueError(f"user name {name!r}: use 2-120 letters, digits, '.', '_', '@' or '-'")
    if len(password) < 12:
        raise ValueError("password: at least 12 characters")
    users = read_users(path)
    users[name] = {"role": parse_role(role, known_forces), "password_hash": _HASHER.hash(password)}
    write_users(path, users)


def check_password(path: Path, name: str, password: str) -> Viewer | None:
    """The viewer when the name and password match the users file, else None.

    An unknown name still costs one hash, so timing does not tell names apart."""
    users = read_users(path)
    entry = users.get(name)
    stored = entry["password_hash"] if entry else _DUMMY_HASH
    try:
        _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if entry is None:
        return None
    return Viewer(name, parse_role(entry["role"]))


_DUMMY_HASH = _HASHER.hash("plait-no-such-user")


def role_for_email(email: str, roles: dict[str, str]) -> str | None:
    """The role an OIDC-signed-in e-mail address maps to in the secrets, or None."""
    for key, role in roles.items():
        if key.lower() == email.lower():
            return parse_role(role)
    return None
