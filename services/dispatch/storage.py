"""Dispatch's tables and queries for what it hears: concerns and decided actions (tasks' own
tables are in services/dispatch/tasks/storage.py)."""
from __future__ import annotations

import json
from collections.abc import Iterable

import sqlalchemy as sa

from servicekit.database import UtcDateTime, insert_or_ignore_many
from servicekit.ids import looks_like_id
from services.dispatch.domain import Concern, DecidedAction

metadata = sa.MetaData()

# Every received concern, so handling can start the moment it is triaged direct.
concerns = sa.Table(
    "concerns",
    metadata,
    sa.Column("concern_id", sa.String(36), primary_key=True),
    sa.Column("neighbourhood_id", sa.String(64), nullable=False, index=True),
    sa.Column("household_id", sa.String(64), nullable=False),
    sa.Column("category", sa.String(50), nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("route", sa.String(20), nullable=True),
    sa.Column("opened_at", UtcDateTime, nullable=True),
    sa.Column("merged_into", sa.String(36), nullable=True),
    sa.Column("building_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("urgency", sa.String(10), nullable=False, server_default="normal"),
)

# Every action of a joint meeting's decision, kept as it arrived, for dispatch to hand out as concerns.
decided_actions = sa.Table(
    "decided_actions",
    metadata,
    sa.Column("action_id", sa.String(36), primary_key=True),
    sa.Column("decision_id", sa.String(36), nullable=False),
    sa.Column("topic_id", sa.String(36), nullable=False),
    sa.Column("neighbourhood_id", sa.String(64), nullable=False),
    # Its place in the decision's plan: the plan is read back in the order it was decided.
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("tier", sa.String(20), nullable=False),  # individual, joint, escalated, or "" if none suggested
    sa.Column("owner_id", sa.String(64), nullable=False),
    sa.Column("owner_name", sa.String(200), nullable=False),
    sa.Column("deadline", sa.Date, nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    # The concerns the decision answers (its topic's), as a JSON list: a task handed out from the
    # action moves their timelines.
    sa.Column("concern_ids", sa.Text, nullable=False, server_default="[]"),
    sa.Index("ix_decided_actions_decision", "decision_id", "position"),
)
_ACTION_COLUMNS = tuple(column.name for column in decided_actions.columns if column.name != "concern_ids")

_COLUMNS = ("concern_id", "neighbourhood_id", "household_id", "category", "received_at", "building_id", "urgency",
            "route", "opened_at", "merged_into")
_OPEN = concerns.update().where(concerns.c.concern_id == sa.bindparam("id"), concerns.c.opened_at.is_(None)).values(
    route=sa.bindparam("route"), opened_at=sa.bindparam("opened_at"))


def _concern(row: sa.Row) -> Concern:
    return Concern(**{name: row._mapping[name] for name in _COLUMNS})


def get_concern(conn: sa.Connection, concern_id: str) -> Concern | None:
    if not looks_like_id(concern_id):
        return None
    row = conn.execute(sa.select(concerns).where(concerns.c.concern_id == concern_id)).first()
    return _concern(row) if row else None


def concerns_to_change(conn: sa.Connection, concern_ids: list[str]) -> dict[str, Concern]:
    """These concerns as kept, by id, locked until the transaction ends (PostgreSQL; SQLite has
    one writer at a time anyway): two consumers routing one concern during a rebalance take turns,
    and the second sees what the first did. Locked in id order, so two batches cannot deadlock."""
    # Every id, as add_concerns keeps every concern: one kept but not found here would look like
    # a concern created meanwhile, every time.
    ids = sorted(set(concern_ids))
    if not ids:
        return {}
    query = sa.select(concerns).where(concerns.c.concern_id.in_(ids)).order_by(concerns.c.concern_id) \
        .with_for_update()
    return {row.concern_id: _concern(row) for row in conn.execute(query)}


def add_concerns(conn: sa.Connection, new: Iterable[Concern]) -> set[str]:
    """Keep new concerns in one statement (one dispatch already has stays as kept); returns the
    ids of those that were new."""
    return insert_or_ignore_many(conn, concerns, [{name: getattr(concern, name) for name in _COLUMNS}
                                                  for concern in new])


def save_routed(conn: sa.Connection, routed: Iterable[Concern]) -> None:
    """Record that these existing concerns were routed direct (each once)."""
    rows = [{"id": concern.concern_id, "route": concern.route, "opened_at": concern.opened_at} for concern in routed]
    if rows:
        conn.execute(_OPEN, rows)


def mark_merged(conn: sa.Connection, survivor_id: str, concern_ids: list[str]) -> None:
    """The concerns, and any merged into them before, now follow the survivor (as intake has it:
    ConcernsMerged names only the concerns merged this time)."""
    if concern_ids:
        conn.execute(concerns.update().where(sa.or_(
            concerns.c.concern_id.in_(concern_ids), concerns.c.merged_into.in_(concern_ids),
        )).values(merged_into=survivor_id))


def add_decided_actions(conn: sa.Connection, actions: Iterable[DecidedAction]) -> set[str]:
    """Keep decided actions in one statement (an action dispatch already has stays as it was kept:
    a redelivered decision changes nothing); returns the ids of the actions that were new."""
    return insert_or_ignore_many(conn, decided_actions, [
        {**{name: getattr(action, name) for name in _ACTION_COLUMNS}, "concern_ids": json.dumps(action.concern_ids)}
        for action in actions])


def decided_actions_of(conn: sa.Connection, decision_id: str) -> list[DecidedAction]:
    """A decision's actions in its plan's order; none if dispatch has not heard of the decision."""
    if not looks_like_id(decision_id):
        return []
    rows = conn.execute(sa.select(decided_actions).where(decided_actions.c.decision_id == decision_id)
                        .order_by(decided_actions.c.position, decided_actions.c.action_id))
    return [DecidedAction(**{name: row._mapping[name] for name in _ACTION_COLUMNS},
                          concern_ids=tuple(json.loads(row.concern_ids))) for row in rows]

