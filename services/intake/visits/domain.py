"""Door visits (串门听): what a visit records, what makes one acceptable, and how coverage reads.
No I/O here."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from servicekit import moments
from servicekit.errors import InvalidArgument
from servicekit.text import has_control_characters
from services.intake.contract import CONCERNS_PER_VISIT_MAX, VISIT_NOTES_MAX_CHARS

# Roles that record their own visits; others (the secretary, administrators) name the member.
VISITING_ROLES = ("member", "building_leader")


@dataclass(frozen=True)
class RaisedConcern:
    category: str
    description: str
    urgency: str = "normal"


@dataclass(frozen=True)
class Visit:
    visit_id: str
    household_id: str
    neighbourhood_id: str
    member_id: str
    party_group_id: str
    visited_on: date
    notes: str
    concern_ids: tuple[str, ...]


@dataclass(frozen=True)
class DoorVisitRecorded:
    """A member's visit was recorded: evaluation counts it in the member's review."""

    visit: Visit


@dataclass(frozen=True)
class CoverageLine:
    id: str
    name: str
    households: int = 0
    households_visited: int = 0
    visits: int = 0
    concerns_collected: int = 0


@dataclass(frozen=True)
class Coverage:
    neighbourhood_id: str
    households: int
    households_visited: int
    visits: int
    concerns_collected: int
    buildings: list[CoverageLine] = field(default_factory=list)
    members: list[CoverageLine] = field(default_factory=list)

    @property
    def coverage(self) -> float:
        """Households visited of all households, to 4 places (0 where there are none)."""
        return round(self.households_visited / self.households, 4) if self.households else 0.0


def parse_day(text: str, what: str) -> date:
    """A day people name (servicekit.moments.day: a real one, within the years services hold)."""
    return moments.day(text, what)


def check_visit(visited_on: str, notes: str, concerns: list[RaisedConcern], today: date) -> date:
    """The day of a visit that may be recorded, or InvalidArgument saying why not."""
    day = parse_day(visited_on, "visited_on")
    if day > today + timedelta(days=1):
        raise InvalidArgument("visited_on is in the future")
    if len(notes) > VISIT_NOTES_MAX_CHARS or has_control_characters(notes):
        raise InvalidArgument(f"notes must be at most {VISIT_NOTES_MAX_CHARS} characters of plain text")
    if len(concerns) > CONCERNS_PER_VISIT_MAX:
        raise InvalidArgument(f"at most {CONCERNS_PER_VISIT_MAX} concerns per visit")
    return day


def check_period(from_date: str, to_date: str) -> tuple[date, date]:
    start, end = parse_day(from_date, "from_date"), parse_day(to_date, "to_date")
    if start > end:
        raise InvalidArgument("from_date must not be after to_date")
    return start, end
