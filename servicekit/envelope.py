"""The event envelope: sealing a payload for the outbox, and opening what arrives from a topic,
at whatever version it was written."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from google.protobuf import message
from google.protobuf.message import DecodeError

from lianyi.events.v1 import version_pb2
from lianyi.events.v1.envelope_pb2 import Envelope
from servicekit.errors import UndecodableEvent
from servicekit.events import Place
from servicekit.ids import new_id

_TYPE_URL_PREFIX = "type.googleapis.com/"


def event_type_of(payload: message.Message | type[message.Message]) -> str:
    return payload.DESCRIPTOR.full_name


def version_of(payload: message.Message | type[message.Message]) -> int:
    """The payload schema's current version, as its message declares (option event_version)."""
    # The generated stub types the extension as a plain field descriptor; it is the option's.
    version: int = payload.DESCRIPTOR.GetOptions().Extensions[version_pb2.event_version]  # type: ignore[index]
    return version or 1


def seal(
    payload: message.Message,
    *,
    producer: str,
    place: Place,
    occurred_at: datetime,
    correlation_id: str = "",
    causation_id: str = "",
    event_id: str | None = None,
) -> Envelope:
    """Wrap a payload in a new envelope with a fresh event id and its schema's version."""
    envelope = Envelope(
        event_id=event_id or new_id(),
        event_type=event_type_of(payload),
        event_version=version_of(payload),
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


def place_of(envelope: Envelope) -> Place:
    return Place(envelope.neighbourhood_id, envelope.community_id, envelope.township_id, envelope.county_id)


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


@dataclass(frozen=True)
class Upcaster:
    """Reads a payload written at an older version and turns it into the next version's shape.
    `payload_class` is how that version was written (kept in a *_v<N>.proto file); `upcast`
    raises UndecodableEvent for a value the next version cannot hold."""

    version: int
    payload_class: type[message.Message]
    upcast: Callable[[message.Message], message.Message]


def open_payload(envelope: Envelope, payload_class: type[message.Message],
                 upcasters: Iterable[Upcaster] = ()) -> message.Message:
    """The payload as `payload_class` at its current version: a payload written at an older
    version goes through the upcasters, one version step at a time. A payload that does not
    parse, or that no upcaster can bring forward, raises UndecodableEvent."""
    if envelope.event_type != event_type_of(payload_class):
        raise UndecodableEvent(f"payload is not a {event_type_of(payload_class)}")
    current = version_of(payload_class)
    written = envelope.event_version or 1
    if written == current:
        payload = payload_class()
        try:
            matched = envelope.payload.Unpack(payload)
        except DecodeError as exc:
            raise UndecodableEvent(f"payload does not parse: {exc}") from None
        if not matched:
            raise UndecodableEvent(f"payload is not a {payload_class.DESCRIPTOR.full_name}")
        return payload
    if written > current:
        # Consumers are deployed before the producers that write a new version; this one was not.
        raise UndecodableEvent(f"{envelope.event_type} version {written} is newer than this service reads "
                               f"(version {current})")
    payload = bring_forward(envelope, current, upcasters)
    if not isinstance(payload, payload_class):
        raise TypeError(f"the upcasters of {envelope.event_type} end in {type(payload).__name__}, "
                        f"not {payload_class.__name__}")
    return payload


def bring_forward(envelope: Envelope, version: int, upcasters: Iterable[Upcaster]) -> message.Message:
    """The payload of an envelope written at an older version, brought to `version` one step at a
    time (each upcaster reads its version's shape and makes the next one's)."""
    written = envelope.event_version or 1
    steps = {upcaster.version: upcaster for upcaster in upcasters}
    if written not in steps:
        raise UndecodableEvent(f"{envelope.event_type} version {written} has no upcaster to version {version}")
    try:
        payload = steps[written].payload_class.FromString(envelope.payload.value)
    except DecodeError as exc:
        raise UndecodableEvent(f"payload does not parse as version {written}: {exc}") from None
    for step in range(written, version):
        if step not in steps:
            raise UndecodableEvent(f"{envelope.event_type} has no upcaster from version {step}")
        payload = steps[step].upcast(payload)
    return payload


__all__ = [
    "Envelope",
    "Place",
    "Upcaster",
    "bring_forward",
    "decode",
    "event_type_of",
    "open_payload",
    "place_of",
    "seal",
    "version_of",
]
