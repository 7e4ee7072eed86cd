"""Dispatch's tables and queries."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from servicekit.database import UtcDateTime, insert_or_ignore_many
from servicekit.ids import looks_like_id

metadata = sa.MetaData()

# Every received concern, kept so handling can start the moment it is triaged to direct handling.
handling_candidates = sa.Table(
    "handling_candidates",
    metadata,
    sa.Column("concern_id", sa.String(36), primary_key=True),
    sa.Column("neighbourhood_id", sa.String(64), nullable=False, index=True),
    sa.Column("household_id", sa.String(64), nullable=False),
    sa.Column("category", sa.String(50), nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("route", sa.String(20), nullable=True),
    sa.Column("opened_at", UtcDateTime, nullable=True),
    sa.Column("merged_into", sa.String(36), nullable=True),
)


@dataclass(frozen=True)
class HandlingCandidate:
    concern_id: str
    neighbourhood_id: str
    household_id: str
    category: str
    received_at: datetime
    route: str | None = None
    opened_at: datetime | None = None
    merged_into: str | None = None


def get_candidate(conn: sa.Connection, concern_id: str) -> HandlingCandidate | None:
    if not looks_like_id(concern_id):
        return None
    row = conn.execute(
        sa.select(handling_candidates).where(handling_candidates.c.concern_id == concern_id)
    ).first()
    return HandlingCandidate(**row._mapping) if row else None


def add_candidate(conn: sa.Connection, candidate: HandlingCandidate) -> bool:
    """Keep a candidate; False (and no change) if dispatch already has this concern."""
    return bool(add_candidates(conn, [candidate]))


def add_candidates(conn: sa.Connection, candidates: list[HandlingCandidate]) -> set[str]:
    """Keep several candidates in one statement; returns the ids that were new."""
    return insert_or_ignore_many(conn, handling_candidates, [candidate.__dict__ for candidate in candidates])


def open_direct(conn: sa.Connection, concern_id: str, opened_at: datetime) -> bool:
    """Open a candidate for direct handling; False if it was open already (or is unknown)."""
    result = conn.execute(handling_candidates.update().where(
        handling_candidates.c.concern_id == concern_id, handling_candidates.c.opened_at.is_(None),
    ).values(route="direct", opened_at=opened_at))
    return result.rowcount == 1


def mark_merged(conn: sa.Connection, survivor_id: str, concern_ids: list[str]) -> None:
    """The concerns, and any merged into them before, now follow the survivor (as intake has it:
    ConcernsMerged names only the concerns merged this time)."""
    if concern_ids:
        conn.execute(handling_candidates.update().where(sa.or_(
            handling_candidates.c.concern_id.in_(concern_ids), handling_candidates.c.merged_into.in_(concern_ids),
        )).values(merged_into=survivor_id))
