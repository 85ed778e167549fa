"""Without a key of its own, `plait ingest` loads only what `plait synth` wrote (exit 2 and a
message saying how to set a key otherwise); the mark is the bytes' SHA-256 in the generator's
manifest, so neither renaming nor editing a file passes it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, inspect, select
from typer.testing import CliRunner

from dashboards.cli import app
from etl.schema import raw_source_file
from etl.synth import generate
from etl.synth_mark import unmarked, written_by_synth

runner = CliRunner()
SPAN = {"seed": 2, "start": "2025-01", "end": "2025-06", "scale": 0.2}


@pytest.fixture(scope="module")
def synth_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("marked")
    generate(out, **SPAN)  # type: ignore[arg-type]
    return out


def _csv(folder: Path) -> Path:
    return sorted(folder.glob("west-yorkshire_*.csv"))[0]


def _with_real_number(data: bytes) -> bytes:
    """The extract with one more row, whose summary quotes a number outside the drama
    ranges the generator uses."""
    last = data.splitlines(keepends=True)[-1]
    return data + last.replace(b"Abusive", b"Call from 07911 123456,", 1).replace(
        b",", b", rang 07911 123456,", 1)


def _files(url: str) -> int:
    engine = create_engine(url)
    try:
        if not inspect(engine).has_table("raw_source_file"):
            return 0
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(raw_source_file)).scalar()
                       or 0)
    finally:
        engine.dispose()


@pytest.mark.unit
def test_every_extract_is_listed_with_its_digest(synth_out: Path) -> None:
    manifest = json.loads((synth_out / "truth" / "manifest.json").read_text())
    assert len(manifest["files"]) == 45
    assert all(len(f["sha256"]) == 64 for f in manifest["files"])
    assert unmarked(sorted(p for p in synth_out.iterdir() if p.is_file())) == []


@pytest.mark.unit
def test_renaming_or_editing_a_file_does_not_carry_the_mark(synth_out: Path,
                                                            tmp_path: Path) -> None:
    original = _csv(synth_out)
    folder = tmp_path / "copy"
    shutil.copytree(synth_out, folder)
    own = _csv(folder)
    assert written_by_synth(own)
    data = own.read_bytes()
    own.write_bytes(data + data.splitlines(keepends=True)[-1])  # one row more
    assert not written_by_synth(own)
    other = sorted(folder.glob("kent_*.*"))[0]
    renamed = folder / f"renamed-{other.name}"
    other.rename(renamed)
    assert written_by_synth(renamed)  # the same bytes: still what synth wrote
    real = folder / original.name
    real.write_bytes(_with_real_number(data))  # under a synthetic file's name
    assert unmarked([real, renamed]) == [real]
    assert not written_by_synth(tmp_path / "elsewhere.csv", original.read_bytes())


@pytest.mark.functional
def test_ingest_without_a_key_refuses_a_file_synth_did_not_write(
        synth_out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLAIT_PSEUDONYM_KEY", raising=False)
    folder = tmp_path / "extracts"
    shutil.copytree(synth_out, folder)
    real = _csv(folder)
    real.write_bytes(_with_real_number(real.read_bytes()))
    url = f"sqlite:///{tmp_path / 'plait.db'}"

    refused = runner.invoke(app, ["ingest", str(folder), "--db", url])
    assert refused.exit_code == 2
    message = " ".join(refused.output.split())
    assert "PLAIT_PSEUDONYM_KEY" in message and "export PLAIT_PSEUDONYM_KEY=" in message
    assert real.name in message and "Nothing was loaded" in message
    assert _files(url) == 0

    alone = runner.invoke(app, ["ingest", str(real), "--db", url])
    assert alone.exit_code == 2 and _files(url) == 0
    monkeypatch.setenv("PLAIT_PSEUDONYM_KEY", " ")  # set but blank is no key
    blank = runner.invoke(app, ["ingest", str(real), "--db", url])
    assert blank.exit_code == 2 and _files(url) == 0

    monkeypatch.setenv("PLAIT_PSEUDONYM_KEY", "a-key-of-this-deployment-0123456789")
    loaded = runner.invoke(app, ["ingest", str(real), "--db", url])
    assert loaded.exit_code == 0, loaded.output
    assert _files(url) == 1


@pytest.mark.functional
def test_ingest_without_a_key_loads_what_synth_wrote(
        synth_out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLAIT_PSEUDONYM_KEY", raising=False)
    url = f"sqlite:///{tmp_path / 'plait.db'}"
    files = [_csv(synth_out), sorted(synth_out.glob("kent_*.*"))[0]]
    result = runner.invoke(app, ["ingest", *map(str, files), "--db", url])
    assert result.exit_code == 0, result.output
    assert "development key" in result.output
    assert _files(url) == 2
