"""Decided actions: every action of a joint meeting's decision (决议) that dispatch receives, in the
plan's order, to hand out as tasks.

Written out here, not taken from storage.py's metadata: this revision builds the table as it is
today, whatever later revisions make of it.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

from servicekit.database import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "decided_actions",
        sa.Column("action_id", sa.String(36), primary_key=True),
        sa.Column("decision_id", sa.String(36), nullable=False),
        sa.Column("topic_id", sa.String(36), nullable=False),
        sa.Column("neighbourhood_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("tier", sa.String(20), nullable=False),
        sa.Column("owner_id", sa.String(64), nullable=False),
        sa.Column("owner_name", sa.String(200), nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.Column("concern_ids", sa.Text, nullable=False, server_default="[]"),
    )
    op.create_index("ix_decided_actions_decision", "decided_actions", ["decision_id", "position"])


def downgrade() -> None:
    op.drop_index("ix_decided_actions_decision", table_name="decided_actions")
    op.drop_table("decided_actions")
