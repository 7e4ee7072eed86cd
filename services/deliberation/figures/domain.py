"""Deliberation in figures: what is counted at a place in a period (services/deliberation/calendar.py
says what a period is). No I/O here."""
from __future__ import annotations

from dataclasses import dataclass, field

# The places figures are kept for, and the column of a topic that names each.
PLACE_KINDS = ("neighbourhood", "community", "township", "county")


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
