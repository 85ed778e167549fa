"""Redaction and keyed hashing: what must never survive, and what must stay linkable."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from etl.pseudonymise import handle_stem, identifier_tokens, normalise_phone, victim_id
from etl.redaction import redact

pytestmark = pytest.mark.unit
KEY = b"k"


def _redact(text: str, names: list[str] | None = None) -> str:
    return str(pl.DataFrame({"t": [text]}).select(redact(pl.col("t"), names)).item())


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("07700 900123", "+447700900123"),
        ("+44 7700 900123", "+447700900123"),
        ("+44 (0)7700 900123", "+447700900123"),
        ("(0113) 496 0000", "+441134960000"),
        ("020 7946 0123", "+442079460123"),
        ("0044 7700 900123", "+447700900123"),
        ("12345", None),
    ],
)
def test_phone_numbers_normalise_to_e164(raw: str, e164: str | None) -> None:
    assert normalise_phone(raw) == e164


def test_identifiers_in_one_cell_are_told_apart() -> None:
    tokens = identifier_tokens("@Angry_Voter77; A.B@Example.org, 07700 900123", "Suspect details")
    assert ("handle", "angry_voter77") in tokens
    assert ("handle_stem", "angry_voter") in tokens
    assert ("email", "a.b@example.org") in tokens
    assert ("phone", "+447700900123") in tokens


def test_handle_rotation_keeps_the_stem() -> None:
    assert handle_stem("truthseeker_uk") == handle_stem("truthseeker99") == "truthseeker"


def test_victim_ids_ignore_case_and_spacing_but_not_the_key() -> None:
    assert victim_id("Orla  Wrenfield", KEY) == victim_id("ORLA WRENFIELD", KEY)
    assert victim_id("Orla Wrenfield", KEY) != victim_id("Orla Wrenfield", b"other")
    assert victim_id(None, KEY) is None


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("write to jo.bloggs+mp@example.co.uk now", "jo.bloggs"),
        ("rang from +44 (0)7700 900123 twice", "900123"),
        ("outside SW1A 0AA at noon", "SW1A"),
        ("see http://bad.example/x?y=1", "bad.example"),
        ("posted by @someone_mean again", "someone_mean"),
        ("letter to Marigold Featherstone-Ames MP about", "Featherstone"),
        ("Dear Mrs Hollis, you will regret", "Hollis"),
    ],
)
def test_redaction_removes_each_kind(text: str, gone: str) -> None:
    assert gone.lower() not in _redact(text).lower()


def test_names_given_are_removed_in_any_case() -> None:
    out = _redact("ORLA said orla wrenfield and Wrenfield's office", ["Orla Wrenfield"])
    assert "orla" not in out.lower() and "wrenfield" not in out.lower()


def test_ordinary_text_is_left_alone() -> None:
    text = "Threatening letter received at the constituency office on 12/03/2024, ref 01/123/24"
    assert _redact(text) == text


@given(
    local=st.from_regex(r"[a-z][a-z0-9._]{2,12}", fullmatch=True),
    domain=st.from_regex(r"[a-z]{3,10}\.(com|org|co\.uk)", fullmatch=True),
    before=st.text(alphabet=st.characters(codec="ascii", categories=["L", "Zs"]), max_size=30),
)
def test_no_email_survives(local: str, domain: str, before: str) -> None:
    out = _redact(f"{before} {local}@{domain} end")
    assert f"{local}@{domain}" not in out
    assert "@" not in out.replace("[email]", "")


def test_an_accepted_rows_free_text_platform_is_redacted_too() -> None:
    """A platform outside the list is kept as written, so it goes through redaction."""
    import datetime as dt

    from etl.force_return import to_canonical
    from etl.mapping import mapping_for
    from tests.conftest import TEST_KEY
    from tests.etl.test_force_return import _frame, _niche_row

    m = mapping_for("leicestershire")
    rows = [_niche_row(force_ref="P1", platform="Signal, +44 7911 123456"),
            _niche_row(force_ref="P2", platform="twitter"),
            _niche_row(force_ref="P3", platform="Mastodon")]
    out = to_canonical(_frame(m, rows), m, TEST_KEY, today=dt.date(2026, 11, 28))
    assert out.accepted["platform"].to_list() == ["Signal, [phone]", "X", "Mastodon"]


@pytest.mark.parametrize("ref", ["Sarah Thompson", "07911 123456", "+44 7911 123456",
                                 "zeb@fitchmail.example", "@zebq_fitch", "SW1A 2AA",
                                 "https://fitchmail.example/x"])
def test_personal_data_in_the_crime_reference_is_rejected_not_stored(ref: str) -> None:
    """The reference is stored as written in an incident, so it must look like one."""
    import datetime as dt

    from etl.force_return import to_canonical
    from etl.mapping import mapping_for
    from tests.conftest import TEST_KEY
    from tests.etl.test_force_return import _frame, _niche_row

    m = mapping_for("leicestershire")
    rows = [_niche_row(force_ref=ref), _niche_row(force_ref="LE-24-001234")]
    out = to_canonical(_frame(m, rows), m, TEST_KEY, today=dt.date(2026, 11, 28))
    assert out.accepted["force_ref"].to_list() == ["LE-24-001234"]
    [reason] = out.rejected["reason"].to_list()
    assert reason.startswith("force_ref: not a crime reference")
    stored = reason + out.rejected["raw_row"][0] + out.rejected["incident_id"][0]
    assert ref.split()[-1].lower() not in stored.lower()
