"""Dispatch's events in and out: other services' payloads in dispatch's words, and dispatch's own
events as payloads. The only place here that knows protobuf event types."""
from __future__ import annotations

import re
from datetime import UTC, date

from lianyi.deliberation.v1 import events_pb2 as deliberation_pb2
from lianyi.events.v1.progress_pb2 import CONCERN_STATUS_IN_HANDLING, ConcernProgressed
from lianyi.intake.v1 import events_pb2
from servicekit.errors import UndecodableEvent
from servicekit.unit_of_work import Outgoing
from services import readers
from services.dispatch import domain

_URGENCIES = {events_pb2.URGENCY_UNSPECIFIED: "normal", events_pb2.URGENCY_NORMAL: "normal",
              events_pb2.URGENCY_URGENT: "urgent"}

_TIERS = {deliberation_pb2.HANDLING_TIER_UNSPECIFIED: "", deliberation_pb2.HANDLING_TIER_INDIVIDUAL: domain.INDIVIDUAL,
          deliberation_pb2.HANDLING_TIER_JOINT: domain.JOINT, deliberation_pb2.HANDLING_TIER_ESCALATED: domain.ESCALATED}
# Exactly YYYY-MM-DD, as deliberation writes a deadline (date.fromisoformat alone takes 20261130 too).
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def concern_routed(payload: events_pb2.ConcernReceived | events_pb2.ConcernTriaged) -> domain.ConcernRouted:
    """ConcernReceived (with a rule's triage, if any) or ConcernTriaged, as dispatch needs it."""
    route = readers.triage_route(payload)
    concern = payload.concern
    if concern.urgency not in _URGENCIES:
        raise UndecodableEvent(f"unknown urgency {concern.urgency}")
    return domain.ConcernRouted(
        concern_id=concern.concern_id, neighbourhood_id=concern.neighbourhood_id, building_id=concern.building_id,
        household_id=concern.household_id, category=concern.category, urgency=_URGENCIES[concern.urgency],
        received_at=concern.received_at.ToDatetime(tzinfo=UTC), direct=route == events_pb2.ROUTE_DIRECT,
    )


def concerns_merged(payload: events_pb2.ConcernsMerged) -> domain.ConcernsMerged:
    return domain.ConcernsMerged(payload.survivor_id, tuple(payload.merged_ids))


def decision_made(payload: deliberation_pb2.DecisionMade) -> domain.DecisionMade:
    """A joint meeting's decision with its plan, as dispatch needs it. A value dispatch cannot take
    (a tier it does not know, a deadline that is no date, an action without an id) is not guessed
    at: the event is undecodable, and waits in the DLQ."""
    for name in ("decision_id", "neighbourhood_id"):
        if not getattr(payload, name):
            raise UndecodableEvent(f"decision has no {name}")
    return domain.DecisionMade(
        decision_id=payload.decision_id, topic_id=payload.topic_id, neighbourhood_id=payload.neighbourhood_id,
        title=payload.title, resolution=payload.resolution, concern_ids=tuple(payload.concern_ids),
        actions=tuple(_planned(i, action) for i, action in enumerate(payload.actions)),
        decided_at=payload.decided_at.ToDatetime(tzinfo=UTC),
    )


def _planned(i: int, action: deliberation_pb2.DecidedAction) -> domain.PlannedAction:
    if not action.action_id:
        raise UndecodableEvent(f"actions[{i}] has no action_id")
    if action.tier not in _TIERS:
        raise UndecodableEvent(f"actions[{i}]: unknown handling tier {action.tier}")
    return domain.PlannedAction(action_id=action.action_id, description=action.description, tier=_TIERS[action.tier],
                                owner_id=action.owner_id, owner_name=action.owner_name,
                                deadline=_day(action.deadline, f"actions[{i}].deadline"))


def _day(text: str, what: str) -> date:
    try:
        if _DAY.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise UndecodableEvent(f"{what} is not a date (YYYY-MM-DD): {text[:40]!r}")


def outgoing(event: object) -> Outgoing | None:
    """Dispatch's domain events as they leave, on its own topic keyed by neighbourhood."""
    if isinstance(event, domain.TaskOpened):
        return Outgoing(ConcernProgressed(concern_id=event.concern_id, status=CONCERN_STATUS_IN_HANDLING,
                                          note="opened for handling by the neighbourhood"))
    return None
