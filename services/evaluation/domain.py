"""Evaluation's domain (评事), in the glossary's words. No I/O here.

Today evaluation counts the concerns each neighbourhood receives, the base of its response rate
and annual rating. Ratings, rework, quarterly reviews and annual tiers will join this module.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime


@dataclass(frozen=True)
class ConcernReceived:
    """What evaluation hears of a received concern."""

    neighbourhood_id: str
    received_at: datetime
    concern_id: str = ""
    household_id: str = ""  # who rates its matter; "" when raised without one


@dataclass(frozen=True)
class ConcernsMerged:
    survivor_id: str
    merged_ids: tuple[str, ...]


@dataclass(frozen=True)
class IntakeFigures:
    """How many concerns a neighbourhood received and over what span: the base of its response rate."""

    neighbourhood_id: str
    concerns_received: int = 0
    first_received_at: datetime | None = None
    last_received_at: datetime | None = None

    def counted(self, received_at: datetime) -> IntakeFigures:
        """The figures with one more concern; events may arrive out of time order."""
        first, last = self.first_received_at, self.last_received_at
        return replace(
            self,
            concerns_received=self.concerns_received + 1,
            first_received_at=received_at if first is None or received_at < first else first,
            last_received_at=received_at if last is None or received_at > last else last,
        )


def by_neighbourhood(received: list[ConcernReceived]) -> dict[str, list[datetime]]:
    """When each neighbourhood's concerns were received, in arrival order."""
    times: dict[str, list[datetime]] = {}
    for concern in received:
        times.setdefault(concern.neighbourhood_id, []).append(concern.received_at)
    return times
