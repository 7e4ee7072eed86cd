"""A unit of work: one write transaction in which a handler changes state and records the events
the change causes. On the way out the events are translated into payloads, sealed and added to
the outbox in that same transaction, so state and events commit together or not at all."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa
from google.protobuf.message import Message

from servicekit import envelope, logs
from servicekit.database import Database, Transaction
from servicekit.events import Origin, Recorded
from servicekit.outbox import Outbox


@dataclass(frozen=True)
class Outgoing:
    """A recorded event as it leaves: its payload, and its topic and message key where they are
    not the service's own topic keyed by neighbourhood (the directory is keyed by entity id)."""

    payload: Message
    topic: str | None = None
    key: str | None = None


# An outbound translator: a domain event -> what goes on the wire, or None if it is not one of the
# events this translator knows (the service's own, or a shared mechanism's such as settings).
Translate = Callable[[object], "Outgoing | None"]


class Recording(Protocol):
    """Anything that records events as it changes (see servicekit.events.Aggregate)."""

    events: list[Recorded]


class UnitOfWork:
    """An open write transaction and the events recorded in it."""

    def __init__(self, tx: Transaction):
        self.tx = tx
        self.recorded: list[Recorded] = []

    @property
    def conn(self) -> sa.Connection:
        return self.tx.conn

    def record(self, event: object, origin: Origin, occurred_at: datetime) -> None:
        """An event this unit's changes caused; sealed into the outbox when the unit commits."""
        self.recorded.append(Recorded(event, origin, occurred_at))

    def collect(self, *aggregates: Recording) -> None:
        """Take over the events the aggregates recorded (in order), leaving them empty."""
        for aggregate in aggregates:
            self.recorded.extend(aggregate.events)
            aggregate.events.clear()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` only if and after the transaction commits."""
        self.tx.after_commit(callback)


class UnitsOfWork:
    """Opens units of work for one service: its database, its outbox and how its events leave
    (the first translator that knows an event translates it)."""

    def __init__(self, db: Database, outbox: Outbox, producer: str, *translators: Translate):
        self.db, self.outbox, self.producer, self.translators = db, outbox, producer, translators

    @contextmanager
    def start(self) -> Iterator[UnitOfWork]:
        """A new unit of work: committed with its events on normal exit, rolled back (events and
        all) on an exception."""
        with self.db.write() as tx:
            unit = UnitOfWork(tx)
            yield unit
            self._seal(tx, unit.recorded)

    def _seal(self, tx: Transaction, recorded: list[Recorded]) -> None:
        # All in one call, the transaction's last: on PostgreSQL the outbox locks each key until
        # commit, in one sorted step (see servicekit/outbox.py).
        sealed = []
        for item in recorded:
            out = self._translated(item.event)
            sealed.append((envelope.seal(out.payload, producer=self.producer, place=item.origin.place,
                                         occurred_at=item.occurred_at,
                                         correlation_id=item.origin.correlation_id or logs.correlation_id.get(),
                                         causation_id=item.origin.causation_id), out.topic, out.key))
        self.outbox.add_routed(tx, sealed)

    def _translated(self, event: object) -> Outgoing:
        for translate in self.translators:
            out = translate(event)
            if out is not None:
                return out
        raise TypeError(f"{self.producer} does not publish {type(event).__name__}")
