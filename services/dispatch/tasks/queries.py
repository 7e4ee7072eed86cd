"""Task lists per role (my tasks, the pool, joint tasks, escalations, overdue, all of a place),
each paged newest first and filtered, and what a concern's task is. Reads only."""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from servicekit import auth, paging
from servicekit.database import Database
from servicekit.directory_replica import DirectoryReplica
from servicekit.errors import InvalidArgument
from services.contract import (
    COMMUNITY_ADMIN,
    COUNTY_ADMIN,
    DEPARTMENT,
    INTEGRATION,
    OWNERS_COMMITTEE,
    PARTY_SECRETARY,
    PROPERTY_COMPANY,
    TOWNSHIP_ADMIN,
)
from services.dispatch import contract
from services.dispatch.contract import ESCALATED, IN_HANDLING, INDIVIDUAL, JOINT, OPEN, RESOLVED
from services.dispatch.tasks import storage
from services.dispatch.tasks.domain import Task
from services.dispatch.tasks.storage import task_departments, task_helpers, tasks


class TaskLists:
    def __init__(self, db: Database, replica: DirectoryReplica):
        self.db, self.replica = db, replica

    def list(self, which: str, place_id: str, states: Sequence[str], tier: str, category: str, page_size: int,
             page_token: str) -> tuple[list[Task], str]:
        if which not in contract.LISTS:
            raise InvalidArgument(f"list must be one of {', '.join(contract.LISTS)}")
        if set(states) - set(contract.STATES) or contract.WAITING in states:
            raise InvalidArgument(f"states must be among {', '.join(contract.STATES[1:])}")
        if tier and tier not in contract.TIERS:
            raise InvalidArgument(f"tier must be one of {', '.join(contract.TIERS)}")
        if len(category) > 50:
            raise InvalidArgument("category: at most 50 characters")
        limit, after = paging.page_size(page_size), paging.decode_key_token(page_token)
        principal = auth.caller()
        with self.db.read() as conn:
            where = [*self._which(conn, which, place_id), *([tasks.c.task_id < after] if after else [])]
            if states:
                where.append(tasks.c.state.in_(list(states)))
            if tier:
                where.append(tasks.c.tier == tier)
            if category:
                where.append(tasks.c.category == category)
            if principal.role == DEPARTMENT:  # a department sees only what it was whistled to
                where.append(_whistled_to(principal.entity_id))
            if principal.role == INTEGRATION:  # the county platform, only escalations
                where.append(tasks.c.tier == ESCALATED)
            found = storage.many(conn, where, limit + 1)
        return paging.one_page(found, limit, lambda task: paging.encode_key_token(task.task_id))

    def _which(self, conn: sa.Connection, which: str, place_id: str) -> list[sa.ColumnElement[bool]]:
        if which == "mine":
            return self._mine(conn)
        path = self._place(conn, place_id)
        within = storage.place_range(conn, path)
        if which == "pool":
            return [within, tasks.c.tier == INDIVIDUAL, tasks.c.state == OPEN]
        if which == "joint":
            return [within, tasks.c.tier == JOINT]
        if which == "escalated":
            return [within, tasks.c.tier == ESCALATED]
        if which == "overdue":
            return [within, tasks.c.overdue_at.is_not(None), tasks.c.state != RESOLVED]
        return [within]

    def _mine(self, conn: sa.Connection) -> list[sa.ColumnElement[bool]]:
        """The caller's own: tasks they handle or help with; their body's joint (and escalated)
        tasks; their department's; their place's escalations."""
        principal = auth.caller()
        within = storage.place_range(conn, principal.scope)
        role, me = principal.role, principal.entity_id
        if role == DEPARTMENT:
            return [_whistled_to(me)]
        if role in (COMMUNITY_ADMIN, TOWNSHIP_ADMIN, COUNTY_ADMIN):
            return [within, tasks.c.tier == ESCALATED, tasks.c.state == IN_HANDLING]
        if role in (OWNERS_COMMITTEE, PROPERTY_COMPANY):
            return [within, tasks.c.tier.in_((JOINT, ESCALATED)), tasks.c.state == IN_HANDLING]
        handled = sa.or_(tasks.c.handler_id == me, tasks.c.task_id.in_(
            sa.select(task_helpers.c.task_id).where(task_helpers.c.person_id == me))) if me else sa.false()
        if role == PARTY_SECRETARY:
            return [within, sa.or_(handled, sa.and_(tasks.c.tier == JOINT, tasks.c.state == IN_HANDLING))]
        return [within, handled]

    def _place(self, conn: sa.Connection, place_id: str) -> tuple[str, ...]:
        """The place a list is of: the one named, if the caller may see it; else their scope."""
        if place_id:
            return self.replica.visible_place(conn, place_id)
        principal = auth.caller()
        if not principal.scope:
            raise InvalidArgument("place_id is required")
        return principal.scope


def _whistled_to(department_id: str) -> sa.ColumnElement[bool]:
    return tasks.c.task_id.in_(sa.select(task_departments.c.task_id)
                               .where(task_departments.c.department_id == department_id))
