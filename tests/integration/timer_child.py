"""A test-only timer kind (its effect table, its event) shared by tests/integration/test_timers.py
and, run as `python -m tests.integration.timer_child URL NOW`, a runner process that the crash
test kills: its handler writes the effect and records the event, says "ready", then blocks
before the unit of work can commit."""
from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from lianyi.events.v1.progress_pb2 import ConcernProgressed
from servicekit.clock import Clock, FixedClock
from servicekit.config import RuntimeSettings
from servicekit.database import Database
from servicekit.events import Origin, Place
from servicekit.outbox import Outbox
from servicekit.timer_runner import TimerRunner
from servicekit.timers import Timer
from servicekit.unit_of_work import Outgoing, UnitOfWork, UnitsOfWork

KIND = "test.reminder"
NEIGHBOURHOOD = "0193b3c2-0000-7000-9000-00000000000a"

effects_metadata = sa.MetaData()
effects = sa.Table(
    "timer_test_effects", effects_metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("subject_id", sa.String(100), nullable=False),
    sa.Column("note", sa.String(100), nullable=False),
)


@dataclass(frozen=True)
class Reminded:
    subject_id: str
    note: str


def outgoing(event: object) -> Outgoing:
    assert isinstance(event, Reminded)
    return Outgoing(ConcernProgressed(concern_id=event.subject_id, note=event.note))


def units_of(db: Database) -> UnitsOfWork:
    return UnitsOfWork(db, Outbox("lianyi.test.timers"), "timer-test", outgoing)


def remind(uow: UnitOfWork, timer: Timer) -> None:
    """The test kind's handler: one effect row and one event, in the firing unit of work."""
    note = timer.payload.get("note", "")
    uow.conn.execute(effects.insert(), {"subject_id": timer.subject_id, "note": note})
    uow.record(Reminded(timer.subject_id, note), Origin(Place(NEIGHBOURHOOD)), timer.due_at)


def runner(db: Database, clock: Clock, handlers=None, holder: str = "test", lease=None,
           **settings) -> TimerRunner:
    return TimerRunner(units_of(db), {KIND: remind} if handlers is None else handlers,
                       RuntimeSettings(**settings), clock, holder, lease)


def _remind_then_hang(uow: UnitOfWork, timer: Timer) -> None:
    remind(uow, timer)  # the claim and the effect are written in the open transaction
    print("ready", flush=True)
    threading.Event().wait(60)  # killed long before this


def main(url: str, now: str) -> None:
    db = Database(url)
    runner(db, FixedClock(datetime.fromisoformat(now)), {KIND: _remind_then_hang}, holder="child").fire_due()


if __name__ == "__main__":
    main(*sys.argv[1:])
