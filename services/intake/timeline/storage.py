"""Concern timelines: each step a concern has been through, in the order they happened (reports
from different services may arrive in another order)."""
from __future__ import annotations

import sqlalchemy as sa

from servicekit.database import UtcDateTime, insert_or_ignore
from services.intake.storage import metadata
from services.intake.timeline.domain import DOWNSTREAM, TimelineEntry

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


def add(conn: sa.Connection, concern_id: str, entry: TimelineEntry, event_id: str | None = None) -> bool:
    """Add a step; False (and no change) if the event it came from was recorded before."""
    values = dict(concern_id=concern_id, status=entry.status, at=entry.at, note=entry.note, source=entry.source)
    if event_id is None:
        conn.execute(_INSERT, values)
        return True
    return insert_or_ignore(conn, concern_timeline, event_id=event_id, **values)


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


# The consumer of downstream reports runs these for every event: built once, not per call.
_DOWNSTREAM_STEPS = (
    sa.select(concern_timeline.c.status, concern_timeline.c.at, concern_timeline.c.note, concern_timeline.c.source)
    .where(concern_timeline.c.concern_id == sa.bindparam("concern_id"),
           concern_timeline.c.status.in_(DOWNSTREAM))
    .order_by(concern_timeline.c.at, concern_timeline.c.seq)
)


def downstream_entries(conn: sa.Connection, concern_id: str) -> list[TimelineEntry]:
    """The steps the downstream services reported (they decide the status once there are any)."""
    return [TimelineEntry(*row) for row in conn.execute(_DOWNSTREAM_STEPS, {"concern_id": concern_id})]
