"""Votes: one row per household and topic, the latest choice kept. A secret ballot: nothing but
the tally ever leaves this table (no event, no read of who voted how)."""
from __future__ import annotations

import functools
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from servicekit.database import UtcDateTime

metadata = sa.MetaData()

votes = sa.Table(
    "votes",
    metadata,
    sa.Column("topic_id", sa.String(36), primary_key=True),
    sa.Column("household_id", sa.String(36), primary_key=True),
    sa.Column("choice", sa.String(3), nullable=False),
    sa.Column("cast_at", UtcDateTime, nullable=False),
    # The tally counts one topic's votes by choice from the index alone.
    sa.Index("ix_votes_topic_choice", "topic_id", "choice"),
)


def cast(conn: sa.Connection, topic_id: str, household_id: str, choice: str, at: datetime) -> None:
    """The household's vote: new, or its earlier choice replaced. One statement, so two votes
    from one household at the same moment leave one row (the later)."""
    conn.execute(_upsert(conn.dialect.name), {"topic_id": topic_id, "household_id": household_id,
                                              "choice": choice, "cast_at": at})


@functools.cache
def _upsert(dialect: str) -> sa.Executable:
    insert = postgresql.insert(votes) if dialect == "postgresql" else sqlite.insert(votes)
    return insert.on_conflict_do_update(index_elements=[votes.c.topic_id, votes.c.household_id],
                                        set_={"choice": insert.excluded.choice, "cast_at": insert.excluded.cast_at})


def household_vote(conn: sa.Connection, topic_id: str, household_id: str) -> tuple[str, datetime] | None:
    row = conn.execute(sa.select(votes.c.choice, votes.c.cast_at).where(
        votes.c.topic_id == topic_id, votes.c.household_id == household_id)).first()
    return (row.choice, row.cast_at) if row else None


def counts(conn: sa.Connection, topic_id: str) -> tuple[int, int]:
    """(yes, no) so far."""
    rows = conn.execute(sa.select(votes.c.choice, sa.func.count()).where(votes.c.topic_id == topic_id)
                        .group_by(votes.c.choice)).all()
    by_choice = {row[0]: row[1] for row in rows}
    return by_choice.get("yes", 0), by_choice.get("no", 0)

