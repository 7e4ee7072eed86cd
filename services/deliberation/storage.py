"""Deliberation's tables and queries."""
from __future__ import annotations

import sqlalchemy as sa

from servicekit.database import UtcDateTime, insert_or_ignore_many
from services.deliberation.domain import PoolEntry

metadata = sa.MetaData()

# The neighbourhood's pool: concerns waiting to be drafted into a monthly topic. A concern a topic
# holds keeps its entry, with the topic's id, so it belongs to at most one open topic at a time.
pool_entries = sa.Table(
    "pool_entries",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("concern_id", sa.String(36), nullable=False, unique=True),
    sa.Column("neighbourhood_id", sa.String(64), nullable=False),
    sa.Column("category", sa.String(50), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("pooled_at", UtcDateTime, nullable=False),
    sa.Column("topic_id", sa.String(36), nullable=True),
    sa.Index("ix_pool_entries_neighbourhood_seq", "neighbourhood_id", "seq"),
    sa.Index("ix_pool_entries_topic", "topic_id"),
)


def add_entries(conn: sa.Connection, entries: list[PoolEntry]) -> set[str]:
    """Pool concerns in order, in one statement; returns the ids that were not in the pool yet."""
    return insert_or_ignore_many(conn, pool_entries, [
        {"concern_id": e.concern_id, "neighbourhood_id": e.neighbourhood_id, "category": e.category,
         "description": e.description, "received_at": e.received_at, "pooled_at": e.pooled_at}
        for e in entries], key="concern_id")


def list_entries(conn: sa.Connection, neighbourhood_id: str, after_seq: int, limit: int) -> list[PoolEntry]:
    rows = conn.execute(
        sa.select(pool_entries)
        .where(pool_entries.c.neighbourhood_id == neighbourhood_id, pool_entries.c.seq > after_seq,
               pool_entries.c.topic_id.is_(None))
        .order_by(pool_entries.c.seq)
        .limit(limit)
    ).all()
    return [PoolEntry(**{k: v for k, v in row._mapping.items() if k != "topic_id"}) for row in rows]


def remove_entries(conn: sa.Connection, concern_ids: list[str]) -> None:
    if concern_ids:
        conn.execute(pool_entries.delete().where(pool_entries.c.concern_id.in_(concern_ids)))
