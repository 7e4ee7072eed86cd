"""Deliberation's events in and out: other services' payloads in deliberation's words, and
deliberation's own events as payloads. The only place here that knows protobuf event types."""
from __future__ import annotations

from datetime import UTC

from lianyi.events.v1.progress_pb2 import CONCERN_STATUS_IN_DELIBERATION, ConcernProgressed
from lianyi.intake.v1 import events_pb2
from servicekit.unit_of_work import Outgoing
from services import readers
from services.deliberation import domain


def concern_routed(payload: events_pb2.ConcernReceived | events_pb2.ConcernTriaged) -> domain.ConcernRouted:
    """ConcernReceived (with a rule's triage, if any) or ConcernTriaged, as deliberation needs it."""
    route = readers.triage_route(payload)
    concern = payload.concern
    return domain.ConcernRouted(
        concern_id=concern.concern_id, neighbourhood_id=concern.neighbourhood_id, category=concern.category,
        description=concern.description, received_at=concern.received_at.ToDatetime(tzinfo=UTC),
        to_pool=route == events_pb2.ROUTE_DELIBERATION,
    )


def concerns_merged(payload: events_pb2.ConcernsMerged) -> domain.ConcernsMerged:
    return domain.ConcernsMerged(payload.survivor_id, tuple(payload.merged_ids))


def outgoing(event: object) -> Outgoing | None:
    """Deliberation's domain events as they leave, on its own topic keyed by neighbourhood."""
    if isinstance(event, domain.ConcernPooled):
        return Outgoing(ConcernProgressed(concern_id=event.concern_id, status=CONCERN_STATUS_IN_DELIBERATION,
                                          note="in the neighbourhood's deliberation pool"))
    return None
