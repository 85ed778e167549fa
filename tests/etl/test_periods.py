"""Month, quarter and ISO-week arithmetic, on cases checked by hand against a calendar."""

from __future__ import annotations

import datetime as dt

import pytest

from etl.periods import (
    add_months,
    add_quarters,
    days_in_month,
    iso_week_label,
    last_complete_quarter,
    month_end,
    month_label,
    month_start,
    next_month,
    parse_month,
    parse_quarter,
    quarter_end,
    quarter_label,
    quarter_name,
    quarter_start,
)

pytestmark = pytest.mark.unit
D = dt.date


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2023, 1, 31), 1, D(2023, 2, 28)),  # clamped to the end of a common February
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # and of a leap February
        (D(2024, 3, 31), -1, D(2024, 2, 29)),
        (D(2025, 8, 31), 1, D(2025, 9, 30)),
        (D(2025, 1, 31), -2, D(2024, 11, 30)),
        (D(2025, 12, 15), 1, D(2026, 1, 15)),  # across a year end
        (D(2026, 1, 1), -1, D(2025, 12, 1)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 2, 29), 48, D(2028, 2, 29)),
        (D(2026, 5, 17), 0, D(2026, 5, 17)),
        (D(2026, 5, 17), -125, D(2015, 12, 17)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(day: dt.date, months: int,
                                                   expected: dt.date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("year", "month", "days"),
    [(2023, 2, 28), (2024, 2, 29), (2000, 2, 29), (1900, 2, 28), (2100, 2, 28),
     (2025, 4, 30), (2025, 12, 31), (2026, 1, 31)],
)
def test_days_in_month_knows_leap_years(year: int, month: int, days: int) -> None:
    assert days_in_month(year, month) == days


def test_month_boundaries() -> None:
    assert month_start(D(2026, 3, 17)) == D(2026, 3, 1)
    assert next_month(D(2025, 12, 31)) == D(2026, 1, 1)
    assert next_month(D(2024, 1, 31)) == D(2024, 2, 1)
    assert month_end(D(2024, 2, 10)) == D(2024, 2, 29)
    assert month_end(D(2023, 2, 1)) == D(2023, 2, 28)
    assert month_end(D(2025, 12, 5)) == D(2025, 12, 31)
    assert month_label(D(2026, 3, 17)) == "2026-03"


def test_parse_month() -> None:
    assert parse_month("2026-02") == D(2026, 2, 1)
    assert parse_month(" 2026-12 ") == D(2026, 12, 1)
    assert parse_month(month_label(D(2019, 7, 1))) == D(2019, 7, 1)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "February", "", "2026Q1"])
def test_parse_month_rejects_what_is_not_a_month(text: str) -> None:
    with pytest.raises(ValueError, match="is not a month"):
        parse_month(text)


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (D(2026, 1, 1), D(2025, 10, 1)),
        (D(2026, 2, 1), D(2025, 10, 1)),
        (D(2026, 3, 1), D(2026, 1, 1)),
        (D(2026, 4, 1), D(2026, 1, 1)),
        (D(2026, 5, 1), D(2026, 1, 1)),
        (D(2026, 6, 1), D(2026, 4, 1)),
        (D(2026, 7, 1), D(2026, 4, 1)),
        (D(2026, 8, 1), D(2026, 4, 1)),
        (D(2026, 9, 1), D(2026, 7, 1)),
        (D(2026, 10, 1), D(2026, 7, 1)),
        (D(2026, 11, 1), D(2026, 7, 1)),
        (D(2026, 12, 1), D(2026, 10, 1)),
        (D(2026, 12, 31), D(2026, 10, 1)),  # any day of the month counts as the month
    ],
)
def test_last_complete_quarter_for_each_month(as_of: dt.date, expected: dt.date) -> None:
    assert last_complete_quarter(as_of) == expected


def test_quarter_boundaries() -> None:
    assert quarter_start(D(2026, 5, 15)) == D(2026, 4, 1)
    assert quarter_start(D(2026, 12, 31)) == D(2026, 10, 1)
    assert quarter_end(D(2024, 1, 1)) == D(2024, 3, 31)
    assert quarter_end(D(2026, 5, 15)) == D(2026, 6, 30)
    assert quarter_end(D(2025, 10, 1)) == D(2025, 12, 31)
    assert add_quarters(D(2026, 1, 1), -1) == D(2025, 10, 1)
    assert add_quarters(D(2026, 2, 20), 4) == D(2027, 1, 1)


@pytest.mark.parametrize(
    ("start", "label", "name"),
    [
        (D(2026, 1, 1), "2026Q1", "January to March 2026"),
        (D(2026, 4, 1), "2026Q2", "April to June 2026"),
        (D(2026, 7, 1), "2026Q3", "July to September 2026"),
        (D(2025, 10, 1), "2025Q4", "October to December 2025"),
    ],
)
def test_quarter_label_and_name(start: dt.date, label: str, name: str) -> None:
    assert quarter_label(start) == label
    assert quarter_name(start) == name
    assert parse_quarter(label) == start


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026Q3", D(2026, 7, 1)), ("2026-Q1", D(2026, 1, 1)), (" 2026q4 ", D(2026, 10, 1)),
     ("2024Q2", D(2024, 4, 1))],
)
def test_parse_quarter(text: str, expected: dt.date) -> None:
    assert parse_quarter(text) == expected


@pytest.mark.parametrize("text", ["2026Q5", "2026Q0", "Q3 2026", "2026-07", "26Q1", "",
                                  "2026 Q3", "2026Q12"])
def test_parse_quarter_rejects_what_is_not_a_quarter(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a quarter \(YYYYQn"):
        parse_quarter(text)


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (D(2020, 12, 31), "2020-W53"),  # 2020 has 53 ISO weeks (1 January was a Wednesday…
        (D(2021, 1, 3), "2020-W53"),  # …so the Sunday after still belongs to its week 53)
        (D(2021, 1, 4), "2021-W01"),
        (D(2019, 12, 30), "2020-W01"),  # a Monday in December can open the next ISO year
        (D(2015, 12, 31), "2015-W53"),
        (D(2026, 1, 1), "2026-W01"),
        (D(2027, 1, 1), "2026-W53"),
        (D(2026, 6, 15), "2026-W25"),
    ],
)
def test_iso_week_label(day: dt.date, label: str) -> None:
    assert iso_week_label(day) == label
