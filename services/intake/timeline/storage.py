"""Concern timelines: each step a concern has been through, in the order they happened (reports
from different services may arrive in another order)."""
from __future__ import annotations

import sqlalchemy as sa

from servicekit.database import UtcDateTime, insert_or_ignore_many
from services.intake.contract import DOWNSTREAM_STATUSES
from services.intake.storage import metadata
from services.intake.timeline.domain import TimelineEntry

concern_timeline = sa.Table(
    "concern_timeline",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("concern_id", sa.String(36), nullable=False, index=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("source", sa.String(20), nullable=False),
    sa.Column("event_id", sa.String(36), nullable=True, unique=True),
)

_INSERT = concern_timeline.insert()


def add(conn: sa.Connection, concern_id: str, entry: TimelineEntry) -> None:
    """A step intake itself took (downstream reports go through add_reported)."""
    add_many(conn, [(concern_id, entry)])


def add_many(conn: sa.Connection, rows: list[tuple[str, TimelineEntry]]) -> None:
    if rows:
        conn.execute(_INSERT, [dict(concern_id=concern_id, status=e.status, at=e.at, note=e.note, source=e.source)
                               for concern_id, e in rows])


def entries(conn: sa.Connection, concern_id: str) -> list[TimelineEntry]:
    rows = conn.execute(sa.select(concern_timeline.c.status, concern_timeline.c.at, concern_timeline.c.note,
                                  concern_timeline.c.source)
                        .where(concern_timeline.c.concern_id == concern_id)
                        .order_by(concern_timeline.c.at, concern_timeline.c.seq)).all()
    return [TimelineEntry(*row) for row in rows]


def add_reported(conn: sa.Connection, steps: list[tuple[str, TimelineEntry, str]]) -> set[str]:
    """Steps (concern id, entry, id of the event reporting it) in one statement; returns the
    event ids whose step is new (a step already recorded from an event is not added again)."""
    return insert_or_ignore_many(conn, concern_timeline, [
        dict(concern_id=concern_id, status=e.status, at=e.at, note=e.note, source=e.source, event_id=event_id)
        for concern_id, e, event_id in steps
    ], key="event_id")


# The consumer of downstream reports runs this for every batch: built once, not per call.
_DOWNSTREAM_STEPS = (
    sa.select(concern_timeline.c.concern_id, concern_timeline.c.status, concern_timeline.c.at,
              concern_timeline.c.note, concern_timeline.c.source)
    .where(concern_timeline.c.concern_id.in_(sa.bindparam("ids", expanding=True)),
           concern_timeline.c.status.in_(DOWNSTREAM_STATUSES))
    .order_by(concern_timeline.c.at, concern_timeline.c.seq)
)


def downstream_entries(conn: sa.Connection, concern_ids: list[str]) -> dict[str, list[TimelineEntry]]:
    """Each concern's steps the downstream services reported, oldest first (they decide the
    status once there are any)."""
    found: dict[str, list[TimelineEntry]] = {concern_id: [] for concern_id in concern_ids}
    if concern_ids:
        for concern_id, *step in conn.execute(_DOWNSTREAM_STEPS, {"ids": concern_ids}):
            found[concern_id].append(TimelineEntry(*step))
    return found
