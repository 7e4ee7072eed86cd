"""Events written at an older version are read through upcasters (services/upcasters.py), one
version step at a time; what cannot be brought forward is undecodable (the DLQ's business)."""
from datetime import UTC, datetime

import pytest

from lianyi.events.v1 import progress_pb2, progress_v1_pb2
from lianyi.intake.v1 import concern_pb2, events_pb2, events_v1_pb2
from servicekit import envelope
from servicekit.envelope import Upcaster
from servicekit.errors import UndecodableEvent
from servicekit.events import Place
from services import upcasters
from tests.event_helpers import written_at

AT = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
PLACE = Place("nb-1")


def _v1_received(route: str = "deliberation", urgency: str = "urgent") -> envelope.Envelope:
    concern = concern_pb2.Concern(concern_id="c1", neighbourhood_id="nb-1", household_id="h1", building_id="b1",
                                  channel=concern_pb2.CHANNEL_ONLINE, category="noise", description="楼上装修太吵",
                                  urgency=urgency, anonymous=True, status="triaged")
    concern.received_at.FromDatetime(AT)
    concern.reporter.name, concern.reporter.phone = "王阿姨", "13812345678"
    if route:
        concern.triage.route, concern.triage.note, concern.triage.rule_id = route, "规则", "r1"
        concern.triage.triaged_at.FromDatetime(AT)
    return written_at(1, events_v1_pb2.ConcernReceivedV1(concern=concern), "lianyi.intake.v1.ConcernReceived",
                      place=PLACE, occurred_at=AT)


def test_a_concern_received_written_at_version_1_reads_as_version_2():
    payload = envelope.open_payload(_v1_received(), events_pb2.ConcernReceived, upcasters.CONCERN_RECEIVED)
    facts = payload.concern
    assert (facts.concern_id, facts.neighbourhood_id, facts.household_id, facts.building_id) == (
        "c1", "nb-1", "h1", "b1")
    assert (facts.category, facts.description, facts.anonymous) == ("noise", "楼上装修太吵", True)
    assert (facts.channel, facts.urgency) == (concern_pb2.CHANNEL_ONLINE, events_pb2.URGENCY_URGENT)
    assert facts.received_at.ToDatetime(tzinfo=UTC) == AT
    assert (payload.triage.route, payload.triage.note, payload.triage.rule_id) == (
        events_pb2.ROUTE_DELIBERATION, "规则", "r1")
    assert "13812345678" not in str(payload), "the read model's contact details do not come along"


def test_a_version_1_concern_without_triage_reads_without_one():
    payload = envelope.open_payload(_v1_received(route="", urgency=""), events_pb2.ConcernReceived,
                                    upcasters.CONCERN_RECEIVED)
    assert not payload.HasField("triage") and payload.concern.urgency == events_pb2.URGENCY_NORMAL


@pytest.mark.parametrize("route, urgency, problem", [("teleport", "normal", "unknown triage route 'teleport'"),
                                                     ("direct", "yesterday", "unknown urgency 'yesterday'")])
def test_a_version_1_value_version_2_cannot_hold_is_undecodable(route, urgency, problem):
    with pytest.raises(UndecodableEvent, match=problem):
        envelope.open_payload(_v1_received(route, urgency), events_pb2.ConcernReceived, upcasters.CONCERN_RECEIVED)


def test_a_progress_report_written_at_version_1_reads_its_status_as_the_enum():
    old = written_at(1, progress_v1_pb2.ConcernProgressedV1(concern_id="c1", status="in_handling", note="n"),
                     "lianyi.events.v1.ConcernProgressed", place=PLACE, occurred_at=AT, producer="dispatch")
    payload = envelope.open_payload(old, progress_pb2.ConcernProgressed, upcasters.CONCERN_PROGRESSED)
    assert (payload.concern_id, payload.status, payload.note) == ("c1", progress_pb2.CONCERN_STATUS_IN_HANDLING, "n")


@pytest.mark.parametrize("status", ["teleported", "", "IN_HANDLING", "Resolved", "in_handling ", "unspecified"])
def test_a_version_1_status_that_was_never_written_as_such_is_undecodable(status):
    """Version 1 took a status only as written (lower case, exactly): anything else was a poison then
    and still is."""
    bad = written_at(1, progress_v1_pb2.ConcernProgressedV1(concern_id="c1", status=status),
                     "lianyi.events.v1.ConcernProgressed", place=PLACE, occurred_at=AT)
    with pytest.raises(UndecodableEvent, match=f"unknown concern status {status!r}"):
        envelope.open_payload(bad, progress_pb2.ConcernProgressed, upcasters.CONCERN_PROGRESSED)


def test_a_version_without_an_upcaster_or_newer_than_the_reader_is_undecodable():
    with pytest.raises(UndecodableEvent, match="version 1 has no upcaster to version 2"):
        envelope.open_payload(_v1_received(), events_pb2.ConcernReceived)
    newer = envelope.seal(events_pb2.ConcernReceived(), producer="intake", place=PLACE, occurred_at=AT)
    newer.event_version = 3
    with pytest.raises(UndecodableEvent, match="version 3 is newer than this service reads"):
        envelope.open_payload(newer, events_pb2.ConcernReceived, upcasters.CONCERN_RECEIVED)


def test_upcasters_chain_one_version_step_at_a_time():
    """Two steps (1 -> 2 -> 3), as if ConcernProgressed were at version 3: each step reads the
    previous step's output."""
    seen = []

    def step_one(old):
        seen.append(type(old).__name__)
        return progress_v1_pb2.ConcernProgressedV1(concern_id=old.concern_id, status=old.status.upper())

    def step_two(old):
        seen.append(type(old).__name__)
        return progress_pb2.ConcernProgressed(concern_id=old.concern_id, note=old.status)

    chain = (Upcaster(1, progress_v1_pb2.ConcernProgressedV1, step_one),
             Upcaster(2, progress_v1_pb2.ConcernProgressedV1, step_two))
    old = written_at(1, progress_v1_pb2.ConcernProgressedV1(concern_id="c1", status="resolved"),
                     "lianyi.events.v1.ConcernProgressed", place=PLACE, occurred_at=AT)

    payload = envelope.bring_forward(old, 3, chain)
    assert seen == ["ConcernProgressedV1", "ConcernProgressedV1"]
    assert (payload.concern_id, payload.note) == ("c1", "RESOLVED")
