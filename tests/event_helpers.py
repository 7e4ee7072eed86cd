"""Events as tests need them: sealed today, or written as an older version was."""
from __future__ import annotations

from datetime import datetime

from google.protobuf.message import Message

from lianyi.events.v1.envelope_pb2 import Envelope
from servicekit import envelope
from servicekit.events import Place


def written_at(version: int, old_payload: Message, event_type: str, *, place: Place, occurred_at: datetime,
               producer: str = "intake") -> Envelope:
    """An envelope as a producer of `version` wrote it: the payload's bytes in that version's
    shape, under the event type's name (which does not change between versions)."""
    sealed = envelope.seal(old_payload, producer=producer, place=place, occurred_at=occurred_at)
    sealed.event_type = event_type
    sealed.event_version = version
    sealed.payload.type_url = "type.googleapis.com/" + event_type
    return sealed
