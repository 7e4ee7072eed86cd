"""Reports on handling: a place's figures over a period (tasks by tier, on time, overdue, gone up
a tier, reworked; each department's report-in times), and a member's commitment ledger."""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from servicekit import auth, moments, paging
from servicekit.database import Database
from servicekit.directory_replica import DirectoryReplica
from servicekit.errors import InvalidArgument, NotFound, PermissionDenied
from services.contract import BUILDING_LEADER, COUNTY_TIME, MEMBER
from services.dispatch import ledger
from services.dispatch.contract import ESCALATED, INDIVIDUAL, JOINT, RESOLVED
from services.dispatch.tasks import storage
from services.dispatch.tasks.storage import task_departments, task_history, tasks


@dataclass(frozen=True)
class DepartmentFigures:
    department_id: str
    name: str
    whistled: int
    reported_in: int
    reported_in_on_time: int
    median_report_in_minutes: int


@dataclass(frozen=True)
class Figures:
    place_id: str
    start: date | None
    end: date | None
    counts: dict[str, int]
    departments: list[DepartmentFigures] = field(default_factory=list)


def days(from_day: str, to_day: str) -> tuple[date | None, date | None, datetime | None, datetime | None]:
    """A period of county days, both included, and its [start, end) moments; either end open."""
    first = moments.day(from_day, "from_day") if from_day else None
    last = moments.day(to_day, "to_day") if to_day else None
    if first and last and last < first:
        raise InvalidArgument("to_day must not be before from_day")
    start = datetime.combine(first, time(), COUNTY_TIME) if first else None
    end = datetime.combine(last + timedelta(days=1), time(), COUNTY_TIME) if last else None
    return first, last, start, end


class Reports:
    def __init__(self, db: Database, replica: DirectoryReplica):
        self.db, self.replica = db, replica

    def figures(self, place_id: str, from_day: str, to_day: str) -> Figures:
        first, last, start, end = days(from_day, to_day)
        with self.db.read() as conn:
            where = [storage.place_range(conn, self.replica.visible_place(conn, place_id))]
            if start is not None:
                where.append(tasks.c.opened_at >= start)
            if end is not None:
                where.append(tasks.c.opened_at < end)
            resolved = tasks.c.state == RESOLVED
            row = conn.execute(sa.select(
                sa.func.count(),
                *(sa.func.count().filter(tasks.c.tier == tier) for tier in (INDIVIDUAL, JOINT, ESCALATED)),
                sa.func.count().filter(resolved),
                sa.func.count().filter(sa.and_(resolved, tasks.c.on_time)),
                # Went overdue at some point, as its history says: escalation and rework start a
                # fresh round (overdue_at cleared), and the task still counts.
                sa.func.count().filter(tasks.c.task_id.in_(
                    sa.select(task_history.c.task_id).where(task_history.c.step == "overdue"))),
                sa.func.count().filter(tasks.c.escalations > 0),
                sa.func.count().filter(tasks.c.rework_round > 0),
            ).where(*where)).one()
            names = ("opened", "individual", "joint", "escalated", "resolved", "resolved_on_time", "overdue",
                     "went_up", "reworked")
            calls = conn.execute(sa.select(task_departments).join(tasks, tasks.c.task_id == task_departments.c.task_id)
                                 .where(*where)).all()
        return Figures(place_id, first, last, dict(zip(names, row, strict=True)), _by_department(calls))

    def ledger(self, member_id: str, from_day: str, to_day: str, page_size: int,
               page_token: str) -> tuple[str, str, list[ledger.Commitment], dict[str, int], str]:
        """A member's commitment ledger: a member reads their own; the party secretary and
        administrators read those of members in their scope."""
        principal = auth.caller()
        member_id = member_id or principal.entity_id
        if not member_id:  # the caller's own, but they are no member: their role has none (403, not a field's fault)
            raise PermissionDenied("only a member has a ledger of their own; name the member_id to read")
        if principal.role in (MEMBER, BUILDING_LEADER) and member_id != principal.entity_id:
            raise PermissionDenied("a member reads only their own ledger")
        _, _, start, end = days(from_day, to_day)
        limit, after = paging.page_size(page_size), paging.decode_key_token(page_token)
        with self.db.read() as conn:
            member = self.replica.known(conn, [member_id]).get(member_id)
            if member is None or member.kind != "member" or not auth.in_scope(member.scope_path):
                raise NotFound(f"no member {member_id[:64]}")
            found, totals = ledger.of_member(conn, member_id, start, end, after, limit + 1)
        page, token = paging.one_page(found, limit, lambda c: paging.encode_key_token(c.commitment_id))
        return member.entity_id, member.name, page, totals, token


def _by_department(calls: list[sa.Row]) -> list[DepartmentFigures]:
    grouped: dict[str, list[sa.Row]] = {}
    for call in calls:
        grouped.setdefault(call.department_id, []).append(call)
    figures = []
    for department_id, rows in sorted(grouped.items()):
        minutes = [(row.reported_in_at - row.whistled_at).total_seconds() / 60 for row in rows if row.reported_in_at]
        figures.append(DepartmentFigures(
            department_id, rows[0].name, len(rows), len(minutes),
            sum(1 for row in rows if row.reported_in_at and row.reported_in_at <= row.report_in_due),
            round(statistics.median(minutes)) if minutes else 0))
    return figures
