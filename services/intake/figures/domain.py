"""What asking's figures count at a place over days of the county, and which places have them.
No I/O here."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from servicekit import moments
from servicekit.errors import InvalidArgument
from services.intake.contract import CHANNELS

PLACE_KINDS = ("neighbourhood", "community", "township", "county")


@dataclass(frozen=True)
class AskingFigures:
    """A place's asking over days, both included. Visits, talk sessions and concerns count where
    they happened; households are the directory's today, so a household that moved away is no
    longer one of the place's households visited, and coverage never exceeds 100%."""

    place_id: str
    first_day: date
    last_day: date
    households: int = 0
    households_visited: int = 0
    door_visits: int = 0
    concerns_raised_on_visits: int = 0
    talk_sessions: int = 0
    talk_attendance: int = 0
    opinion_log_entries: int = 0
    concerns_merged: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)

    @property
    def concerns_received(self) -> int:
        return sum(self.by_channel.values())

    @property
    def visit_coverage(self) -> float:
        """Households visited of all households, to 4 places (0 where there are none)."""
        return round(self.households_visited / self.households, 4) if self.households else 0.0


def by_channel(counted: dict[str, int]) -> dict[str, int]:
    """Every channel, in the order the glossary gives them, with 0 where none came."""
    return {**dict.fromkeys(CHANNELS, 0), **counted}


def days(from_day: str, to_day: str) -> tuple[date, date]:
    """The first and last day counted (both required), or InvalidArgument naming the field."""
    first, last = moments.day(from_day, "from_day"), moments.day(to_day, "to_day")
    if last < first:
        raise InvalidArgument("to_day must not be before from_day")
    return first, last
