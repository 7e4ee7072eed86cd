"""Intake's events in and out: its domain events as payloads (never contact details, never the
API's read model), where they happened, and the downstream services' reports in intake's words.
The only place in intake that knows protobuf event types."""
from __future__ import annotations

from lianyi.directory.v1.events_pb2 import EntityChanged as EntityChangedPayload
from lianyi.events.v1 import progress_pb2
from lianyi.intake.v1 import events_pb2
from servicekit import topics
from servicekit.errors import UndecodableEvent
from servicekit.events import Origin, Place
from servicekit.unit_of_work import Outgoing
from services.intake import contract, domain
from services.intake.contract import channel_value
from services.intake.directory.domain import Entity, EntityChanged, places_of
from services.intake.directory.messages import entity_to_proto
from services.intake.talks.domain import TalkSessionReported
from services.intake.timeline.domain import Progress
from services.intake.triage.domain import ConcernsMerged, ConcernTriaged
from services.intake.visits.domain import DoorVisitRecorded

_ROUTES = {contract.DIRECT: events_pb2.ROUTE_DIRECT, contract.DELIBERATION: events_pb2.ROUTE_DELIBERATION}
_URGENCIES = {"normal": events_pb2.URGENCY_NORMAL, "urgent": events_pb2.URGENCY_URGENT}
_DOWNSTREAM = {progress_pb2.ConcernStatus.Value("CONCERN_STATUS_" + status.upper()): status
               for status in contract.DOWNSTREAM_STATUSES}


def origin(place: Entity, correlation_id: str) -> Origin:
    """Where an event about something at `place` (a neighbourhood, or an entity in or above one)
    happened, for a request under `correlation_id`."""
    places = places_of(place)
    return Origin(Place(places.get("neighbourhood", ""), places.get("community", ""), places.get("township", ""),
                        places.get("county", "")), correlation_id)


def outgoing(event: object) -> Outgoing | None:
    """Intake's domain events as they leave: on lianyi.intake.v1 keyed by neighbourhood, and
    directory changes on the compacted directory topic keyed by entity."""
    if isinstance(event, domain.ConcernReceived):
        return Outgoing(events_pb2.ConcernReceived(**_facts_and_triage(event.concern)))
    if isinstance(event, ConcernTriaged):
        return Outgoing(events_pb2.ConcernTriaged(**_facts_and_triage(event.concern)))
    if isinstance(event, ConcernsMerged):
        return Outgoing(events_pb2.ConcernsMerged(survivor_id=event.survivor_id,
                                                  neighbourhood_id=event.neighbourhood_id,
                                                  merged_ids=list(event.merged_ids), note=event.note))
    if isinstance(event, TalkSessionReported):
        session = event.session
        return Outgoing(events_pb2.TalkSessionReported(
            session_id=session.session_id, neighbourhood_id=session.neighbourhood_id, venue_id=session.venue_id,
            held_on=session.held_on.isoformat(), attendance=session.attendance, entries=len(session.entries),
            concern_ids=[e.concern_id for e in session.entries if e.concern_id]))
    if isinstance(event, DoorVisitRecorded):
        visit = event.visit
        return Outgoing(events_pb2.DoorVisitRecorded(
            visit_id=visit.visit_id, neighbourhood_id=visit.neighbourhood_id, member_id=visit.member_id,
            household_id=visit.household_id, visited_on=visit.visited_on.isoformat(),
            concerns_raised=len(visit.concern_ids)))
    if isinstance(event, EntityChanged):
        return Outgoing(EntityChangedPayload(entity=entity_to_proto(event.entity, for_event=True)),
                        topic=topics.DIRECTORY, key=event.entity.entity_id)
    return None


def _facts_and_triage(concern: domain.Concern) -> dict[str, object]:
    facts = events_pb2.ConcernFacts(
        concern_id=concern.concern_id, neighbourhood_id=concern.neighbourhood_id, building_id=concern.building_id,
        household_id=concern.household_id, channel=channel_value(concern.channel), category=concern.category,
        description=concern.description, urgency=_URGENCIES[concern.urgency], anonymous=concern.anonymous,
    )
    facts.received_at.FromDatetime(concern.received_at)
    fields: dict[str, object] = {"concern": facts}
    if concern.triage is not None:
        triage = events_pb2.TriageDecision(route=_ROUTES[concern.triage.route], note=concern.triage.note,
                                           rule_id=concern.triage.rule_id)
        triage.triaged_at.FromDatetime(concern.triage.triaged_at)
        fields["triage"] = triage
    return fields


def progress(payload: progress_pb2.ConcernProgressed) -> Progress:
    """A downstream report in intake's words; a status no downstream service reports goes to the
    dead-letter topic."""
    status = _DOWNSTREAM.get(payload.status)
    if status is None:
        name = progress_pb2.ConcernStatus.Name(payload.status) if payload.status in \
            progress_pb2.ConcernStatus.values() else str(payload.status)
        raise UndecodableEvent(f"unknown concern status {name} for a downstream report")
    return Progress(payload.concern_id, status, payload.note)
