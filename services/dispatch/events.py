"""Dispatch's events in and out: other services' payloads in dispatch's words, and dispatch's own
events as payloads. The only place here that knows protobuf event types."""
from __future__ import annotations

from datetime import UTC

from lianyi.events.v1.progress_pb2 import CONCERN_STATUS_IN_HANDLING, ConcernProgressed
from lianyi.intake.v1 import events_pb2
from servicekit.errors import UndecodableEvent
from servicekit.unit_of_work import Outgoing
from services import readers
from services.dispatch import domain

_URGENCIES = {events_pb2.URGENCY_UNSPECIFIED: "normal", events_pb2.URGENCY_NORMAL: "normal",
              events_pb2.URGENCY_URGENT: "urgent"}


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


def outgoing(event: object) -> Outgoing | None:
    """Dispatch's domain events as they leave, on its own topic keyed by neighbourhood."""
    if isinstance(event, domain.TaskOpened):
        return Outgoing(ConcernProgressed(concern_id=event.concern_id, status=CONCERN_STATUS_IN_HANDLING,
                                          note="opened for handling by the neighbourhood"))
    return None
