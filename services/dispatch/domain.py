"""Dispatch's domain (办事), in the glossary's words. No I/O here.

Today dispatch keeps a task for every concern intake receives, and opens it when the concern is
triaged to direct handling; and it keeps every action of a joint meeting's decision (决议), to hand
out as tasks. Tiers (individual, joint, escalated), assignment, claiming, whistles and report-ins
will join this module.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from servicekit.events import Aggregate, Origin

DIRECT = "direct"
# The tiers of handling (分流承办, 集体合办, 提级联办); a decided action may suggest one, or leave it
# to dispatch ("").
INDIVIDUAL, JOINT, ESCALATED = "individual", "joint", "escalated"
TIERS = (INDIVIDUAL, JOINT, ESCALATED)


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


@dataclass(frozen=True)
class PlannedAction:
    """One action of a decision's plan, as the joint meeting decided it."""

    action_id: str
    description: str
    tier: str  # one of TIERS, or "" where the meeting suggested none
    owner_id: str
    owner_name: str
    deadline: date


@dataclass(frozen=True)
class DecisionMade:
    """The joint meeting (大物业联席会) decided a topic: its resolution, and a plan of actions for
    dispatch to hand out."""

    decision_id: str
    topic_id: str
    neighbourhood_id: str
    title: str
    resolution: str
    concern_ids: tuple[str, ...]
    actions: tuple[PlannedAction, ...]
    decided_at: datetime


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


# -- decided actions ----------------------------------------------------------------------------

@dataclass(frozen=True)
class DecidedAction:
    """An action of a decision's plan as dispatch keeps it, until it is handed out as a task."""

    action_id: str
    decision_id: str
    topic_id: str
    neighbourhood_id: str
    position: int  # its place in the decision's plan, from 0
    description: str
    tier: str
    owner_id: str
    owner_name: str
    deadline: date
    received_at: datetime
    concern_ids: tuple[str, ...] = ()  # the decision's: what its tasks will move on


def actions_of(decision: DecisionMade, received_at: datetime) -> list[DecidedAction]:
    """Every action of the decision's plan, in the plan's order, as dispatch keeps them."""
    return [DecidedAction(action_id=action.action_id, decision_id=decision.decision_id, topic_id=decision.topic_id,
                          neighbourhood_id=decision.neighbourhood_id, position=position,
                          description=action.description, tier=action.tier, owner_id=action.owner_id,
                          owner_name=action.owner_name, deadline=action.deadline, received_at=received_at,
                          concern_ids=decision.concern_ids)
            for position, action in enumerate(decision.actions)]
