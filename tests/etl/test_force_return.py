"""Mapping one force's rows to canonical incidents: values, validation and pseudonyms."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from etl.force_return import to_canonical
from etl.mapping import ForceMapping, mapping_for
from etl.readers import SOURCE_ROW
from tests.conftest import TEST_KEY

pytestmark = pytest.mark.unit
TODAY = dt.date(2026, 11, 28)


def _frame(mapping: ForceMapping, rows: list[dict[str, str | None]]) -> pl.DataFrame:
    """Rows given by canonical field name, laid out in the force's own columns."""
    columns = {**mapping.columns, **{c: c for c in mapping.suspect_identifier_columns}}
    data = {col: [r.get(field) for r in rows] for field, col in columns.items()}
    data[SOURCE_ROW] = list(range(2, len(rows) + 2))  # type: ignore[assignment]
    return pl.DataFrame(data, schema_overrides={SOURCE_ROW: pl.Int64})


def _niche_row(**overrides: str | None) -> dict[str, str | None]:
    row: dict[str, str | None] = {
        "force_ref": "NICHE-24-000123",
        "reported_date": "05/03/2024 14:10",
        "occurred_date": "04/03/2024 09:00",
        "offence": "Malicious Communications",
        "hate_strand": "None",
        "channel": "E-mail",
        "platform": None,
        "victim_role": "Member of Parliament",
        "victim_name": "Orla Wrenfield",
        "constituency": "Leicester South",
        "postcode": "LE1 6WP",
        "suspect_name": "Barnaby Quistwick",
        "SuspectIdentifiers": "B.Quist77@example-mail.co.uk; +44 7700 900123; @quistwick_uk",
        "summary": "Email from b.quist77@example-mail.co.uk to Orla Wrenfield MP at LE1 6WP, "
                   "see https://example.org/x and call 07700 900123; signed Barnaby Quistwick",
        "outcome": "Under investigation",
        "outcome_date": None,
    }
    row.update(overrides)
    return row


def test_a_clean_row_becomes_a_canonical_incident() -> None:
    m = mapping_for("leicestershire")
    out = to_canonical(_frame(m, [_niche_row()]), m, TEST_KEY, today=TODAY)

    assert out.rejected.height == 0
    row = out.accepted.row(0, named=True)
    assert row["incident_id"] == "leicestershire:NICHE-24-000123"
    assert row["reported_date"] == dt.date(2024, 3, 5)
    assert row["occurred_date"] == dt.date(2024, 3, 4)
    assert (row["offence_code"], row["offence_group"]) == ("8R", "malicious_communications")
    assert (row["channel"], row["victim_role"], row["outcome"]) == (
        "email", "mp", "under_investigation")
    assert row["hate_strand"] is None
    assert row["constituency_code"] == "E14000783"  # Leicester South, 2010 boundaries
    assert row["victim_id"].startswith("v")
    assert len(row["suspect_keys"].split(";")) == 5  # email, phone, handle, stem, name


def test_free_text_is_redacted_and_identifiers_are_hashed() -> None:
    m = mapping_for("leicestershire")
    row = to_canonical(_frame(m, [_niche_row()]), m, TEST_KEY, today=TODAY).accepted.row(
        0, named=True)
    text = " ".join(str(v) for v in row.values())
    for raw in ("b.quist77", "example-mail", "Orla", "Wrenfield", "LE1 6WP", "7700", "Barnaby",
                "Quistwick", "example.org", "quistwick_uk"):
        assert raw.lower() not in text.lower()
    assert "[email]" in row["summary"] and "[postcode]" in row["summary"]


def test_the_same_people_get_the_same_keys_whatever_the_spelling() -> None:
    m = mapping_for("leicestershire")
    a = _niche_row()
    b = _niche_row(force_ref="NICHE-24-000124", victim_name="ORLA  WRENFIELD",
                   suspect_name="barnaby quistwick",
                   SuspectIdentifiers="b.quist77@EXAMPLE-mail.co.uk, 07700 900123, quistwick_uk")
    out = to_canonical(_frame(m, [a, b]), m, TEST_KEY, today=TODAY).accepted
    assert out["victim_id"].n_unique() == 1
    assert out["suspect_keys"].n_unique() == 1


