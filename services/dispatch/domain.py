"""Dispatch's domain (办事), in the glossary's words. No I/O here.

Today dispatch keeps a task for every concern intake receives, and opens it when the concern is
triaged to direct handling. Tiers (individual, joint, escalated), assignment, claiming,
whistles and report-ins will join this module.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from servicekit.events import Aggregate, Origin

DIRECT = "direct"


# -- what dispatch hears ------------------------------------------------------------------------

@dataclass(frozen=True)
class ConcernRouted:
    """A concern intake received or triaged, and whether its route is direct handling."""

    concern_id: str
    neighbourhood_id: str
    building_id: str
    household_id: str
    category: str
    urgency: str
    received_at: datetime
    direct: bool


@dataclass(frozen=True)
class ConcernsMerged:
    survivor_id: str
    merged_ids: tuple[str, ...]


# -- what dispatch says -------------------------------------------------------------------------

@dataclass(frozen=True)
class TaskOpened:
    """A concern's task opened for handling: the concern is now in handling."""

    concern_id: str
    opened_at: datetime


# -- tasks --------------------------------------------------------------------------------------

@dataclass
class Task(Aggregate):
    """A unit of handling work (任务), today one per concern."""

    concern_id: str
    neighbourhood_id: str
    household_id: str
    category: str
    received_at: datetime
    building_id: str = ""
    urgency: str = "normal"
    route: str | None = None
    opened_at: datetime | None = None
    merged_into: str | None = None

    @classmethod
    def for_concern(cls, concern: ConcernRouted) -> Task:
        return cls(concern_id=concern.concern_id, neighbourhood_id=concern.neighbourhood_id,
                   household_id=concern.household_id, category=concern.category, received_at=concern.received_at,
                   building_id=concern.building_id, urgency=concern.urgency)

    def open_for_handling(self, at: datetime, origin: Origin) -> bool:
        """Open the task for direct handling, once: a second request changes nothing."""
        if self.opened_at is not None:
            return False
        self.route, self.opened_at = DIRECT, at
        self.record(TaskOpened(self.concern_id, at), origin, at)
        return True
