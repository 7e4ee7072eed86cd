"""Timers: steps that happen because time passed (a vote window closes, a deadline passes).

A timer is a due row in the service's own database, scheduled inside a unit of work so it
exists exactly when the change that asked for it does. `servicekit.timer_runner` fires it once,
in its own unit of work, by calling the handler registered for its kind. At most one timer is
pending per (kind, subject): scheduling again moves it, cancelling removes it.
"""
from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic.operations import Operations
from sqlalchemy.dialects import postgresql, sqlite

from servicekit.database import UtcDateTime
from servicekit.unit_of_work import UnitOfWork

PAYLOAD_MAX_CHARS = 2000
ERROR_MAX_CHARS = 300
KIND_PATTERN = re.compile(r"[a-z][a-z0-9_.-]{0,59}")
SUBJECT_MAX_CHARS = 100


def _define_v1(metadata: sa.MetaData) -> sa.Table:
    timers = sa.Table(
        "timers",
        metadata,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("subject_id", sa.String(SUBJECT_MAX_CHARS), nullable=False),
        sa.Column("due_at", UtcDateTime, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        # When to try next: the due time, pushed back after each failed attempt.
        sa.Column("next_attempt_at", UtcDateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.String(ERROR_MAX_CHARS), nullable=True),
        # Fired and failed rows are kept: they say what happened, and they no longer block
        # scheduling the same kind and subject again.
        sa.Column("fired_at", UtcDateTime, nullable=True),
        sa.Column("failed_at", UtcDateTime, nullable=True),
    )
    pending = sa.and_(timers.c.fired_at.is_(None), timers.c.failed_at.is_(None))
    sa.Index("ux_timers_pending_subject", timers.c.kind, timers.c.subject_id, unique=True,
             sqlite_where=pending, postgresql_where=pending)
    sa.Index("ix_timers_pending_next_attempt", timers.c.next_attempt_at,
             sqlite_where=pending, postgresql_where=pending)
    return timers


# The schema the running code uses: v1.
metadata = sa.MetaData()
timers = _define_v1(metadata)
PENDING = sa.and_(timers.c.fired_at.is_(None), timers.c.failed_at.is_(None))


def create_v1(op: Operations) -> None:
    """Create the v1 timers table, and the lease row that lets one replica at a time fire."""
    _define_v1(sa.MetaData()).create(op.get_bind())
    # Only the name: the lease table may gain columns (with defaults) after this revision.
    op.execute("INSERT INTO relay_lease (name) VALUES ('timers')")


def drop_v1(op: Operations) -> None:
    """Drop what create_v1 created."""
    op.execute("DELETE FROM relay_lease WHERE name = 'timers'")
    _define_v1(sa.MetaData()).drop(op.get_bind())


@dataclass(frozen=True)
class Timer:
    """A timer as its handler sees it when it fires."""

    kind: str
    subject_id: str
    due_at: datetime
    payload: dict[str, Any]


# What a service registers per kind: called inside the unit of work that marks the timer fired.
TimerHandler = Callable[[UnitOfWork, Timer], None]


def encode_payload(payload: dict[str, Any]) -> str:
    """The payload as stored: compact JSON; ValueError unless it is a small JSON object."""
    if not isinstance(payload, dict) or not all(isinstance(key, str) for key in payload):
        raise ValueError("a timer payload is a dict with string keys")
    try:
        text = json.dumps(payload, ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"a timer payload must be plain JSON: {exc}") from None
    if len(text) > PAYLOAD_MAX_CHARS:
        raise ValueError(f"a timer payload is at most {PAYLOAD_MAX_CHARS} characters of JSON, not {len(text)}")
    return text


def _check(kind: str, subject_id: str) -> None:
    if not isinstance(kind, str) or not KIND_PATTERN.fullmatch(kind):
        raise ValueError(f"a timer kind is lower case, like 'vote.closes'; got {kind!r}")
    if not isinstance(subject_id, str) or not 0 < len(subject_id) <= SUBJECT_MAX_CHARS:
        raise ValueError(f"a timer subject id is 1 to {SUBJECT_MAX_CHARS} characters")


def schedule(uow: UnitOfWork, kind: str, subject_id: str, due_at: datetime,
             payload: dict[str, Any] | None = None) -> None:
    """Have `kind` fire for `subject_id` at `due_at`, committed with `uow`; moves (and replaces
    the payload of) a pending timer of the same kind and subject."""
    _check(kind, subject_id)
    if not isinstance(due_at, datetime) or due_at.tzinfo is None:
        raise ValueError("a timer is due at an aware datetime")
    values = dict(kind=kind, subject_id=subject_id, due_at=due_at, next_attempt_at=due_at,
                  payload=encode_payload({} if payload is None else payload), attempts=0, last_error=None)
    # One statement, so two units scheduling the same subject at once cannot both insert.
    uow.conn.execute(_upsert(uow.conn.dialect.name), values)
    uow.after_commit(lambda: _wake_runners(due_at))


def cancel(uow: UnitOfWork, kind: str, subject_id: str) -> bool:
    """Remove the pending timer of `kind` for `subject_id`; False if none was pending (never
    scheduled, or already fired: a runner firing it meanwhile makes this wait, then say False)."""
    _check(kind, subject_id)
    deleted = uow.conn.execute(
        timers.delete().where(timers.c.kind == kind, timers.c.subject_id == subject_id, PENDING)
    ).rowcount
    return bool(deleted)


def lock_pending(uow: UnitOfWork, kinds: tuple[str, ...], subject_id: str) -> None:
    """Lock the subject's pending timers of these kinds until `uow` ends (PostgreSQL). A change
    that will schedule or cancel them takes them before locking the subject itself: the order the
    runner takes them in (it claims a timer, then changes its subject), so the two never deadlock.
    One being fired meanwhile makes this wait for it, then pass it by (fired, no longer pending)."""
    uow.conn.execute(sa.select(timers.c.id).where(timers.c.kind.in_(kinds), timers.c.subject_id == subject_id,
                                                  PENDING).with_for_update()).all()


@functools.cache
def _upsert(dialect: str) -> sa.Executable:
    set_ = {"attempts": 0, "last_error": None}
    if dialect == "postgresql":
        statement = postgresql.insert(timers)
        moved = {"due_at": statement.excluded.due_at, "next_attempt_at": statement.excluded.next_attempt_at,
                 "payload": statement.excluded.payload}
        return statement.on_conflict_do_update(index_elements=[timers.c.kind, timers.c.subject_id],
                                               index_where=PENDING, set_={**moved, **set_})
    lite = sqlite.insert(timers)
    moved = {"due_at": lite.excluded.due_at, "next_attempt_at": lite.excluded.next_attempt_at,
             "payload": lite.excluded.payload}
    return lite.on_conflict_do_update(index_elements=[timers.c.kind, timers.c.subject_id], index_where=PENDING,
                                      set_={**moved, **set_})


class Alarm:
    """How a runner in this process hears that something was scheduled before its next wake-up."""

    def __init__(self) -> None:
        self.rung = threading.Event()
        self.wake_at: datetime | None = None  # None: asleep until the poll interval, or awake

    def ring_if_sooner(self, due_at: datetime) -> None:
        wake_at = self.wake_at
        if wake_at is None or due_at < wake_at:
            self.rung.set()


# Every runner in this process; a service's schedule rings them all (another service's runner in
# the same process, as in tests, wakes for nothing and sleeps again).
_alarms: set[Alarm] = set()
_alarms_lock = threading.Lock()


def listen(alarm: Alarm) -> None:
    """Ring `alarm` whenever a commit schedules a timer due before its wake-up time."""
    with _alarms_lock:
        _alarms.add(alarm)


def stop_listening(alarm: Alarm) -> None:
    with _alarms_lock:
        _alarms.discard(alarm)


def _wake_runners(due_at: datetime) -> None:
    with _alarms_lock:
        alarms = list(_alarms)
    for alarm in alarms:
        alarm.ring_if_sooner(due_at)
