"""The event envelope: sealing, decoding and refusing what is not an event."""
from datetime import UTC, datetime

import pytest

from lianyi.intake.v1.concern_pb2 import Concern
from lianyi.intake.v1.events_pb2 import ConcernFacts, ConcernReceived, ConcernsMerged
from servicekit import envelope
from servicekit.errors import UndecodableEvent

AT = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)


def _sealed(**overrides):
    payload = ConcernReceived(concern=ConcernFacts(concern_id="c1", neighbourhood_id="nb-1", category="noise"))
    options = dict(producer="intake", place=envelope.Place("nb-1", "cm-1", "tw-1", "county"),
                   occurred_at=AT, correlation_id="corr-1")
    options.update(overrides)
    return envelope.seal(payload, **options)


def test_sealed_envelope_round_trips_through_bytes_with_every_field():
    sealed = _sealed()
    opened = envelope.decode(sealed.SerializeToString())
    assert opened.event_type == "lianyi.intake.v1.ConcernReceived"
    assert opened.event_version == 2, "the version ConcernReceived declares in its proto"
    assert (opened.neighbourhood_id, opened.community_id, opened.township_id, opened.county_id) == (
        "nb-1", "cm-1", "tw-1", "county")
    assert opened.correlation_id == "corr-1"
    assert opened.occurred_at.ToDatetime(tzinfo=UTC) == AT
    assert envelope.open_payload(opened, ConcernReceived).concern.concern_id == "c1"


def test_a_payload_that_declares_no_version_is_sealed_as_version_1():
    sealed = envelope.seal(ConcernsMerged(survivor_id="c1"), producer="intake", place=envelope.Place("nb-1"),
                           occurred_at=AT)
    assert sealed.event_version == 1


def test_each_sealed_envelope_gets_its_own_time_sortable_id():
    first, second = _sealed(), _sealed()
    assert first.event_id != second.event_id
    assert first.event_id < second.event_id


def test_an_event_above_neighbourhood_level_can_be_sealed_without_one():
    sealed = _sealed(place=envelope.Place(township_id="tw-1"))
    assert envelope.decode(sealed.SerializeToString()).township_id == "tw-1"


@pytest.mark.parametrize("raw, reason", [
    (None, "empty"),
    (b"", "empty"),
    (b"\xff\xfe not protobuf at all", "not an Envelope"),
])
def test_garbage_is_undecodable(raw, reason):
    with pytest.raises(UndecodableEvent, match=reason):
        envelope.decode(raw)


def test_envelope_missing_its_event_id_is_undecodable():
    sealed = _sealed()
    sealed.event_id = ""
    with pytest.raises(UndecodableEvent, match="event_id"):
        envelope.decode(sealed.SerializeToString())


def test_payload_that_contradicts_the_event_type_is_undecodable():
    sealed = _sealed()
    sealed.event_type = "lianyi.intake.v1.SomethingElse"
    with pytest.raises(UndecodableEvent, match="does not match"):
        envelope.decode(sealed.SerializeToString())


def test_payload_opened_as_the_wrong_class_is_undecodable():
    with pytest.raises(UndecodableEvent, match="is not a"):
        envelope.open_payload(_sealed(), Concern)
