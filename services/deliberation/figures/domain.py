"""Deliberation in figures: what a period is, and what is counted. No I/O here."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from servicekit.errors import InvalidArgument
from services.deliberation.contract import COUNTY_TIME

_PERIOD = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
# The places figures are kept for, and the column of a topic that names each.
PLACE_KINDS = ("neighbourhood", "community", "township", "county")


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """"2026" or "2026-11" as [start, end) in the county's time."""
    match = _PERIOD.match(period)
    month = int(match.group(2)) if match and match.group(2) else 0
    if match is None or not 1 <= int(match.group(1)) <= 9998 or (match.group(2) and not 1 <= month <= 12):
        raise InvalidArgument("period must be a year (YYYY) or a month (YYYY-MM)")
    year = int(match.group(1))
    if not month:
        return datetime(year, 1, 1, tzinfo=COUNTY_TIME), datetime(year + 1, 1, 1, tzinfo=COUNTY_TIME)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=COUNTY_TIME)
    return datetime(year, month, 1, tzinfo=COUNTY_TIME), end


@dataclass(frozen=True)
class Figures:
    """A place's deliberation in a period: each step counted when it happened."""

    place_id: str
    period: str
    drafted: int = 0
    published: int = 0
    accepted: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    votes: int = 0  # cast in the votes that closed in the period
    households: int = 0  # that could vote in them
    panels: int = 0
    opinions: int = 0
    decisions: int = 0
    # Accepted topics: every topic is drawn from residents' concerns, so each one residents voted
    # to deliberate is one of their proposals adopted (居民提议被采纳).
    proposals_adopted: int = 0

    @property
    def rejected(self) -> int:
        return sum(self.rejected_by_reason.values())

    @property
    def turnout(self) -> str:
        """Votes per household that could vote, to 4 places; "" when no vote closed."""
        return f"{self.votes / self.households:.4f}" if self.households else ""
