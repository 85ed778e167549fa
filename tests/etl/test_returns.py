"""Monthly returns: the months a file covers, and which are received, late, missing or not
yet due for a quarter."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from etl.returns import due_date, file_period, overdue, quarter_months, return_status

pytestmark = pytest.mark.unit
Q3 = quarter_months(dt.date(2026, 7, 1))
ROWS = pl.Series([dt.date(2026, 2, 3), None, dt.date(2026, 5, 1)], dtype=pl.Date)


@pytest.mark.parametrize(("name", "period"), [
    ("kent_2024-01_2026-09.xlsx", (dt.date(2024, 1, 1), dt.date(2026, 9, 30))),
    ("kent_202609.csv", (dt.date(2026, 9, 1), dt.date(2026, 9, 30))),
    ("2026-08-kent-street.csv", (dt.date(2026, 8, 1), dt.date(2026, 8, 31))),
    # a day stamp says when the file was made, not what it covers: the rows decide
    ("kent_2026-10-05.csv", (dt.date(2026, 2, 1), dt.date(2026, 5, 31))),
    ("kent_20261005.csv", (dt.date(2026, 2, 1), dt.date(2026, 5, 31))),
    ("kent_extract.csv", (dt.date(2026, 2, 1), dt.date(2026, 5, 31))),
])
def test_a_file_covers_the_months_its_name_gives_else_its_rows(
        name: str, period: tuple[dt.date, dt.date]) -> None:
    assert file_period(Path(name), ROWS) == period


def test_a_file_with_no_dates_and_no_months_in_its_name_covers_nothing() -> None:
    assert file_period(Path("kent.csv"), pl.Series([None], dtype=pl.Date)) is None


def _files(*spans: tuple[str, str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        [(f, dt.date.fromisoformat(a), dt.date.fromisoformat(b)) for f, a, b in spans],
        schema={"force_id": pl.String, "period_start_date": pl.Date,
                "period_end_date": pl.Date}, orient="row")


def test_each_month_of_the_quarter_gets_a_status() -> None:
    files = _files(("whole", "2024-01-01", "2026-09-30"),
                   ("gap", "2026-01-01", "2026-07-31"), ("gap", "2026-09-01", "2026-09-30"),
                   ("behind", "2026-01-01", "2026-07-31"))
    forces = ["behind", "gap", "never", "whole"]
    status = return_status(files, forces, Q3, dt.date(2026, 10, 1))
    table = {(f, m.month): s for f, m, s in status.select("force_id", "month", "status")
             .iter_rows()}
    assert {m for (f, m), s in table.items() if f == "whole" and s == "received"} == {7, 8, 9}
    assert [table["gap", m] for m in (7, 8, 9)] == ["received", "missing", "received"]
    assert [table["never", m] for m in (7, 8, 9)] == ["missing"] * 3
    # August was due on 15 September; September's return is not due until 15 October
    assert [table["behind", m] for m in (7, 8, 9)] == ["received", "late", "not_due"]
    later = return_status(files, forces, Q3, dt.date(2026, 10, 16))
    assert later.filter(pl.col("force_id") == "behind")["status"].to_list() == [
        "received", "late", "late"]
    assert due_date(dt.date(2026, 9, 1)) == dt.date(2026, 10, 15)
    assert set(status["due_date"]) == {dt.date(2026, 8, 15), dt.date(2026, 9, 15),
                                       dt.date(2026, 10, 15)}


def test_overdue_lists_the_forces_behind_with_their_months() -> None:
    files = _files(("gap", "2026-01-01", "2026-07-31"), ("gap", "2026-09-01", "2026-09-30"),
                   ("behind", "2026-01-01", "2026-07-31"), ("whole", "2026-01-01", "2026-09-30"))
    found = overdue(return_status(files, ["behind", "gap", "never", "whole"], Q3,
                                  dt.date(2026, 10, 20)))
    assert found.rows() == [("behind", "2026-08, 2026-09", None), ("gap", None, "2026-08"),
                            ("never", None, "2026-07, 2026-08, 2026-09")]
