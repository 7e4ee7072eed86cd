"""The rates' tables: the facts kept of each task (what the rebuild reads) and the monthly cells
(what queries read), and the statements that keep the cells by adding each change to them."""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa

from servicekit.database import UtcDateTime, insert_or_ignore
from services.evaluation.rates.domain import CellKey, Department, Tally, TaskFacts

metadata = sa.MetaData()

# -- facts ---------------------------------------------------------------------------------------

rate_tasks = sa.Table(
    "rate_tasks",
    metadata,
    sa.Column("task_id", sa.String(36), primary_key=True),
    sa.Column("county_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("township_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("community_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("neighbourhood_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("opened_at", UtcDateTime, nullable=True),
    sa.Column("deadline", UtcDateTime, nullable=True),
    sa.Column("acted_at", UtcDateTime, nullable=True),
    sa.Column("assigned_at", UtcDateTime, nullable=True),
    sa.Column("reassigned_at", UtcDateTime, nullable=True),
    sa.Column("handler_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("handler_at", UtcDateTime, nullable=True),
    sa.Column("escalated_at", UtcDateTime, nullable=True),
    sa.Column("resolved_round", sa.Integer, nullable=False, server_default="-1"),
    sa.Column("resolved_at", UtcDateTime, nullable=True),
    sa.Column("reopened_round", sa.Integer, nullable=False, server_default="0"),
)

# Each round's rating (or closure unrated) of a task's matter; round from 1.
rate_ratings = sa.Table(
    "rate_ratings",
    metadata,
    sa.Column("task_id", sa.String(36), primary_key=True),
    sa.Column("round", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("outcome", sa.String(20), nullable=False),
)

rate_departments = sa.Table(
    "rate_departments",
    metadata,
    sa.Column("task_id", sa.String(36), primary_key=True),
    sa.Column("department_id", sa.String(64), primary_key=True),
    sa.Column("report_in_due", UtcDateTime, nullable=True),
    sa.Column("reported_at", UtcDateTime, nullable=True),
)

# -- cells: one subject's tasks opened in one month ------------------------------------------------

_COUNT_COLUMNS = Tally.COUNTS

rate_cells = sa.Table(
    "rate_cells",
    metadata,
    sa.Column("kind", sa.String(12), primary_key=True),  # place, member, department
    sa.Column("subject_id", sa.String(64), primary_key=True),
    sa.Column("month", sa.Integer, primary_key=True, autoincrement=False),  # YYYYMM, county time
    *(sa.Column(name, sa.Integer, nullable=False, server_default="0") for name in _COUNT_COLUMNS),
    # The resolved tasks by whole hours to resolve, {"hours": tasks} as JSON: the histogram the
    # medians are read from, in the row (a county's year reads 12 of them; a row per hour would
    # be millions to write in a rebuild).
    sa.Column("hours", sa.Text, nullable=False, server_default="{}"),
    # Every place's cells of a year at once (the annual rating's satisfaction), found by index.
    sa.Index("ix_rate_cells_kind_month", "kind", "month"),
)

_PLACE = ("county_id", "township_id", "community_id", "neighbourhood_id")
_TIMES = ("opened_at", "deadline", "acted_at", "assigned_at", "reassigned_at", "handler_at", "escalated_at",
          "resolved_at")


# -- facts in and out ------------------------------------------------------------------------------

def load(conn: sa.Connection, task_id: str) -> TaskFacts:
    """A task's facts, its row locked for this transaction (created empty if it is new): two
    replicas applying facts of one task take turns."""
    insert_or_ignore(conn, rate_tasks, task_id=task_id)
    row = conn.execute(sa.select(rate_tasks).where(rate_tasks.c.task_id == task_id).with_for_update()).one()
    ratings = dict(conn.execute(sa.select(rate_ratings.c.round, rate_ratings.c.outcome)
                                .where(rate_ratings.c.task_id == task_id)).all())
    departments = {r.department_id: Department(r.report_in_due, r.reported_at) for r in conn.execute(
        sa.select(rate_departments).where(rate_departments.c.task_id == task_id))}
    return _facts(row, ratings, departments)


def _facts(row: Any, ratings: dict[int, str], departments: dict[str, Department]) -> TaskFacts:
    place = tuple(getattr(row, name) for name in _PLACE)
    return TaskFacts(task_id=row.task_id, place=place if all(place) else (), handler_id=row.handler_id,
                     **{name: getattr(row, name) for name in _TIMES}, resolved_round=row.resolved_round,
                     reopened_round=row.reopened_round, ratings=ratings, departments=departments)


def save(conn: sa.Connection, before: TaskFacts, after: TaskFacts) -> None:
    place = dict(zip(_PLACE, after.place or ("",) * 4, strict=True))
    conn.execute(rate_tasks.update().where(rate_tasks.c.task_id == after.task_id).values(
        **place, **{name: getattr(after, name) for name in _TIMES}, handler_id=after.handler_id,
        resolved_round=after.resolved_round, reopened_round=after.reopened_round))
    for round_, outcome in after.ratings.items():
        if round_ not in before.ratings:
            conn.execute(rate_ratings.insert().values(task_id=after.task_id, round=round_, outcome=outcome))
    for department_id, department in after.departments.items():
        if department_id not in before.departments:
            conn.execute(rate_departments.insert().values(task_id=after.task_id, department_id=department_id))
        if before.departments.get(department_id) != department:
            conn.execute(rate_departments.update().where(
                rate_departments.c.task_id == after.task_id, rate_departments.c.department_id == department_id,
            ).values(report_in_due=department.report_in_due, reported_at=department.reported_at))


def every_task(conn: sa.Connection, batch: int = 20_000) -> Iterator[TaskFacts]:
    """Every task's facts in task id order, a batch of tasks (and their ratings and departments)
    at a time by key range: one cursor open at a time on the connection, on either database."""
    after = ""
    while True:
        rows = conn.execute(sa.select(rate_tasks).where(rate_tasks.c.task_id > after)
                            .order_by(rate_tasks.c.task_id).limit(batch)).all()
        if not rows:
            return
        first, last = rows[0].task_id, rows[-1].task_id
        ratings: dict[str, dict[int, str]] = {}
        for task_id, round_, outcome in conn.execute(sa.select(
                rate_ratings.c.task_id, rate_ratings.c.round, rate_ratings.c.outcome)
                .where(rate_ratings.c.task_id.between(first, last))):
            ratings.setdefault(task_id, {})[round_] = outcome
        departments: dict[str, dict[str, Department]] = {}
        for row in conn.execute(sa.select(rate_departments).where(rate_departments.c.task_id.between(first, last))):
            departments.setdefault(row.task_id, {})[row.department_id] = Department(row.report_in_due, row.reported_at)
        for row in rows:
            yield _facts(row, ratings.get(row.task_id, {}), departments.get(row.task_id, {}))
        after = last


def hold_facts(conn: sa.Connection) -> None:
    """Keep facts from changing until this transaction ends (the rebuild reads them all): on
    PostgreSQL a share lock (consumers wait to write); SQLite has one writer at a time anyway."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE rate_tasks, rate_ratings, rate_departments IN SHARE MODE")


# -- cells ---------------------------------------------------------------------------------------

def add_to_cells(conn: sa.Connection, deltas: dict[CellKey, Tally]) -> None:
    """Add each cell's change, in key order (two replicas adding to the county's cells lock them
    in the same order); a histogram is merged under the row's lock."""
    for (kind, subject_id, month), delta in sorted(deltas.items()):
        where = (rate_cells.c.kind == kind, rate_cells.c.subject_id == subject_id, rate_cells.c.month == month)
        insert_or_ignore(conn, rate_cells, kind=kind, subject_id=subject_id, month=month)
        values: dict[str, Any] = {name: rate_cells.c[name] + getattr(delta, name) for name in _COUNT_COLUMNS}
        if any(delta.hours.values()):
            current = conn.execute(sa.select(rate_cells.c.hours).where(*where).with_for_update()).scalar_one()
            merged = _histogram(current)
            for hours, tasks in delta.hours.items():
                merged[hours] = merged.get(hours, 0) + tasks
            values["hours"] = _histogram_text(merged)
        conn.execute(rate_cells.update().where(*where).values(**values))


def _histogram(text: str) -> dict[int, int]:
    return {int(hours): tasks for hours, tasks in json.loads(text).items()}


def _histogram_text(histogram: dict[int, int]) -> str:
    return json.dumps({str(hours): tasks for hours, tasks in sorted(histogram.items()) if tasks},
                      separators=(",", ":"))


def clear_cells(conn: sa.Connection) -> None:
    conn.execute(rate_cells.delete())


def insert_cells(conn: sa.Connection, cells: dict[CellKey, Tally], batch: int = 20_000) -> None:
    """Cells written in bulk (the rebuild's, after clear_cells)."""
    for chunk in _chunks(({"kind": k, "subject_id": s, "month": m, **t.counts(), "hours": _histogram_text(t.hours)}
                          for (k, s, m), t in cells.items() if not t.is_empty()), batch):
        conn.execute(rate_cells.insert(), chunk)


def _chunks(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def read_cells(conn: sa.Connection, kind: str, subject_id: str, first: int, last: int) -> Tally:
    """The sum of a subject's cells over months first..last: a dozen rows for a year."""
    tally = Tally()
    for row in conn.execute(sa.select(rate_cells).where(
            rate_cells.c.kind == kind, rate_cells.c.subject_id == subject_id, rate_cells.c.month.between(first, last))):
        tally.add(_tally(row))
    tally.hours = +tally.hours  # only the hours some task took
    return tally


def _tally(row: Any) -> Tally:
    return Tally(**{name: getattr(row, name) for name in _COUNT_COLUMNS}, hours=Counter(_histogram(row.hours)))


def all_cells(conn: sa.Connection) -> dict[CellKey, Tally]:
    """Every non-empty cell (what a test compares a rebuild with)."""
    cells = {(row.kind, row.subject_id, row.month): _tally(row) for row in conn.execute(sa.select(rate_cells))}
    return {key: tally for key, tally in cells.items() if not tally.is_empty()}
