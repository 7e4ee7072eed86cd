"""Talk sessions and opinion log tables."""
from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa

from servicekit.database import UtcDateTime
from services.intake.storage import metadata

talk_sessions = sa.Table(
    "talk_sessions",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("session_id", sa.String(36), nullable=False, unique=True),
    sa.Column("neighbourhood_id", sa.String(36), nullable=False, index=True),
    sa.Column("venue_id", sa.String(36), nullable=False),
    sa.Column("held_on", sa.Date, nullable=False),
    sa.Column("host_ids", sa.Text, nullable=False),
    sa.Column("attendance", sa.Integer, nullable=False),
    sa.Column("recorded_by", sa.String(100), nullable=False),
    sa.Column("recorded_at", UtcDateTime, nullable=False),
    sa.Index("ix_talk_sessions_by_day", "neighbourhood_id", "held_on", "seq"),
)

opinion_log_entries = sa.Table(
    "opinion_log_entries",
    metadata,
    sa.Column("session_id", sa.String(36), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("category", sa.String(50), nullable=False, server_default=""),
    sa.Column("household_id", sa.String(36), nullable=False, server_default=""),
    sa.Column("concern_id", sa.String(36), nullable=True),
)


def add_session(conn: sa.Connection, *, entries: list[dict], host_ids: list[str], **values) -> None:
    conn.execute(talk_sessions.insert(), {**values, "host_ids": json.dumps(host_ids)})
    if entries:
        conn.execute(opinion_log_entries.insert(), [
            {"session_id": values["session_id"], "position": n, **entry} for n, entry in enumerate(entries, 1)])


def page(conn: sa.Connection, neighbourhood_id: str, after: tuple[date, int] | None, limit: int) -> list[tuple]:
    """Sessions in the order they were held (recording order within a day), after the position
    (held_on, seq), with their entries: [(session row, [entry rows])]."""
    query = sa.select(talk_sessions).where(talk_sessions.c.neighbourhood_id == neighbourhood_id)
    if after is not None:
        held_on, seq = after
        query = query.where(sa.or_(talk_sessions.c.held_on > held_on,
                                   sa.and_(talk_sessions.c.held_on == held_on, talk_sessions.c.seq > seq)))
    sessions = conn.execute(query.order_by(talk_sessions.c.held_on, talk_sessions.c.seq).limit(limit)).all()
    if not sessions:
        return []
    entries = conn.execute(
        sa.select(opinion_log_entries)
        .where(opinion_log_entries.c.session_id.in_([s.session_id for s in sessions]))
        .order_by(opinion_log_entries.c.session_id, opinion_log_entries.c.position)).all()
    by_session: dict[str, list] = {}
    for entry in entries:
        by_session.setdefault(entry.session_id, []).append(entry)
    return [(session, by_session.get(session.session_id, [])) for session in sessions]
