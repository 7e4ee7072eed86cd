"""Events as the code that handles them sees them: what happened, where, and what caused it.

No protobuf here: domain modules use these types, and the translators at a service's edges turn
payloads into them and back.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar


@dataclass(frozen=True)
class Place:
    """Where in the county an event happened. The neighbourhood id is the usual message key;
    events above neighbourhood level (a township, a county department) leave it empty."""

    neighbourhood_id: str = ""
    community_id: str = ""
    township_id: str = ""
    county_id: str = ""

    @property
    def path(self) -> tuple[str, ...]:
        """Its path in the directory, county first, as scopes and county settings read places."""
        return self.county_id, self.township_id, self.community_id, self.neighbourhood_id


@dataclass(frozen=True)
class Origin:
    """Where an event happened and what caused it: the request (by correlation id) and, for an
    event caused by another, that event's id."""

    place: Place
    correlation_id: str = ""
    causation_id: str = ""


E = TypeVar("E")


@dataclass(frozen=True)
class Inbound(Generic[E]):
    """An event from a topic in this service's own words, with what the envelope said of it."""

    event: E
    event_id: str
    occurred_at: datetime
    producer: str
    place: Place
    correlation_id: str

    @property
    def follow_up(self) -> Origin:
        """The origin of an event this one causes: same place and correlation, caused by it."""
        return Origin(self.place, self.correlation_id, self.event_id)


@dataclass(frozen=True)
class Recorded:
    """An event a change caused, waiting for its unit of work to seal it into the outbox."""

    event: object
    origin: Origin
    occurred_at: datetime


@dataclass
class Aggregate:
    """A domain object that records the events its changes cause (no I/O); a unit of work
    collects them and seals them in the transaction that saves the object. Subclasses are
    dataclasses; the events are not part of their value."""

    events: list[Recorded] = field(default_factory=list, init=False, repr=False, compare=False)

    def record(self, event: object, origin: Origin, occurred_at: datetime) -> None:
        self.events.append(Recorded(event, origin, occurred_at))
