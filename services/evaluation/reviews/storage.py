"""The reviews' tables and queries: each member's commitments as dispatch's ledger keeps them (from
its events), and their door visits and panels, by quarter. A member's quarter is read by index
(member, quarter), never by scanning history."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from servicekit.database import UtcDateTime, insert_or_ignore_many
from services.evaluation.matters.domain import BASICALLY_SATISFIED, SATISFIED, UNSATISFIED
from services.evaluation.reviews.domain import Tally

OPEN, FULFILLED, RELEASED = "open", "fulfilled", "released"
VISIT, PANEL = "visit", "panel"

metadata = sa.MetaData()

# One row per commitment (承诺): keyed by the id of the TaskAssigned event that made it, counted in
# the quarter (county time) it was made, with what became of it since.
review_commitments = sa.Table(
    "review_commitments",
    metadata,
    sa.Column("commitment_id", sa.String(36), primary_key=True),
    sa.Column("task_id", sa.String(36), nullable=False),
    sa.Column("member_id", sa.String(64), nullable=False),
    sa.Column("member_name", sa.String(200), nullable=False),
    sa.Column("neighbourhood_id", sa.String(64), nullable=False),
    sa.Column("quarter", sa.String(7), nullable=False),
    sa.Column("committed_at", UtcDateTime, nullable=False),
    sa.Column("deadline", UtcDateTime, nullable=True),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("fulfilled_at", UtcDateTime, nullable=True),
    sa.Column("on_time", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("rating", sa.String(30), nullable=False, server_default=""),
    sa.Column("rated_at", UtcDateTime, nullable=True),
    sa.Column("released_at", UtcDateTime, nullable=True),  # when the task went up a tier from the member
    sa.Column("rework_rounds", sa.Integer, nullable=False, server_default="0"),
    sa.Index("ix_review_commitments_member", "member_id", "quarter"),
    sa.Index("ix_review_commitments_task", "task_id", "committed_at"),
    sa.Index("ix_review_commitments_neighbourhood", "neighbourhood_id", "quarter"),
    sa.Index("ix_review_commitments_quarter", "quarter", "neighbourhood_id"),  # every neighbourhood's year
)

# A member's door visits and panels, each once (by the visit's or the topic's id), in the quarter
# they happened. A visit keeps its household's id: the annual rating counts households visited.
member_activities = sa.Table(
    "member_activities",
    metadata,
    sa.Column("kind", sa.String(10), primary_key=True),
    sa.Column("subject_id", sa.String(64), primary_key=True),
    sa.Column("member_id", sa.String(64), primary_key=True),
    sa.Column("neighbourhood_id", sa.String(64), nullable=False),
    sa.Column("quarter", sa.String(7), nullable=False),
    sa.Column("occurred_on", sa.Date, nullable=False),
    sa.Column("household_id", sa.String(64), nullable=False, server_default=""),
    sa.Index("ix_member_activities_member", "member_id", "quarter"),
    sa.Index("ix_member_activities_neighbourhood", "neighbourhood_id", "quarter"),
    sa.Index("ix_member_activities_quarter", "quarter", "neighbourhood_id"),  # every neighbourhood's year
)

_table = review_commitments


def _latest(task_id: str) -> sa.ScalarSelect[Any]:
    """The task's latest commitment: the one a rework or a rating is about."""
    return (sa.select(_table.c.commitment_id).where(_table.c.task_id == task_id)
            .order_by(_table.c.committed_at.desc(), _table.c.commitment_id.desc()).limit(1).scalar_subquery())


def _open_of(conn: sa.Connection, task_id: str, **values: Any) -> None:
    conn.execute(_table.update().where(_table.c.task_id == task_id, _table.c.state == OPEN).values(**values))


def commit(conn: sa.Connection, commitment_id: str, *, task_id: str, member_id: str, member_name: str,
           neighbourhood_id: str, quarter: str, committed_at: datetime, deadline: datetime | None) -> None:
    """A new commitment; whoever had the task open before has it no longer (released)."""
    _open_of(conn, task_id, state=RELEASED)
    conn.execute(_table.insert().values(
        commitment_id=commitment_id, task_id=task_id, member_id=member_id, member_name=member_name,
        neighbourhood_id=neighbourhood_id, quarter=quarter, committed_at=committed_at, deadline=deadline,
        state=OPEN))


def release(conn: sa.Connection, task_id: str, at: datetime | None) -> None:
    _open_of(conn, task_id, state=RELEASED, released_at=at)


def fulfil(conn: sa.Connection, task_id: str, at: datetime, on_time: bool) -> None:
    _open_of(conn, task_id, state=FULFILLED, fulfilled_at=at, on_time=on_time)


def reopen(conn: sa.Connection, task_id: str, deadline: datetime | None) -> None:
    """A round of rework on the commitment that fulfilled the task; open again until resolved."""
    conn.execute(_table.update().where(_table.c.commitment_id == _latest(task_id), _table.c.state == FULFILLED)
                 .values(state=OPEN, fulfilled_at=None, on_time=False, deadline=deadline,
                         rework_rounds=_table.c.rework_rounds + 1))


