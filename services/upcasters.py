"""Reading events written at an older version: one upcaster per version step of each event type.
Every consumer of an event registers its upcasters on its subscription, so an event still in an
outbox or on a topic from before an upgrade is applied as if it had been written today.

Version 1 of ConcernReceived and ConcernTriaged carried the API's read model (events_v1.proto);
version 1 of ConcernProgressed carried its status as text (progress_v1.proto).
"""
from __future__ import annotations

from google.protobuf.message import Message

from lianyi.events.v1 import progress_pb2, progress_v1_pb2
from lianyi.intake.v1 import concern_pb2, events_pb2, events_v1_pb2
from servicekit.envelope import Upcaster
from servicekit.errors import UndecodableEvent

_ROUTES = {"direct": events_pb2.ROUTE_DIRECT, "deliberation": events_pb2.ROUTE_DELIBERATION}
# The text each status was written as (exactly: "Resolved" was never a status, and stays a poison).
_STATUSES = {name.removeprefix("CONCERN_STATUS_").lower(): number
             for name, number in progress_pb2.ConcernStatus.items() if number}
_URGENCIES = {"": events_pb2.URGENCY_NORMAL, "normal": events_pb2.URGENCY_NORMAL, "urgent": events_pb2.URGENCY_URGENT}


def _facts_and_triage(concern: concern_pb2.Concern) -> dict[str, Message]:
    if concern.urgency not in _URGENCIES:
        raise UndecodableEvent(f"unknown urgency {concern.urgency!r}")
    facts = events_pb2.ConcernFacts(
        concern_id=concern.concern_id, neighbourhood_id=concern.neighbourhood_id, building_id=concern.building_id,
        household_id=concern.household_id, channel=concern.channel, category=concern.category,
        description=concern.description, urgency=_URGENCIES[concern.urgency], anonymous=concern.anonymous,
    )
    facts.received_at.CopyFrom(concern.received_at)
    fields: dict[str, Message] = {"concern": facts}
    if concern.HasField("triage") and concern.triage.route:
        if concern.triage.route not in _ROUTES:
            raise UndecodableEvent(f"unknown triage route {concern.triage.route!r}")
        triage = events_pb2.TriageDecision(route=_ROUTES[concern.triage.route], note=concern.triage.note,
                                           rule_id=concern.triage.rule_id)
        triage.triaged_at.CopyFrom(concern.triage.triaged_at)
        fields["triage"] = triage
    return fields


def _received_v2(old: Message) -> Message:
    assert isinstance(old, events_v1_pb2.ConcernReceivedV1)
    return events_pb2.ConcernReceived(**_facts_and_triage(old.concern))


def _triaged_v2(old: Message) -> Message:
    assert isinstance(old, events_v1_pb2.ConcernTriagedV1)
    return events_pb2.ConcernTriaged(**_facts_and_triage(old.concern))


def _progressed_v2(old: Message) -> Message:
    assert isinstance(old, progress_v1_pb2.ConcernProgressedV1)
    if old.status not in _STATUSES:
        raise UndecodableEvent(f"unknown concern status {old.status!r}")
    return progress_pb2.ConcernProgressed(concern_id=old.concern_id, note=old.note, status=_STATUSES[old.status])


CONCERN_RECEIVED = (Upcaster(1, events_v1_pb2.ConcernReceivedV1, _received_v2),)
CONCERN_TRIAGED = (Upcaster(1, events_v1_pb2.ConcernTriagedV1, _triaged_v2),)
CONCERN_PROGRESSED = (Upcaster(1, progress_v1_pb2.ConcernProgressedV1, _progressed_v2),)
