"""Each decided action's progress, as dispatch and evaluation report it (议定事项落实).

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

from servicekit.database import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "action_progress",
        sa.Column("action_id", sa.String(36), primary_key=True),
        sa.Column("decision_id", sa.String(36), nullable=False),
        sa.Column("resolved_at", UtcDateTime, nullable=True),
        sa.Column("on_time", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("rework_rounds", sa.Integer, nullable=False, server_default="0"),
        sa.Column("resolution_reported_at", UtcDateTime, nullable=True),
        sa.Column("rating", sa.String(20), nullable=False, server_default=""),
        sa.Column("rated_at", UtcDateTime, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("action_progress")
