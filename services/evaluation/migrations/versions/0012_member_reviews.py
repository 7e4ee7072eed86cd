"""The quarterly member review (季度综合评价): each member's commitments as dispatch's ledger keeps them
(from its events), and their door visits and panels, by quarter.

Written out here, not taken from the code's metadata: this revision builds the tables as they are
today, whatever later revisions make of them.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

from servicekit.database import UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_commitments",
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
        sa.Column("rework_rounds", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_review_commitments_member", "review_commitments", ["member_id", "quarter"])
    op.create_index("ix_review_commitments_task", "review_commitments", ["task_id", "committed_at"])
    op.create_index("ix_review_commitments_neighbourhood", "review_commitments", ["neighbourhood_id", "quarter"])
    op.create_index("ix_review_commitments_quarter", "review_commitments", ["quarter", "neighbourhood_id"])
    op.create_table(
        "member_activities",
        sa.Column("kind", sa.String(10), primary_key=True),
        sa.Column("subject_id", sa.String(64), primary_key=True),
        sa.Column("member_id", sa.String(64), primary_key=True),
        sa.Column("neighbourhood_id", sa.String(64), nullable=False),
        sa.Column("quarter", sa.String(7), nullable=False),
        sa.Column("occurred_on", sa.Date, nullable=False),
        sa.Column("household_id", sa.String(64), nullable=False, server_default=""),
    )
    op.create_index("ix_member_activities_member", "member_activities", ["member_id", "quarter"])
    op.create_index("ix_member_activities_neighbourhood", "member_activities", ["neighbourhood_id", "quarter"])
    op.create_index("ix_member_activities_quarter", "member_activities", ["quarter", "neighbourhood_id"])


def downgrade() -> None:
    op.drop_index("ix_member_activities_quarter", table_name="member_activities")
    op.drop_index("ix_member_activities_neighbourhood", table_name="member_activities")
    op.drop_index("ix_member_activities_member", table_name="member_activities")
    op.drop_table("member_activities")
    op.drop_index("ix_review_commitments_quarter", table_name="review_commitments")
    op.drop_index("ix_review_commitments_neighbourhood", table_name="review_commitments")
    op.drop_index("ix_review_commitments_task", table_name="review_commitments")
    op.drop_index("ix_review_commitments_member", table_name="review_commitments")
    op.drop_table("review_commitments")
