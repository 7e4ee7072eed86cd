"""The platform outbox: escalation events waiting for (or delivered to) the county government
platform, and every attempt to deliver them.

A handler enqueues a delivery in its own unit of work, in the same transaction as the task
change it reports (a transactional outbox): the change and its delivery commit together or not
at all. The deliverer then sends what is due, oldest first and in order within each task.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa

from servicekit.database import UtcDateTime, insert_or_ignore

metadata = sa.MetaData()

deliveries = sa.Table(
    "platform_deliveries",
    metadata,
    # Also the Idempotency-Key the platform deduplicates by.
    sa.Column("delivery_id", sa.String(36), primary_key=True),
    sa.Column("task_id", sa.String(36), nullable=False),
    sa.Column("neighbourhood_id", sa.String(64), nullable=False),
    sa.Column("event_type", sa.String(100), nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # JSON, sent byte for byte as stored
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("next_attempt_at", UtcDateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("delivered_at", UtcDateTime, nullable=True),
    sa.Column("last_status", sa.Integer, nullable=True),
    sa.Column("last_error", sa.String(500), nullable=True),
    # Administrators follow one task's deliveries; the deliverer checks a task's earlier ones.
    sa.Index("ix_platform_deliveries_task", "task_id", "created_at", "delivery_id"),
)
# Pending and due: only undelivered rows are indexed, so the index stays the size of the backlog.
sa.Index(
    "ix_platform_deliveries_pending",
    deliveries.c.next_attempt_at,
    sqlite_where=deliveries.c.delivered_at.is_(None),
    postgresql_where=deliveries.c.delivered_at.is_(None),
)

attempts = sa.Table(
    "platform_attempts",
    metadata,
    sa.Column("delivery_id", sa.String(36), primary_key=True),
    sa.Column("number", sa.Integer, primary_key=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("status", sa.Integer, nullable=False),  # the HTTP status; 0 if no response
    sa.Column("error", sa.String(500), nullable=True),
    sa.Column("duration_ms", sa.Integer, nullable=True),  # None while in flight (or if its sender died)
)

PENDING = deliveries.c.delivered_at.is_(None)
ERROR_MAX_CHARS = 500
# What an attempt says until its outcome is written: if it stays, its sender stopped mid-attempt.
IN_FLIGHT = "no outcome recorded: in flight, or the deliverer stopped before the answer"


@dataclass(frozen=True)
class Attempt:
    number: int
    at: datetime
    status: int
    error: str | None
    duration_ms: int | None


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    task_id: str
    neighbourhood_id: str
    event_type: str
    body: str
    created_at: datetime
    next_attempt_at: datetime
    attempts: int
    delivered_at: datetime | None
    last_status: int | None
    last_error: str | None
    history: tuple[Attempt, ...] = ()

    @property
    def state(self) -> Literal["pending", "delivered"]:
        return "pending" if self.delivered_at is None else "delivered"


def enqueue(conn: sa.Connection, *, delivery_id: str, task_id: str, neighbourhood_id: str, event_type: str,
            body: dict[str, Any], at: datetime) -> None:
    """Queue one event for the platform, due at once, in the caller's transaction. A delivery id
    already queued changes nothing, so a handler that runs again does not send twice."""
    insert_or_ignore(conn, deliveries, delivery_id=delivery_id, task_id=task_id, neighbourhood_id=neighbourhood_id,
                     event_type=event_type, body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                     created_at=at, next_attempt_at=at, attempts=0)


def _earlier_pending_of_same_task() -> sa.Exists:
    earlier = deliveries.alias("earlier")
    return (
        sa.select(earlier.c.delivery_id)
        .where(earlier.c.task_id == deliveries.c.task_id, earlier.c.delivered_at.is_(None),
               sa.tuple_(earlier.c.created_at, earlier.c.delivery_id)
               < sa.tuple_(deliveries.c.created_at, deliveries.c.delivery_id))
        .exists()
    )


def due(conn: sa.Connection, now: datetime, limit: int) -> list[Delivery]:
    """Pending deliveries due at `now`, oldest first, leaving out any whose task has an earlier one
    still pending: a task's events reach the platform in the order they happened."""
    rows = conn.execute(
        sa.select(deliveries)
        .where(PENDING, deliveries.c.next_attempt_at <= now, ~_earlier_pending_of_same_task())
        .order_by(deliveries.c.created_at, deliveries.c.delivery_id)
        .limit(limit)
    ).all()
    return [Delivery(**row._mapping) for row in rows]


