"""The mark of a file `plait synth` wrote, and the check ingest makes without a key of its own.

The development key is public (`etl.settings`), so a keyed hash made with it can be reversed
by hashing candidate names and numbers: without `$PLAIT_PSEUDONYM_KEY`, only synthetic
people may go in (DESIGN.md, "Sensitive fields").

The mark is the SHA-256 of each extract's bytes, written by the generator into its
`truth/manifest.json` (`files[].sha256`), which already sits beside the extracts. A file is
synthetic when its own bytes hash to a digest listed by a generator's manifest in its folder
or a folder above it: renaming a real file, or putting it in a synthetic folder, does not
make it pass, and neither does editing a synthetic one. The mark guards against a mistake
(real data loaded on a server set up for the demo), not against someone who writes a
manifest by hand to get round it: such a person could as well set a key.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

MANIFEST = Path("truth") / "manifest.json"
GENERATORS = ("etl.synth", "etl.synth.style_b")
KEY_HELP = (
    "set PLAIT_PSEUDONYM_KEY to a long random secret of your own (for example "
    "`export PLAIT_PSEUDONYM_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')`)"
    " and keep it: every keyed hash in the warehouse is made with it"
)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def mark_entry(path: Path) -> dict[str, str]:
    """What the generator adds to a file's manifest entry."""
    return {"sha256": digest(path.read_bytes())}


@cache
def _listed(folder: Path) -> frozenset[str]:
    manifest = folder / MANIFEST
    try:
        content = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return frozenset()
    if not isinstance(content, dict) or content.get("generator") not in GENERATORS:
        return frozenset()
    return frozenset(str(f["sha256"]) for f in content.get("files", [])
                     if isinstance(f, dict) and "sha256" in f)


def written_by_synth(path: Path, data: bytes | None = None) -> bool:
    """Whether these bytes are an extract a generator's manifest at or above `path` lists."""
    path = path.resolve()
    found = digest(path.read_bytes() if data is None else data)
    return any(found in _listed(folder) for folder in path.parents)


def unmarked(paths: list[Path]) -> list[Path]:
    """The force returns among `paths` that `plait synth` did not write (data.police.uk
    street files carry no identifiers and need no mark)."""
    from etl import police_uk

    _listed.cache_clear()  # a manifest may have been written since the last call
    out: list[Path] = []
    for path in paths:
        if path.suffix.lower() == ".csv" and police_uk.looks_like_street_name(path):
            continue
        if path.is_file() and not written_by_synth(path):  # a missing file fails in ingest
            out.append(path)
    return out
