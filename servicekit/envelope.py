"""The event envelope: sealing a payload for the outbox and opening what arrives from a topic."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from google.protobuf import message
from google.protobuf.message import DecodeError

from lianyi.events.v1.envelope_pb2 import Envelope
from servicekit.errors import UndecodableEvent
from servicekit.ids import new_id

_TYPE_URL_PREFIX = "type.googleapis.com/"


@dataclass(frozen=True)
class Place:
    """Where in the county an event happened. The neighbourhood id is the usual message key;
    events above neighbourhood level (a township, a county department) leave it empty."""

    neighbourhood_id: str = ""
    community_id: str = ""
    township_id: str = ""
    county_id: str = ""


def event_type_of(payload: message.Message) -> str:
    return payload.DESCRIPTOR.full_name


def seal(
    payload: message.Message,
    *,
    producer: str,
    place: Place,
    occurred_at: datetime,
    correlation_id: str = "",
    causation_id: str = "",
    event_version: int = 1,
    event_id: str | None = None,
) -> Envelope:
    """Wrap a payload in a new envelope with a fresh event id."""
    envelope = Envelope(
        event_id=event_id or new_id(),
        event_type=event_type_of(payload),
        event_version=event_version,
        producer=producer,
        county_id=place.county_id,
        township_id=place.township_id,
        community_id=place.community_id,
        neighbourhood_id=place.neighbourhood_id,
        correlation_id=correlation_id,
        causation_id=causation_id,
    )
    envelope.occurred_at.FromDatetime(occurred_at)
    envelope.payload.Pack(payload)
    return envelope


def decode(raw: bytes | None) -> Envelope:
    """Parse and check an envelope from a topic; anything unusable raises UndecodableEvent."""
    if not raw:
        raise UndecodableEvent("empty message")
    envelope = Envelope()
    try:
        envelope.ParseFromString(raw)
    except (DecodeError, RuntimeWarning) as exc:
        raise UndecodableEvent(f"not an Envelope: {exc}") from None
    for name in ("event_id", "event_type"):
        if not getattr(envelope, name):
            raise UndecodableEvent(f"envelope has no {name}")
    if envelope.payload.type_url != _TYPE_URL_PREFIX + envelope.event_type:
        raise UndecodableEvent(
            f"payload type {envelope.payload.type_url!r} does not match event type {envelope.event_type!r}"
        )
    return envelope


def open_payload(envelope: Envelope, payload_class: type[message.Message]) -> message.Message:
    """Unpack the payload as `payload_class`; a payload that does not parse raises UndecodableEvent."""
    payload = payload_class()
    try:
        matched = envelope.payload.Unpack(payload)
    except DecodeError as exc:
        raise UndecodableEvent(f"payload does not parse: {exc}") from None
    if not matched:
        raise UndecodableEvent(f"payload is not a {payload_class.DESCRIPTOR.full_name}")
    return payload


__all__ = ["Envelope", "Place", "seal", "decode", "open_payload", "event_type_of"]


def follow_up(payload: message.Message, cause: Envelope, *, producer: str, occurred_at: datetime) -> Envelope:
    """An event caused by another: same place and correlation, the cause's id as causation."""
    return seal(payload, producer=producer, occurred_at=occurred_at, correlation_id=cause.correlation_id,
                causation_id=cause.event_id,
                place=Place(cause.neighbourhood_id, cause.community_id, cause.township_id, cause.county_id))
