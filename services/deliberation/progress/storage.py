"""Each decided action's progress as dispatch and evaluation report it."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from servicekit.database import UtcDateTime, insert_or_ignore_many
from services.deliberation.progress.domain import ActionProgress

metadata = sa.MetaData()

action_progress = sa.Table(
    "action_progress",
    metadata,
    sa.Column("action_id", sa.String(36), primary_key=True),
    sa.Column("decision_id", sa.String(36), nullable=False),
    sa.Column("resolved_at", UtcDateTime, nullable=True),
    sa.Column("on_time", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("rework_rounds", sa.Integer, nullable=False, server_default="0"),
    # When the report that set resolved_at (or cleared it: reopened) happened; an older one is ignored.
    sa.Column("resolution_reported_at", UtcDateTime, nullable=True),
    sa.Column("rating", sa.String(20), nullable=False, server_default=""),
    sa.Column("rated_at", UtcDateTime, nullable=True),
)
_T = action_progress


def ensure(conn: sa.Connection, rows: Sequence[tuple[str, str]]) -> None:
    """A row for each (decision id, action id) reported on."""
    insert_or_ignore_many(conn, _T, [{"action_id": action_id, "decision_id": decision_id}
                                     for decision_id, action_id in rows])


def _newer_resolution(action_id: str, reported_at: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(_T.c.action_id == action_id,
                   sa.or_(_T.c.resolution_reported_at.is_(None), _T.c.resolution_reported_at <= reported_at))


def resolved(conn: sa.Connection, action_id: str, resolved_at: datetime, on_time: bool, reported_at: datetime) -> None:
    conn.execute(_T.update().where(_newer_resolution(action_id, reported_at)).values(
        resolved_at=resolved_at, on_time=on_time, resolution_reported_at=reported_at))


def reopened(conn: sa.Connection, action_id: str, round_: int, reported_at: datetime) -> None:
    conn.execute(_T.update().where(_newer_resolution(action_id, reported_at)).values(
        resolved_at=None, on_time=False, resolution_reported_at=reported_at,
        rework_rounds=sa.case((_T.c.rework_rounds > round_, _T.c.rework_rounds), else_=round_)))


def rated(conn: sa.Connection, action_id: str, rating: str, rated_at: datetime) -> None:
    conn.execute(_T.update().where(_T.c.action_id == action_id,
                                   sa.or_(_T.c.rated_at.is_(None), _T.c.rated_at <= rated_at))
                 .values(rating=rating, rated_at=rated_at))


def of(conn: sa.Connection, action_ids: Sequence[str]) -> dict[str, ActionProgress]:
    if not action_ids:
        return {}
    rows = conn.execute(sa.select(_T).where(_T.c.action_id.in_(list(action_ids)))).all()
    return {row.action_id: ActionProgress(row.action_id, row.resolved_at, row.on_time, row.rework_rounds,
                                          row.rating, row.rated_at) for row in rows}
