"""Dispatch's tables and queries."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from servicekit.database import UtcDateTime, insert_or_ignore
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
)


@dataclass(frozen=True)
class HandlingCandidate:
    concern_id: str
    neighbourhood_id: str
    household_id: str
    category: str
    received_at: datetime


def get_candidate(conn: sa.Connection, concern_id: str) -> HandlingCandidate | None:
    if not looks_like_id(concern_id):
        return None
    row = conn.execute(
        sa.select(handling_candidates).where(handling_candidates.c.concern_id == concern_id)
    ).first()
    return HandlingCandidate(**row._mapping) if row else None


def add_candidate(conn: sa.Connection, candidate: HandlingCandidate) -> bool:
    """Keep a candidate; False (and no change) if dispatch already has this concern."""
    return insert_or_ignore(conn, handling_candidates, **candidate.__dict__)
