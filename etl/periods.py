"""Month, quarter and week arithmetic, in one place.

Every model reports by calendar month or calendar quarter (police data have no finer
reliable grain: data.police.uk gives only the month), and the counts file also takes ISO
weeks. A period is named by its first day (a `datetime.date`); labels are `YYYY-MM`,
`YYYYQn` (the release and the CLI's `--quarter`) and `YYYY-Www` (ISO 8601).
"""

from __future__ import annotations

import datetime as dt
import re

_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$")


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (or earlier), clamped to the end of the month."""
    index = day.year * 12 + day.month - 1 + months
    year, month0 = divmod(index, 12)
    return dt.date(year, month0 + 1, min(day.day, days_in_month(year, month0 + 1)))


def days_in_month(year: int, month: int) -> int:
    first_of_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return (first_of_next - dt.timedelta(days=1)).day


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    """The first day of the month after `day`'s month."""
    return add_months(month_start(day), 1)


def month_end(day: dt.date) -> dt.date:
    """The last day of `day`'s month."""
    return next_month(day) - dt.timedelta(days=1)


def month_label(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def parse_month(text: str) -> dt.date:
    """`YYYY-MM` → its first day; ValueError naming the value otherwise."""
    try:
        return dt.date.fromisoformat(f"{text.strip()}-01")
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a month (YYYY-MM)") from exc


def quarter_start(day: dt.date) -> dt.date:
    """The first day of the calendar quarter holding `day`."""
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_end(start: dt.date) -> dt.date:
    """The last day of the quarter holding `start`."""
    return add_months(quarter_start(start), 3) - dt.timedelta(days=1)


def add_quarters(start: dt.date, quarters: int) -> dt.date:
    return add_months(quarter_start(start), 3 * quarters)


def last_complete_quarter(as_of: dt.date) -> dt.date:
    """The first day of the latest quarter whose last month is no later than `as_of`'s month,
    so an unfinished quarter is never reported as if it were whole."""
    start = quarter_start(as_of)
    return start if as_of.month % 3 == 0 else add_quarters(start, -1)


def quarter_label(start: dt.date) -> str:
    """`2026Q3`, the form `plait report --quarter` takes."""
    return f"{start.year}Q{(start.month - 1) // 3 + 1}"


def quarter_name(start: dt.date) -> str:
    """`July to September 2026`, as GOV.UK statistics name a quarter."""
    end = quarter_end(start)
    return f"{start:%B} to {end:%B %Y}"


def parse_quarter(text: str) -> dt.date:
    """`YYYYQn` (or `YYYY-Qn`) → the quarter's first day; ValueError naming the value."""
    found = _QUARTER.match(text.strip().upper())
    if not found:
        raise ValueError(f"{text!r} is not a quarter (YYYYQn, for example 2026Q3)")
    return dt.date(int(found[1]), 3 * (int(found[2]) - 1) + 1, 1)


def iso_week_label(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"
