"""The three rates: the facts kept of each task (its opening, the steps acting on it, its
resolutions and rework, its ratings, its departments) and the monthly cells kept from them per
place, member and department, each with its time-to-resolve histogram.

Written out here, not taken from the code's metadata: this revision builds the tables as they are
today, whatever later revisions make of them.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

from servicekit.database import UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_COUNTS = ("tasks", "responded", "resolved", "satisfied", "basically_satisfied", "unsatisfied", "unrated")


def upgrade() -> None:
    op.create_table(
        "rate_tasks",
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
    op.create_table(
        "rate_ratings",
        sa.Column("task_id", sa.String(36), primary_key=True),
        sa.Column("round", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("outcome", sa.String(20), nullable=False),
    )
    op.create_table(
        "rate_departments",
        sa.Column("task_id", sa.String(36), primary_key=True),
        sa.Column("department_id", sa.String(64), primary_key=True),
        sa.Column("report_in_due", UtcDateTime, nullable=True),
        sa.Column("reported_at", UtcDateTime, nullable=True),
    )
    op.create_table(
        "rate_cells",
        sa.Column("kind", sa.String(12), primary_key=True),
        sa.Column("subject_id", sa.String(64), primary_key=True),
        sa.Column("month", sa.Integer, primary_key=True, autoincrement=False),
        *(sa.Column(name, sa.Integer, nullable=False, server_default="0") for name in _COUNTS),
        sa.Column("hours", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_index("ix_rate_cells_kind_month", "rate_cells", ["kind", "month"])


def downgrade() -> None:
    op.drop_index("ix_rate_cells_kind_month", table_name="rate_cells")
    for table in ("rate_cells", "rate_departments", "rate_ratings", "rate_tasks"):
        op.drop_table(table)
