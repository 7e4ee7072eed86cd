"""Handling (办事): what was one table of concerns, each opening once, becomes `concerns` (what
dispatch hears of each) and `tasks` (the work: tier, handler, deadline, state), with a task's
helpers, bodies' parts, whistled departments, applied callbacks and history, and members'
commitment ledger.

A concern opened for handling before this revision becomes an individual task in the
neighbourhood's pool, due seven days after it opened (the general deadline), with its reminder and
overdue timers: it had no handler. One whose neighbourhood the directory replica lacks gets no task
(there is no place to scope it by); GetTask shows it as a concern routed direct.

Written out here, not taken from the code's metadata: this revision builds the tables as they are
today, whatever later revisions make of them.

Revision ID: 0012
Revises: 0011
"""
import json
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

from servicekit.database import UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_BYTEWISE = {"place_path": 'COLLATE "C"'}
_GENERAL = timedelta(days=7)


def upgrade() -> None:
    op.rename_table("tasks", "concerns")
    _rename_primary_key("concerns", "tasks_pkey", "concerns_pkey")
    op.drop_index("ix_tasks_neighbourhood_id", table_name="concerns")
    op.create_index("ix_concerns_neighbourhood_id", "concerns", ["neighbourhood_id"])
    op.create_table(
        "tasks",
        sa.Column("task_id", sa.String(36), primary_key=True),
        sa.Column("place_path", sa.String(400), nullable=False),
        sa.Column("neighbourhood_id", sa.String(64), nullable=False),
        sa.Column("concern_ids", sa.Text, nullable=False),
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
        sa.Column("period_s", sa.Integer, nullable=False),
        sa.Column("reminded_at", UtcDateTime, nullable=True),
        sa.Column("overdue_at", UtcDateTime, nullable=True),
        sa.Column("resolved_at", UtcDateTime, nullable=True),
        sa.Column("result", sa.Text, nullable=False, server_default=""),
        sa.Column("on_time", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("rework_round", sa.Integer, nullable=False, server_default="0"),
        sa.Column("supervisor_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("supervisor_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("whistled_at", UtcDateTime, nullable=True),
        sa.Column("escalations", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_tasks_neighbourhood_state", "tasks", ["neighbourhood_id", "state", "tier"])
    op.create_index("ix_tasks_handler", "tasks", ["handler_id"])
    op.create_index("ix_tasks_place_path", "tasks", ["place_path"], postgresql_ops=_BYTEWISE)
    op.create_table(
        "task_helpers",
        sa.Column("task_id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_index("ix_task_helpers_person", "task_helpers", ["person_id"])
    op.create_table(
        "task_parts",
        sa.Column("task_id", sa.String(36), primary_key=True),
        sa.Column("body", sa.String(40), primary_key=True),
        sa.Column("part", sa.Text, nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("recorded_at", UtcDateTime, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "task_departments",
        sa.Column("task_id", sa.String(36), primary_key=True),
        sa.Column("department_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("whistled_at", UtcDateTime, nullable=False),
        sa.Column("report_in_due", UtcDateTime, nullable=False),
        sa.Column("reported_in_at", UtcDateTime, nullable=True),
        sa.Column("result", sa.Text, nullable=False, server_default=""),
        sa.Column("result_at", UtcDateTime, nullable=True),
    )
    op.create_index("ix_task_departments_department", "task_departments", ["department_id", "whistled_at"])
    op.create_table(
        "department_callbacks",
        sa.Column("department_id", sa.String(64), primary_key=True),
        sa.Column("callback_id", sa.String(100), primary_key=True),
        sa.Column("task_id", sa.String(36), nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "task_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("task_id", sa.String(36), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("step", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_index("ix_task_history_task", "task_history", ["task_id", "id"])
    op.create_table(
        "commitments",
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
    )
    op.create_index("ix_commitments_member", "commitments", ["member_id", "committed_at"])
    op.create_index("ix_commitments_task", "commitments", ["task_id", "state"])
    _open_tasks_of_opened_concerns()


def _open_tasks_of_opened_concerns() -> None:
    """Each concern opened before becomes a pool task (see the docstring); the directory replica
    says where its neighbourhood is."""
    conn = op.get_bind()
    concerns = sa.table("concerns", *(sa.column(name) for name in (
        "concern_id", "neighbourhood_id", "household_id", "category", "building_id", "urgency")),
        sa.column("opened_at", UtcDateTime))
    replica = sa.table("directory_replica", sa.column("entity_id"), sa.column("scope_path"))
    tasks = sa.table("tasks", *(sa.column(name) for name in (
        "task_id", "place_path", "neighbourhood_id", "concern_ids", "category", "urgency", "building_id",
        "household_id", "tier", "state", "period_s")), sa.column("opened_at", UtcDateTime),
        sa.column("deadline", UtcDateTime))
    opened = conn.execute(sa.select(concerns, replica.c.scope_path)
                          .join(replica, replica.c.entity_id == concerns.c.neighbourhood_id)
                          .where(concerns.c.opened_at.is_not(None))).all()
    rows = [{"task_id": row.concern_id, "place_path": row.scope_path, "neighbourhood_id": row.neighbourhood_id,
             "concern_ids": json.dumps([row.concern_id]), "category": row.category, "urgency": row.urgency,
             "building_id": row.building_id, "household_id": row.household_id, "tier": "individual",
             "state": "open", "opened_at": row.opened_at, "deadline": row.opened_at + _GENERAL,
             "period_s": int(_GENERAL.total_seconds())} for row in opened]
    if rows:
        conn.execute(tasks.insert(), rows)
        # And their timers, as a task opened now gets them: the reminder a day before the
        # deadline, the overdue mark at it (dispatch.tasks.handlers' kinds).
        timers = sa.table("timers", sa.column("kind"), sa.column("subject_id"), sa.column("payload"),
                          sa.column("attempts"), sa.column("due_at", UtcDateTime),
                          sa.column("next_attempt_at", UtcDateTime))
        conn.execute(timers.insert(), [
            {"kind": kind, "subject_id": row["task_id"], "payload": "{}", "attempts": 0, "due_at": due,
             "next_attempt_at": due}
            for row in rows
            for kind, due in (("dispatch.task_reminder", row["deadline"] - timedelta(days=1)),
                              ("dispatch.task_overdue", row["deadline"]))])


def downgrade() -> None:
    op.execute("DELETE FROM timers WHERE kind IN ('dispatch.task_reminder', 'dispatch.task_overdue', "
               "'dispatch.report_in_due')")
    for table in ("commitments", "task_history", "department_callbacks", "task_departments", "task_parts",
                  "task_helpers", "tasks"):
        op.drop_table(table)
    op.drop_index("ix_concerns_neighbourhood_id", table_name="concerns")
    op.create_index("ix_tasks_neighbourhood_id", "concerns", ["neighbourhood_id"])
    op.rename_table("concerns", "tasks")
    _rename_primary_key("tasks", "concerns_pkey", "tasks_pkey")


def _rename_primary_key(table: str, old: str, new: str) -> None:
    # PostgreSQL keeps a renamed table's key under its old name; a new database names it after the
    # table (see 0005).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {old} TO {new}")
