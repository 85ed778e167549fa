"""General elections, parliaments and boundary sets: who is an MP, and where, on a date.

Victims are tied to a parliament (the MP of a seat changes only at an election) and the
constituency names a force writes follow the boundary set in force on the reported date
(2010 boundaries to 3 July 2024, 2024 boundaries from polling day, 4 July 2024).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

BOUNDARY_CHANGE = dt.date(2024, 7, 4)


@dataclass(frozen=True)
class Election:
    """A general election: Parliament dissolves, candidates campaign, polling day decides."""

    year: int
    dissolution: dt.date
    polling: dt.date
    reelection_rate: float
    female_share: float
    surge: float


ELECTIONS: tuple[Election, ...] = (
    Election(2015, dt.date(2015, 3, 30), dt.date(2015, 5, 7), 0.0, 0.29, 1.0),
    Election(2017, dt.date(2017, 5, 3), dt.date(2017, 6, 8), 0.88, 0.32, 2.3),
    Election(2019, dt.date(2019, 11, 6), dt.date(2019, 12, 12), 0.80, 0.34, 2.2),
    Election(2024, dt.date(2024, 5, 30), dt.date(2024, 7, 4), 0.50, 0.40, 2.0),
)


def boundary_year(day: dt.date) -> int:
    return 2010 if day < BOUNDARY_CHANGE else 2024


def parliament_on(day: dt.date) -> int:
    """The election whose parliament sits (or, once dissolved, last sat) on this date."""
    current = ELECTIONS[0].year
    for election in ELECTIONS:
        if election.polling <= day:
            current = election.year
    return current


def campaign_on(day: dt.date) -> Election | None:
    """The election being fought: from dissolution to the eve of polling day.

    Candidates are victims only in these weeks; polling day itself belongs to the new
    parliament (and, in 2024, to the new boundaries).
    """
    for election in ELECTIONS:
        if election.dissolution <= day < election.polling:
            return election
    return None


def surge_on(day: dt.date) -> float:
    """Reports rise during a campaign, polling day included (CSPL 2017, Speaker's Conference)."""
    for election in ELECTIONS:
        if election.dissolution <= day <= election.polling:
            return election.surge
    return 1.0


def election(year: int) -> Election:
    for e in ELECTIONS:
        if e.year == year:
            return e
    raise KeyError(year)
