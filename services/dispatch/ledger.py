"""The commitment ledger (践诺台账): each time a member takes a task on (承诺), its fulfilment
(践诺), on time or late, and the resident's rating of it (评诺). Kept from the task's own events in
the unit of work that records them, so the ledger and the task never disagree."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from servicekit.database import UtcDateTime
from servicekit.ids import new_id
from services.dispatch.tasks import domain

OPEN, FULFILLED, RELEASED = "open", "fulfilled", "released"

metadata = sa.MetaData()

commitments = sa.Table(
    "commitments",
    metadata,
    sa.Column("commitment_id", sa.String(36), primary_key=True),
    sa.Column("member_id", sa.String(64), nullable=False),
    sa.Column("member_name", sa.String(200), nullable=False),
    sa.Column("task_id", sa.String(36), nullable=False),
    sa.Column("neighbourhood_id", sa.String(64), nullable=False),
    sa.Column("mode", sa.String(20), nullable=False),
    sa.Column("committed_at", UtcDateTime, nullable=False),
    sa.Column("deadline", UtcDateTime, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("fulfilled_at", UtcDateTime, nullable=True),
    sa.Column("on_time", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("rating", sa.String(30), nullable=False, server_default=""),
    sa.Column("rated_at", UtcDateTime, nullable=True),
    sa.Column("rework_rounds", sa.Integer, nullable=False, server_default="0"),
    sa.Index("ix_commitments_member", "member_id", "committed_at"),
    sa.Index("ix_commitments_task", "task_id", "state"),
)


@dataclass(frozen=True)
class Commitment:
    commitment_id: str
    member_id: str
    member_name: str
    task_id: str
    neighbourhood_id: str
    mode: str
    committed_at: datetime
    deadline: datetime
    state: str
    fulfilled_at: datetime | None
    on_time: bool
    rating: str
    rework_rounds: int


def _latest(task_id: str) -> sa.Select[Any]:
    return sa.select(sa.func.max(commitments.c.commitment_id)).where(commitments.c.task_id == task_id) \
        .scalar_subquery()  # type: ignore[return-value]


def keep(conn: sa.Connection, event: object, at: datetime) -> None:
    """What a task's event means for its handler's ledger: a new commitment when a member takes
    it on; released when it leaves them unresolved; fulfilled when resolved; open again (a
    round of rework counted) when reopened."""
    if isinstance(event, domain.TaskAssigned):
        task = event.task
        _open_of(conn, task.task_id, state=RELEASED)  # whoever had it before
        conn.execute(commitments.insert().values(
            commitment_id=new_id(), member_id=event.handler.id, member_name=event.handler.name, task_id=task.task_id,
            neighbourhood_id=task.place.neighbourhood_id, mode=event.mode, committed_at=at, deadline=task.deadline,
            state=OPEN))
    elif isinstance(event, domain.TaskEscalated):
        _open_of(conn, event.task.task_id, state=RELEASED)
    elif isinstance(event, domain.TaskResolved):
        _open_of(conn, event.task.task_id, state=FULFILLED, fulfilled_at=at, on_time=event.task.on_time)
    elif isinstance(event, domain.TaskReopened):
        conn.execute(commitments.update().where(commitments.c.commitment_id == _latest(event.task.task_id),
                                                commitments.c.state == FULFILLED)
                     .values(state=OPEN, fulfilled_at=None, on_time=False, deadline=event.task.deadline,
                             rework_rounds=commitments.c.rework_rounds + 1))


def _open_of(conn: sa.Connection, task_id: str, **values: Any) -> None:
    conn.execute(commitments.update().where(commitments.c.task_id == task_id, commitments.c.state == OPEN)
                 .values(**values))


def rate(conn: sa.Connection, task_id: str, rating: str, rated_at: datetime) -> None:
    """The resident's rating (评诺) of the task, on the commitment that last fulfilled it; a later
    rating (after rework) stands, an older one arriving late does not."""
    # Whatever its state: a rework asked before the rating arrives has reopened it already.
    conn.execute(commitments.update().where(
        commitments.c.commitment_id == _latest(task_id),
        sa.or_(commitments.c.rated_at.is_(None), commitments.c.rated_at <= rated_at),
    ).values(rating=rating, rated_at=rated_at))


def of_member(conn: sa.Connection, member_id: str, start: datetime | None, end: datetime | None, after: str,
              limit: int) -> tuple[list[Commitment], dict[str, int]]:
    """A member's commitments in the period (newest first, after the key `after`), and its totals
    over the whole period: committed, fulfilled_on_time, fulfilled_late, open, released."""
    where = [commitments.c.member_id == member_id]
    if start is not None:
        where.append(commitments.c.committed_at >= start)
    if end is not None:
        where.append(commitments.c.committed_at < end)
    page = [*where, commitments.c.commitment_id < after] if after else where
    rows = conn.execute(sa.select(commitments).where(*page).order_by(commitments.c.commitment_id.desc()).limit(limit))
    found = [Commitment(**{name: row._mapping[name] for name in Commitment.__dataclass_fields__}) for row in rows]
    fulfilled = commitments.c.state == FULFILLED
    totals = conn.execute(sa.select(
        sa.func.count(),
        sa.func.count().filter(sa.and_(fulfilled, commitments.c.on_time)),
        sa.func.count().filter(sa.and_(fulfilled, sa.not_(commitments.c.on_time))),
        sa.func.count().filter(commitments.c.state == OPEN),
        sa.func.count().filter(commitments.c.state == RELEASED),
    ).where(*where)).one()
    return found, dict(zip(("committed", "fulfilled_on_time", "fulfilled_late", "open", "released"), totals,
                           strict=True))
