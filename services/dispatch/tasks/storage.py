"""Tasks' tables and queries: a task's own row, its helpers, bodies' parts, whistled departments,
the callbacks already applied, and its history."""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from servicekit import place_paths
from servicekit.database import UtcDateTime, insert_or_ignore
from servicekit.events import Place
from servicekit.ids import looks_like_id
from services.dispatch.contract import RESOLVED
from services.dispatch.tasks.domain import DepartmentCall, Part, Person, Step, Task

metadata = sa.MetaData()

tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("task_id", sa.String(36), primary_key=True),
    # "/county/township/community/neighbourhood/", as the directory replica keeps paths: a place's
    # tasks are a range of it (see place_range).
    sa.Column("place_path", sa.String(400), nullable=False),
    sa.Column("neighbourhood_id", sa.String(64), nullable=False),
    sa.Column("concern_ids", sa.Text, nullable=False),  # JSON list
    # Set for a decided action's task (its id is the action's); a concern's task has the concern's id.
    sa.Column("decision_id", sa.String(36), nullable=False, server_default=""),
    sa.Column("action_id", sa.String(36), nullable=False, server_default=""),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("category", sa.String(50), nullable=False, server_default=""),
    sa.Column("urgency", sa.String(10), nullable=False, server_default="normal"),
    sa.Column("building_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("household_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("tier", sa.String(20), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("mode", sa.String(20), nullable=False, server_default=""),
    sa.Column("handler_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("handler_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("opened_at", UtcDateTime, nullable=False),
    sa.Column("deadline", UtcDateTime, nullable=False),
    sa.Column("period_s", sa.Integer, nullable=False),  # how long a round has
    sa.Column("reminded_at", UtcDateTime, nullable=True),
    sa.Column("overdue_at", UtcDateTime, nullable=True),
    sa.Column("resolved_at", UtcDateTime, nullable=True),
    sa.Column("result", sa.Text, nullable=False, server_default=""),
    sa.Column("on_time", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("rework_round", sa.Integer, nullable=False, server_default="0"),
    sa.Column("supervisor_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("supervisor_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("whistled_at", UtcDateTime, nullable=True),
    # How many times it went up a tier, for the figures.
    sa.Column("escalations", sa.Integer, nullable=False, server_default="0"),
    sa.Index("ix_tasks_neighbourhood_state", "neighbourhood_id", "state", "tier"),
    sa.Index("ix_tasks_handler", "handler_id"),
    sa.Index("ix_tasks_place_path", "place_path", postgresql_ops={"place_path": 'COLLATE "C"'}),
)

task_helpers = sa.Table(
    "task_helpers",
    metadata,
    sa.Column("task_id", sa.String(36), primary_key=True),
    sa.Column("person_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Index("ix_task_helpers_person", "person_id"),
)

task_parts = sa.Table(
    "task_parts",
    metadata,
    sa.Column("task_id", sa.String(36), primary_key=True),
    sa.Column("body", sa.String(40), primary_key=True),
    sa.Column("part", sa.Text, nullable=False),
    sa.Column("result", sa.Text, nullable=False),
    sa.Column("recorded_at", UtcDateTime, nullable=False),
    sa.Column("recorded_by", sa.String(200), nullable=False),
)

task_departments = sa.Table(
    "task_departments",
    metadata,
    sa.Column("task_id", sa.String(36), primary_key=True),
    sa.Column("department_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("whistled_at", UtcDateTime, nullable=False),
    sa.Column("report_in_due", UtcDateTime, nullable=False),
    sa.Column("reported_in_at", UtcDateTime, nullable=True),
    sa.Column("result", sa.Text, nullable=False, server_default=""),
    sa.Column("result_at", UtcDateTime, nullable=True),
    sa.Index("ix_task_departments_department", "department_id", "whistled_at"),
)

# The platform's callbacks already applied, by the department they were for: one repeated is known.
department_callbacks = sa.Table(
    "department_callbacks",
    metadata,
    sa.Column("department_id", sa.String(64), primary_key=True),
    sa.Column("callback_id", sa.String(100), primary_key=True),
    sa.Column("task_id", sa.String(36), nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
)

task_history = sa.Table(
    "task_history",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("task_id", sa.String(36), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("step", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Index("ix_task_history_task", "task_id", "id"),
)

_SCALARS = ("task_id", "decision_id", "action_id", "description", "category", "urgency",
            "building_id", "household_id", "tier", "state", "mode", "opened_at", "deadline", "reminded_at",
            "overdue_at", "resolved_at", "result", "on_time", "rework_round", "whistled_at")


def place_range(conn: sa.Connection, path: Sequence[str]) -> sa.ColumnElement[bool]:
    """Tasks at or below the place with this path (see servicekit.place_paths)."""
    return place_paths.below(conn, tasks.c.place_path, path)


def _row(task: Task) -> dict[str, Any]:
    place = task.place
    row = {name: getattr(task, name) for name in _SCALARS}
    path = (place.county_id, place.township_id, place.community_id, place.neighbourhood_id)
    row.update(neighbourhood_id=place.neighbourhood_id, place_path=place_paths.text(path),
               concern_ids=json.dumps(list(task.concern_ids)), period_s=int(task.period.total_seconds()),
               handler_id=task.handler.id if task.handler else "", handler_name=task.handler.name if task.handler else "",
               supervisor_id=task.supervisor.id if task.supervisor else "",
               supervisor_name=task.supervisor.name if task.supervisor else "")
    return row


def task_of(row: sa.Row[Any]) -> Task:
    """A task from its own row (its helpers, parts and departments are loaded by `load`)."""
    values = row._mapping
    county, township, community, neighbourhood = (part for part in values["place_path"].split("/") if part)
    return Task(
        **{name: values[name] for name in _SCALARS},
        place=Place(neighbourhood, community, township, county),
        concern_ids=tuple(json.loads(values["concern_ids"])), period=timedelta(seconds=values["period_s"]),
        handler=Person(values["handler_id"], values["handler_name"]) if values["handler_id"] else None,
        supervisor=Person(values["supervisor_id"], values["supervisor_name"])
        if values["supervisor_id"] or values["supervisor_name"] else None,
    )


def load(conn: sa.Connection, task_id: str, *, lock: bool = False) -> Task | None:
    """The task with everything its rules need, or None; `lock` holds its row until commit
    (PostgreSQL: two members claiming at once take turns, and the second sees the first's claim)."""
    if not looks_like_id(task_id):
        return None
    query = sa.select(tasks).where(tasks.c.task_id == task_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        return None
    task = task_of(row)
    task.helpers = tuple(Person(r.person_id, r.name) for r in conn.execute(
        sa.select(task_helpers).where(task_helpers.c.task_id == task_id).order_by(task_helpers.c.position)))
    task.parts = {r.body: Part(r.body, r.part, r.result, r.recorded_at, r.recorded_by) for r in conn.execute(
        sa.select(task_parts).where(task_parts.c.task_id == task_id))}
    task.departments = {r.department_id: DepartmentCall(r.department_id, r.name, r.whistled_at, r.report_in_due,
                                                        r.reported_in_at, r.result, r.result_at)
                        for r in conn.execute(sa.select(task_departments)
                                              .where(task_departments.c.task_id == task_id)
                                              .order_by(task_departments.c.whistled_at,
                                                        task_departments.c.department_id))}
    return task


def add(conn: sa.Connection, task: Task) -> bool:
    """Keep a new task; False if one with its id exists (a redelivered event: nothing changes)."""
    if not insert_or_ignore(conn, tasks, **_row(task)):
        return False
    _save_parts(conn, task)
    return True


def save(conn: sa.Connection, task: Task, *, escalated: bool = False) -> None:
    """Write a loaded task back with what its steps changed."""
    values = _row(task)
    del values["task_id"]
    update = tasks.update().where(tasks.c.task_id == task.task_id).values(**values)
    if escalated:
        update = update.values(escalations=tasks.c.escalations + 1)
    conn.execute(update)
    _save_parts(conn, task)


def _save_parts(conn: sa.Connection, task: Task) -> None:
    """Helpers, parts and departments as the task holds them (a handful each: rewritten whole),
    and its new history steps."""
    for table in (task_helpers, task_parts, task_departments):
        conn.execute(table.delete().where(table.c.task_id == task.task_id))
    if task.helpers:
        conn.execute(task_helpers.insert(), [{"task_id": task.task_id, "person_id": p.id, "name": p.name,
                                              "position": i} for i, p in enumerate(task.helpers)])
    if task.parts:
        conn.execute(task_parts.insert(), [{"task_id": task.task_id, "body": p.body, "part": p.part,
                                            "result": p.result, "recorded_at": p.recorded_at,
                                            "recorded_by": p.recorded_by} for p in task.parts.values()])
    if task.departments:
        conn.execute(task_departments.insert(), [
            {"task_id": task.task_id, "department_id": d.department_id, "name": d.name, "whistled_at": d.whistled_at,
             "report_in_due": d.report_in_due, "reported_in_at": d.reported_in_at, "result": d.result,
             "result_at": d.result_at} for d in task.departments.values()])
    if task.steps:
        conn.execute(task_history.insert(), [{"task_id": task.task_id, "at": s.at, "step": s.step, "actor": s.actor,
                                              "note": s.note} for s in task.steps])
        task.steps.clear()


def history(conn: sa.Connection, task_id: str) -> list[Step]:
    rows = conn.execute(sa.select(task_history).where(task_history.c.task_id == task_id).order_by(task_history.c.id))
    return [Step(row.at, row.step, row.actor, row.note) for row in rows]


def callback_applied(conn: sa.Connection, department_id: str, callback_id: str, task_id: str, at: datetime) -> bool:
    """Note a platform callback as applied; False if it was before (then it changes nothing)."""
    return not insert_or_ignore(conn, department_callbacks, department_id=department_id, callback_id=callback_id,
                                task_id=task_id, received_at=at)


def lock_decision_of(conn: sa.Connection, task_id: str) -> None:
    """If the task hands out a decided action, lock every task of its decision, in id order, until
    the transaction ends (PostgreSQL): two of its last actions resolved at once take turns, and
    the second sees the first resolved. One order for all, so they cannot deadlock."""
    if not looks_like_id(task_id):
        return
    decision_id = conn.execute(sa.select(tasks.c.decision_id).where(tasks.c.task_id == task_id)).scalar()
    if decision_id:
        conn.execute(sa.select(tasks.c.task_id).where(tasks.c.decision_id == decision_id)
                     .order_by(tasks.c.task_id).with_for_update()).all()


def others_unresolved(conn: sa.Connection, decision_id: str, task_id: str) -> bool:
    """Does the decision have a task besides this one that is not resolved?"""
    return conn.execute(sa.select(tasks.c.task_id).where(
        tasks.c.decision_id == decision_id, tasks.c.task_id != task_id, tasks.c.state != RESOLVED,
    ).limit(1)).first() is not None


def many(conn: sa.Connection, where: list[sa.ColumnElement[bool]], limit: int) -> list[Task]:
    """Tasks matching `where`, newest first (ids sort by time), without their parts (lists)."""
    rows = conn.execute(sa.select(tasks).where(*where).order_by(tasks.c.task_id.desc()).limit(limit))
    return [task_of(row) for row in rows]