def rate(conn: sa.Connection, task_id: str, rating: str, rated_at: datetime) -> None:
    """The residents' latest rating stands on the task's latest commitment, if it is still the
    member's (open or fulfilled: a task that went up a tier was handled by others); an older one
    arriving late does not replace it."""
    conn.execute(_table.update().where(
        _table.c.commitment_id == _latest(task_id), _table.c.state.in_((OPEN, FULFILLED)),
        sa.or_(_table.c.rated_at.is_(None), _table.c.rated_at <= rated_at),
    ).values(rating=rating, rated_at=rated_at))


def add_activities(conn: sa.Connection, kind: str, rows: list[dict[str, Any]]) -> None:
    """Visits or panels, each (subject, member) once however often it is heard."""
    insert_or_ignore_many(conn, member_activities, [{"kind": kind, **row} for row in rows])


def _commitment_counts() -> list[sa.ColumnElement[Any]]:
    fulfilled = _table.c.state == FULFILLED
    # A rating given after the task went up a tier from the member is not theirs (others handled
    # it since), though evaluation heard of the escalation after the rating; one given before it
    # is theirs, and escalating does not take it away.
    given_after = sa.and_(_table.c.state == RELEASED, _table.c.rated_at > _table.c.released_at)
    kept_rating = sa.case((given_after, ""), else_=_table.c.rating)
    return [
        sa.func.count().label("committed"),
        sa.func.count().filter(fulfilled).label("fulfilled"),
        sa.func.count().filter(sa.and_(fulfilled, _table.c.on_time)).label("on_time"),
        sa.func.count().filter(_table.c.state == OPEN).label("open"),
        sa.func.count().filter(_table.c.state == RELEASED).label("released"),
        sa.func.count().filter(kept_rating == SATISFIED).label("satisfied"),
        sa.func.count().filter(kept_rating == BASICALLY_SATISFIED).label("basically_satisfied"),
        sa.func.count().filter(kept_rating == UNSATISFIED).label("unsatisfied"),
        sa.func.coalesce(sa.func.sum(_table.c.rework_rounds), 0).label("rework_rounds"),
    ]


def tallies(conn: sa.Connection, member_ids: list[str], quarter: str, neighbourhood_id: str = "") -> dict[str, Tally]:
    """Each member's quarter (members with nothing in it are left out): all of it, or only their
    work in one neighbourhood (a neighbourhood's list counts its own work, not what a member did
    elsewhere)."""
    if not member_ids:
        return {}
    found: dict[str, dict[str, int]] = {}
    here = (_table.c.neighbourhood_id == neighbourhood_id,) if neighbourhood_id else ()
    rows = conn.execute(sa.select(_table.c.member_id, *_commitment_counts())
                        .where(_table.c.member_id.in_(member_ids), _table.c.quarter == quarter, *here)
                        .group_by(_table.c.member_id))
    names = [column.name for column in _commitment_counts()]
    for member_id, *counts in rows:
        found[member_id] = {name: int(value) for name, value in zip(names, counts, strict=True)}
    activities = member_activities
    here = (activities.c.neighbourhood_id == neighbourhood_id,) if neighbourhood_id else ()
    rows = conn.execute(sa.select(activities.c.member_id,
                                  sa.func.count().filter(activities.c.kind == VISIT).label("door_visits"),
                                  sa.func.count().filter(activities.c.kind == PANEL).label("panels"))
                        .where(activities.c.member_id.in_(member_ids), activities.c.quarter == quarter, *here)
                        .group_by(activities.c.member_id))
    for row in rows:
        found.setdefault(row.member_id, {}).update(door_visits=row.door_visits, panels=row.panels)
    return {member_id: Tally(**counts) for member_id, counts in found.items()}


def members_active_in(conn: sa.Connection, neighbourhood_id: str, quarter: str) -> dict[str, str]:
    """Members with commitments or activities in the neighbourhood's quarter, with the name their
    latest commitment gave (where they made one)."""
    found: dict[str, str] = {}
    for member_id, member_name in conn.execute(  # one neighbourhood's quarter: a few rows, by index
            sa.select(_table.c.member_id, _table.c.member_name)
            .where(_table.c.neighbourhood_id == neighbourhood_id, _table.c.quarter == quarter)
            .order_by(_table.c.committed_at, _table.c.commitment_id)):
        found[member_id] = member_name  # the latest last
    for member_id in conn.execute(sa.select(member_activities.c.member_id).distinct().where(
            member_activities.c.neighbourhood_id == neighbourhood_id,
            member_activities.c.quarter == quarter)).scalars():
        found.setdefault(member_id, "")
    return found


def name_of(conn: sa.Connection, member_id: str) -> str:
    """The name the member's latest commitment gave, "" if none."""
    return conn.execute(sa.select(_table.c.member_name).where(_table.c.member_id == member_id)
                        .order_by(_table.c.committed_at.desc()).limit(1)).scalar() or ""
