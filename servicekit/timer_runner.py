"""Fires due timers (see servicekit.timers): each in its own unit of work, exactly once.

Only the holder of the "timers" lease fires, so replicas do not race for every row; but the lease
is not what makes firing exactly once. The claim is: a conditional UPDATE that marks the row
fired commits with the handler's changes and events, so a crash before commit leaves the timer
due, and a second runner (a replica whose lease ran out while it worked) waits on the row's lock
(PostgreSQL) or the write lock (SQLite), then finds it fired and does nothing.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from servicekit import metrics
from servicekit.clock import Clock
from servicekit.config import RuntimeSettings
from servicekit.database import is_outage
from servicekit.errors import DomainError
from servicekit.relay import Lease
from servicekit.timers import (
    ERROR_MAX_CHARS,
    KIND_PATTERN,
    PENDING,
    Alarm,
    Timer,
    TimerHandler,
    listen,
    stop_listening,
    timers,
)
from servicekit.unit_of_work import UnitsOfWork

log = logging.getLogger(__name__)

LEASE_NAME = "timers"
RETRY_FIRST = timedelta(seconds=10)
RETRY_CAP = timedelta(minutes=15)
_BATCH = 100
_NAP_S = 0.2  # the longest an idle runner takes to notice that it should stop
_MAX_BACKOFF_S = 5.0

# Marks the row fired only if it is still pending and due, and returns it as it is now: it may
# have been moved or given a new payload since it was selected.
_CLAIM = (
    timers.update()
    .where(timers.c.id == sa.bindparam("timer_id"), PENDING, timers.c.next_attempt_at <= sa.bindparam("now"))
    .values(fired_at=sa.bindparam("now"))
    .returning(timers.c.kind, timers.c.subject_id, timers.c.due_at, timers.c.payload)
)


def retry_delay(attempts: int) -> timedelta:
    """How long after its `attempts`-th failed attempt a timer is tried again: doubling, capped."""
    delay: timedelta = min(RETRY_FIRST * 2 ** min(attempts - 1, 20), RETRY_CAP)
    return delay


class NoHandler(Exception):
    """A timer of a kind this service registers no handler for (selected only by a race)."""


class TimerRunner:
    def __init__(self, units: UnitsOfWork, handlers: dict[str, TimerHandler], settings: RuntimeSettings,
                 clock: Clock, holder: str, lease: Lease | None = None):
        for kind in handlers:
            if not KIND_PATTERN.fullmatch(kind):
                raise ValueError(f"timer kind {kind!r} cannot be scheduled (lower case, like 'vote.closes')")
        self.units, self.db, self.handlers = units, units.db, dict(handlers)
        for kind in handlers:  # at 0 from the start: an alert sees the first given up as an increase
            metrics.timers_failed.labels(kind)
        self.settings, self.clock = settings, clock
        self.lease = lease or Lease(units.db, holder, clock, name=LEASE_NAME)
        self.alarm = Alarm()
        # Only the kinds this build handles: one of a newer build (during a rolling deploy, while
        # an older replica holds the lease) waits, counted in lianyi_timers_unhandled_due, for a
        # replica that knows it, rather than failing for good.
        self._handled = timers.c.kind.in_(sorted(self.handlers)) if self.handlers else sa.false()

    def run(self, stop: threading.Event) -> None:
        """Fire due timers until `stop` is set; retries with backoff when the database fails."""
        listen(self.alarm)
        backoff = 0.1
        try:
            while not stop.is_set():
                self.alarm.rung.clear()
                try:
                    next_at = self.fire_due(stop)
                    backoff = 0.1
                except Exception:
                    metrics.timer_runner_errors.inc()
                    log.exception("timer runner failed; retrying in %.1fs", backoff)
                    stop.wait(backoff)
                    backoff = min(backoff * 2, _MAX_BACKOFF_S)
                    continue
                self._sleep(stop, next_at)
        finally:
            stop_listening(self.alarm)
            try:
                self.lease.release()
            except Exception:
                log.warning("could not release the timers lease; it expires by itself")

    def fire_due(self, stop: threading.Event | None = None) -> datetime | None:
        """Fire what is due now (in due order) if this runner holds the lease; returns when the
        next pending timer is due (in the past if more are due), or None if none is pending."""
        if self.lease.hold() is None:
            metrics.timers_due.set(0)
            metrics.timers_oldest_overdue.set(0)
            metrics.timers_unhandled_due.set(0)
            return None
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(timers.c.id, timers.c.kind, timers.c.subject_id, timers.c.next_attempt_at,
                          timers.c.attempts)
                .where(PENDING, self._handled, timers.c.next_attempt_at <= self.clock.now())
                .order_by(timers.c.next_attempt_at, timers.c.id)
                .limit(_BATCH)
            ).all()
        for row in rows:
            if (stop is not None and stop.is_set()) or self.lease.hold() is None:
                return None
            self._fire(row)
        return self._observe(self.clock.now())

    def _fire(self, row: Any) -> None:  # a due row (id, kind, attempts ...)
        now = self.clock.now()
        try:
            with self.units.start() as uow:
                claimed = uow.conn.execute(_CLAIM, {"timer_id": row.id, "now": now}).first()
                if claimed is None:
                    return  # fired by another runner, or cancelled or moved since it was selected
                handler = self.handlers.get(claimed.kind)
                if handler is None:
                    raise NoHandler(f"no handler is registered for timer kind {claimed.kind!r}")
                handler(uow, Timer(claimed.kind, claimed.subject_id, claimed.due_at, json.loads(claimed.payload)))
        except Exception as exc:
            if is_outage(exc):
                raise  # the database, not the timer: the run loop backs off and it stays due
            self._failed(row, exc, now)
            return
        metrics.timers_fired.labels(row.kind).inc()

    def _failed(self, row: Any, exc: Exception, now: datetime) -> None:
        # A separate transaction: the attempt's own was rolled back with everything it did.
        attempts = row.attempts + 1
        final = attempts >= self.settings.timer_max_attempts or isinstance(exc, DomainError)
        values = {"attempts": attempts, "last_error": f"{type(exc).__name__}: {exc}"[:ERROR_MAX_CHARS],
                  "next_attempt_at": now + retry_delay(attempts)}
        if final:
            values["failed_at"] = now
        with self.db.write() as tx:
            counted = tx.conn.execute(
                timers.update()
                # Only the attempt that was made: not one moved or cancelled in the meantime.
                .where(timers.c.id == row.id, PENDING, timers.c.next_attempt_at == row.next_attempt_at)
                .values(**values)
            ).rowcount
        if not counted:
            return
        metrics.timer_attempts_failed.labels(row.kind).inc()
        if final:
            metrics.timers_failed.labels(row.kind).inc()
            log.error("timer %s for %s failed for good after %d attempt(s): %s", row.kind, row.subject_id,
                      attempts, values["last_error"])
        else:
            log.warning("timer %s for %s failed (attempt %d of %d); trying again at %s", row.kind,
                        row.subject_id, attempts, self.settings.timer_max_attempts,
                        values["next_attempt_at"].isoformat(), exc_info=not isinstance(exc, NoHandler))

    def _observe(self, now: datetime) -> datetime | None:
        """Set the backlog gauges; returns when the next pending timer is to be tried."""
        is_due = timers.c.next_attempt_at <= now
        with self.db.read() as conn:
            due, unhandled, next_at, oldest_due = conn.execute(
                sa.select(sa.func.sum(sa.case((sa.and_(is_due, self._handled), 1), else_=0)),
                          sa.func.sum(sa.case((sa.and_(is_due, sa.not_(self._handled)), 1), else_=0)),
                          sa.func.min(sa.case((self._handled, timers.c.next_attempt_at))),
                          sa.func.min(timers.c.due_at))
                .where(PENDING)
            ).one()
        metrics.timers_due.set(due or 0)
        metrics.timers_unhandled_due.set(unhandled or 0)
        overdue = (now - oldest_due).total_seconds() if oldest_due is not None else 0
        metrics.timers_oldest_overdue.set(max(overdue, 0))
        return next_at if isinstance(next_at, datetime) else None

    def _sleep(self, stop: threading.Event, next_at: datetime | None) -> None:
        # Until the next timer is due or the poll interval passes, whichever is sooner; the clock
        # may be moved by tests, so never longer than the poll interval on the clock's word.
        now = self.clock.now()
        seconds = self.settings.timer_poll_s
        if next_at is not None:
            seconds = min(seconds, (next_at - now).total_seconds())
        if seconds <= 0:
            return
        self.alarm.wake_at = now + timedelta(seconds=seconds)
        deadline = time.monotonic() + seconds
        try:
            # In naps, so that `stop` is noticed soon too.
            while not stop.is_set() and not self.alarm.rung.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self.alarm.rung.wait(min(left, _NAP_S))
        finally:
            self.alarm.wake_at = None
