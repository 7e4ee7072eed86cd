"""What dispatch hears and keeps before there is work to do, in the glossary's words. No I/O here.

Dispatch keeps every concern intake receives, and hands one out as a task (services/dispatch/tasks)
when it is triaged to direct handling; and it keeps every action of a joint meeting's decision
(决议), each handed out as a task as it arrives.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

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


@dataclass(frozen=True)
class PlannedAction:
    """One action of a decision's plan, as the joint meeting decided it."""

    action_id: str
    description: str
    tier: str  # one of contract.TIERS, or "" where the meeting suggested none (dispatch's routing decides)
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


@dataclass(frozen=True)
class ReworkAsked:
    """Evaluation sends a resolved task back for rework (督促整改) under a named supervisor."""

    task_id: str
    supervisor_id: str
    supervisor_name: str
    reason: str


@dataclass(frozen=True)
class Rated:
    """A resident rated a resolved task (评诺): satisfied, basically_satisfied or unsatisfied."""

    task_id: str
    rating: str
    rated_at: datetime


# -- concerns ------------------------------------------------------------------------------------

@dataclass
class Concern:
    """A concern as dispatch keeps it: where it is from, and whether it was routed direct."""

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
    def of(cls, concern: ConcernRouted) -> Concern:
        return cls(concern_id=concern.concern_id, neighbourhood_id=concern.neighbourhood_id,
                   household_id=concern.household_id, category=concern.category, received_at=concern.received_at,
                   building_id=concern.building_id, urgency=concern.urgency)

    def route_direct(self, at: datetime) -> bool:
        """Routed to direct handling, once: a second request changes nothing (False). Its task
        is opened by the caller."""
        if self.opened_at is not None:
            return False
        self.route, self.opened_at = DIRECT, at
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
