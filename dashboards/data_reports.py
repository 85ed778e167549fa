"""The quarterly report as a file for one viewer: which releases they may take, and the bytes.

The files are the ones `plait report` writes (the release, disclosure-controlled, rendered by
`dashboards.report_pdf`), so a download and the printed report never differ. Who may take which:
a national analyst any audience's (the national report and every force's), a force lead only
their own force's, an NPCC lead only the national one. The check is made on the release's own
`audience` field, every time, outside any cache: a cached PDF is shared by every session.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dashboards.access import NATIONAL, AccessDenied, Viewer
from dashboards.report_pdf import write_pdf


def may_take(viewer: Viewer, audience: str) -> bool:
    return viewer.is_national or audience == viewer.audience


def report_audiences(viewer: Viewer, audiences: Iterable[str]) -> list[str]:
    """The audiences the viewer may choose from, national first (for a force lead: only their
    own force's, so a selector never offers another)."""
    allowed = [a for a in audiences if may_take(viewer, a)]
    return sorted(set(allowed), key=lambda a: (a != NATIONAL, a))


def check_release(viewer: Viewer, release: dict[str, Any]) -> None:
    """AccessDenied unless the viewer may take this release."""
    audience = str(release.get("audience", ""))
    if not may_take(viewer, audience):
        raise AccessDenied(f"the {viewer.role} role cannot take the {audience} report")


def build_pdf(release: dict[str, Any]) -> bytes:
    """The release as the quarterly PDF (2 to 4 seconds: the caller caches per run and
    audience, after `check_release`)."""
    with tempfile.TemporaryDirectory(prefix="plait-report-") as folder:
        return write_pdf(release, Path(folder) / "report.pdf").read_bytes()


def report_pdf(viewer: Viewer, release: dict[str, Any]) -> bytes:
    """The PDF of a release the viewer may take."""
    check_release(viewer, release)
    return build_pdf(release)


def release_json(viewer: Viewer, release: dict[str, Any]) -> bytes:
    """The release as data, as `plait report --format json` writes it."""
    check_release(viewer, release)
    return (json.dumps(release, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def file_stem(release: dict[str, Any]) -> str:
    """`plait-2026Q3-national`, `plait-2026Q3-kent`: the quarter and whose report."""
    audience = str(release["audience"])
    return f"plait-{release['quarter']}-{audience.removeprefix('force:')}"


def audience_label(audience: str, force_names: dict[str, str]) -> str:
    if audience == NATIONAL:
        return "National"
    force = audience.removeprefix("force:")
    return force_names.get(force, force)