def test_each_bad_field_is_named_in_the_reject() -> None:
    m = mapping_for("leicestershire")
    rows = [
        _niche_row(force_ref="A1", reported_date="31/02/2024 10:00"),
        _niche_row(force_ref="A2", offence="Suspicious package report"),
        _niche_row(force_ref="A3", channel="Carrier pigeon"),
        _niche_row(force_ref=None),
        _niche_row(force_ref="A5", occurred_date="06/03/2024 09:00"),
        _niche_row(force_ref="A6", reported_date="05/03/2099 10:00"),
        _niche_row(force_ref="A7", victim_role="N/A"),
        _niche_row(force_ref="A8", constituency="Atlantis North"),
    ]
    out = to_canonical(_frame(m, rows), m, TEST_KEY, today=TODAY)
    got = dict(zip(out.rejected[SOURCE_ROW], out.rejected["field"], strict=True))
    assert out.accepted.height == 0
    assert got == {2: "reported_date", 3: "offence", 4: "channel", 5: "force_ref",
                   6: "occurred_date", 7: "reported_date", 8: "victim_role", 9: "constituency"}
    reasons = out.rejected["reason"].to_list()
    assert reasons[0] == ("reported_date: the value is not a valid date in the format "
                          "%d/%m/%Y %H:%M")
    assert reasons[1].startswith("offence: unknown offence")
    for reason, value in zip(reasons, ("31/02", "Suspicious", "pigeon"), strict=False):
        assert value not in reason  # the rule, never the cell (it may hold a name)
    raws = out.rejected["raw_row"].to_list()
    assert "31/02/2024 10:00" in raws[0] and "Suspicious package report" in raws[1]


def test_rejected_rows_keep_their_values_but_nothing_sensitive() -> None:
    m = mapping_for("leicestershire")
    out = to_canonical(_frame(m, [_niche_row(offence="Miscellaneous")]), m, TEST_KEY,
                       today=TODAY)
    raw = out.rejected["raw_row"][0]
    assert "Miscellaneous" in raw and "Leicester South" in raw
    for secret in ("Orla", "Wrenfield", "Quistwick", "b.quist77", "7700", "LE1 6WP"):
        assert secret.lower() not in raw.lower()


def test_excel_serial_dates_and_codes_with_leading_zeros() -> None:
    m = mapping_for("essex")
    row = {
        "force_ref": "42/12345/24", "reported_date": "45356", "occurred_date": "45355.0",
        "offence": "008R", "channel": "Social media", "platform": "twitter",
        "victim_role": "Staff", "victim_name": "Pip Ellery", "constituency": "E14001172",
        "summary": "Posts naming @pipellery_fan", "outcome": "NFA", "outcome_date": "45400",
    }
    out = to_canonical(_frame(m, [row]), m, TEST_KEY, today=TODAY)
    got = out.accepted.row(0, named=True)
    assert got["reported_date"] == dt.date(2024, 3, 5)
    assert got["occurred_date"] == dt.date(2024, 3, 4)
    assert got["outcome_date"] == dt.date(2024, 4, 18)
    assert (got["offence_code"], got["platform"], got["victim_role"]) == ("8R", "X", "mp_staff")
    assert got["summary"] == "Posts naming [handle]"


def test_welsh_wordings_and_2024_boundaries() -> None:
    m = mapping_for("dyfed-powys")
    row = {
        "force_ref": "DP-1", "reported_date": "10/09/2024 11:00", "offence": "Cyfathrebu maleisus",
        "hate_strand": "Crefydd" if False else None, "channel": "E-bost",
        "victim_role": "Aelod Seneddol", "victim_name": "Gwenllian Tarrow",
        "constituency": "Ceredigion Preseli", "summary": "Neges e-bost", "outcome": "Post" if False
        else "O dan ymchwiliad",
    }
    got = to_canonical(_frame(m, [row]), m, TEST_KEY, today=TODAY).accepted.row(0, named=True)
    assert (got["offence_group"], got["channel"], got["victim_role"], got["outcome"]) == (
        "malicious_communications", "email", "mp", "under_investigation")
    assert got["constituency_code"].startswith("W07")


def test_coordinates_outside_the_uk_are_rejected_and_inside_are_coarsened() -> None:
    m = mapping_for("metropolitan")
    base = {"force_ref": "01/1/24", "reported_date": "05/03/2024", "offence": "58B",
            "channel": "In person", "victim_role": "MP", "victim_name": "Tamsin Okoro-Vale",
            "constituency": "Hackney South and Shoreditch", "summary": "Office window broken",
            "outcome": "Under investigation"}
    rows = [dict(base, latitude="51.545123", longitude="-0.055678"),
            dict(base, force_ref="01/2/24", latitude="48.85", longitude="2.35")]
    out = to_canonical(_frame(m, rows), m, TEST_KEY, today=TODAY)
    assert out.accepted[["latitude", "longitude"]].row(0) == (51.55, -0.06)
    assert out.rejected["field"].to_list() == ["latitude"]
