"""Dates as forces write them, without the locale or the clock getting a say.

`strftime` follows the process locale (`%b` is "févr." under a French one) and Python's own
rules, so extracts would differ between machines; rendering each directive by hand keeps
the generator byte-for-byte reproducible. The same renderer writes impossible dates such as
31/02/2023, which `strftime` cannot produce, for the planted dirty rows.
"""

from __future__ import annotations

import datetime as dt
import re

from etl.periods import add_months, month_label

# The project's fixed "today" (DESIGN.md tests pin it too): no generated date is later.
TODAY = dt.date(2026, 11, 28)
EARLIEST = dt.date(2016, 1, 1)
EXCEL_EPOCH = dt.date(1899, 12, 30)
EXCEL_SERIAL = "excel-serial"
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DIRECTIVE = re.compile(r"%.")


def months_between(first: dt.date, last: dt.date) -> list[str]:
    """Every YYYY-MM from the month of `first` to the month of `last`, inclusive."""
    out = []
    cursor = first.replace(day=1)
    while cursor <= last:
        out.append(month_label(cursor))
        cursor = add_months(cursor, 1)
    return out


def excel_serial(day: dt.date) -> int:
    """Days since 1899-12-30: Excel's serial, which Athena exports hold as plain numbers."""
    return (day - EXCEL_EPOCH).days


def has_time(fmt: str) -> bool:
    return any(d in fmt for d in ("%H", "%M", "%S"))


def render_parts(fmt: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0,
                 second: int = 0) -> str:
    """Fill a strptime format from parts that need not make a real date (31 February)."""
    values = {
        "%Y": f"{year:04d}",
        "%y": f"{year % 100:02d}",
        "%m": f"{month:02d}",
        "%d": f"{day:02d}",
        "%b": MONTH_ABBR[month - 1] if 1 <= month <= 12 else f"M{month:02d}",
        "%H": f"{hour:02d}",
        "%M": f"{minute:02d}",
        "%S": f"{second:02d}",
        "%%": "%",
    }

    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        if token not in values:
            raise ValueError(f"date format {fmt!r}: directive {token} is not supported")
        return values[token]

    return _DIRECTIVE.sub(one, fmt)


def render(fmt: str, moment: dt.datetime) -> str | int:
    """A timestamp in a force's date format: text, or an int serial for Excel exports."""
    if fmt == EXCEL_SERIAL:
        return excel_serial(moment.date())
    return render_parts(fmt, moment.year, moment.month, moment.day, moment.hour, moment.minute,
                        moment.second)
