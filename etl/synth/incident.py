"""One crime record as the generator builds it, and the book that holds them all.

Records start as skeletons (when, where, who, which offence and channel), are filled in
(times, outcome, suspect, text), and only at the end are written in a force's layout. The
book lets planted crimes (series, campaigns, transfers) take the place of an ordinary
crime in the same force and month, so that planting them does not change the monthly
counts the exceedance baseline promises.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field

from etl.synth.population import Membership


@dataclass(eq=False, slots=True)
class Incident:
    """A crime record in canonical terms, plus the raw sensitive values written with it."""

    day: dt.date
    force_id: str
    victim: Membership
    venue: str
    offence_group: str
    channel: str
    origin: str = "background"
    series_id: str = ""
    campaign_id: str = ""
    exceedance_id: str = ""
    transfer_role: str = ""
    partner: Incident | None = None
    crime_id: str = ""
    force_ref: str = ""
    reported: dt.datetime | None = None
    occurred: dt.datetime | None = None
    hate_strand: str | None = None
    aggravated: bool = False
    platform: str | None = None
    suspect_name: str | None = None
    identifiers: list[tuple[str, str]] = field(default_factory=list)
    summary: str = ""
    summary_pii: list[tuple[str, str]] = field(default_factory=list)
    latitude: float | None = None
    longitude: float | None = None
    postcode: str | None = None
    outcome: str = "under_investigation"
    outcome_date: dt.date | None = None
    victim_name: str = ""
    removed: bool = False

    @property
    def month(self) -> str:
        return f"{self.day.year:04d}-{self.day.month:02d}"

    @property
    def is_plain(self) -> bool:
        """An ordinary crime: free to be replaced, transferred or made dirty."""
        return self.origin == "background" and not self.transfer_role and not self.removed


class CrimeBook:
    """Every record generated so far, indexed for replacement by force and month."""

    def __init__(self, regions: dict[str, str]) -> None:
        self.incidents: list[Incident] = []
        self._regions = regions
        self._by_force: dict[tuple[str, str], list[Incident]] = defaultdict(list)
        self._by_region: dict[tuple[str, str], list[Incident]] = defaultdict(list)
        self._by_month: dict[str, list[Incident]] = defaultdict(list)

    def add(self, incident: Incident) -> None:
        self.incidents.append(incident)
        if incident.origin == "background":
            month = incident.month
            self._by_force[(incident.force_id, month)].append(incident)
            self._by_region[(self._regions.get(incident.force_id, ""), month)].append(incident)
            self._by_month[month].append(incident)

    def absorb(self, rng: random.Random, planted: Incident) -> bool:
        """Remove one ordinary crime like `planted`, so the month's counts stay as expected.

        The nearest kind goes first: same force, else same region, else anywhere, in the same
        month; and within those the same offence group and channel, then either. National
        and regional monthly counts are then kept exactly; a force's, nearly.
        """
        month = planted.month
        for pool in (self._by_force.get((planted.force_id, month)),
                     self._by_region.get((self._regions.get(planted.force_id, ""), month)),
                     self._by_month.get(month)):
            if not pool:
                continue
            pool[:] = [i for i in pool if i.is_plain]
            if not pool:
                continue
            for test in (
                lambda i: i.offence_group == planted.offence_group
                and i.channel == planted.channel,
                lambda i: i.offence_group == planted.offence_group,
                lambda i: i.channel == planted.channel,
                lambda i: True,
            ):
                matches = [i for i in pool if test(i)]
                if matches:
                    rng.choice(matches).removed = True
                    return True
        return False

    def live(self) -> list[Incident]:
        return [i for i in self.incidents if not i.removed]