def backlog(conn: sa.Connection) -> tuple[int, datetime | None]:
    """How many deliveries are pending, and when the oldest of them was queued."""
    count, oldest = conn.execute(sa.select(sa.func.count(), sa.func.min(deliveries.c.created_at))
                                 .where(PENDING)).one()
    return int(count), oldest


def claim_attempt(conn: sa.Connection, delivery: Delivery, at: datetime, retry_at: datetime,
                  fence: sa.ColumnElement[bool]) -> int | None:
    """Record that attempt number attempts+1 starts now, and move the delivery's next attempt to
    `retry_at` in case this one never reports back (its sender killed mid-request). Only while
    `fence` holds (the deliverer still holds its lease) and nobody claimed it meanwhile; the
    attempt's number, or None."""
    number = delivery.attempts + 1
    claimed = conn.execute(
        deliveries.update()
        .where(deliveries.c.delivery_id == delivery.delivery_id, deliveries.c.attempts == delivery.attempts,
               PENDING, fence)
        .values(attempts=number, next_attempt_at=retry_at)
    ).rowcount
    if not claimed:
        return None
    conn.execute(attempts.insert().values(delivery_id=delivery.delivery_id, number=number, at=at, status=0,
                                          error=IN_FLIGHT, duration_ms=None))
    return number


def record_outcome(conn: sa.Connection, delivery_id: str, number: int, *, status: int, error: str | None,
                   duration_ms: int, delivered_at: datetime | None, retry_at: datetime) -> None:
    """Write what attempt `number` got: delivered, or tried again at `retry_at`. Not fenced: it is
    the truth about an attempt this deliverer claimed, whoever holds the lease by now."""
    error = None if error is None else error[:ERROR_MAX_CHARS]
    conn.execute(attempts.update()
                 .where(attempts.c.delivery_id == delivery_id, attempts.c.number == number)
                 .values(status=status, error=error, duration_ms=duration_ms))
    changes: dict[str, Any] = {"last_status": status, "last_error": error}
    if delivered_at is not None:
        changes["delivered_at"] = delivered_at
    else:
        changes["next_attempt_at"] = retry_at
    conn.execute(deliveries.update().where(deliveries.c.delivery_id == delivery_id, PENDING).values(**changes))


DeliveryState = Literal["pending", "delivered"]


def list_deliveries(conn: sa.Connection, task_id: str | None = None, state: DeliveryState | None = None,
                    limit: int = 50, after: str | None = None,
                    where: sa.ColumnElement[bool] | None = None) -> list[Delivery]:
    """Deliveries with every attempt, newest first, for administrators (`where`: only those it
    holds, such as a scope). Keyset paging: `after` is the last delivery id of the previous page
    (ids sort by creation time)."""
    query = sa.select(deliveries).order_by(deliveries.c.delivery_id.desc()).limit(limit)
    if where is not None:
        query = query.where(where)
    if task_id is not None:
        query = query.where(deliveries.c.task_id == task_id)
    if state == "pending":
        query = query.where(PENDING)
    elif state == "delivered":
        query = query.where(deliveries.c.delivered_at.is_not(None))
    if after:
        query = query.where(deliveries.c.delivery_id < after)
    rows = conn.execute(query).all()
    if not rows:
        return []
    history: dict[str, list[Attempt]] = {row.delivery_id: [] for row in rows}
    for attempt in conn.execute(
        sa.select(attempts).where(attempts.c.delivery_id.in_(list(history)))
        .order_by(attempts.c.delivery_id, attempts.c.number)
    ):
        history[attempt.delivery_id].append(Attempt(attempt.number, attempt.at, attempt.status, attempt.error,
                                                    attempt.duration_ms))
    return [Delivery(**row._mapping, history=tuple(history[row.delivery_id])) for row in rows]
