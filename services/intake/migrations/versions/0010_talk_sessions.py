"""Sit-down talk sessions and their opinion logs.

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
        "talk_sessions",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.String(36), nullable=False, unique=True),
        sa.Column("neighbourhood_id", sa.String(36), nullable=False, index=True),
        sa.Column("venue_id", sa.String(36), nullable=False),
        sa.Column("held_on", sa.Date, nullable=False),
        sa.Column("host_ids", sa.Text, nullable=False),
        sa.Column("attendance", sa.Integer, nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("recorded_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "opinion_log_entries",
        sa.Column("session_id", sa.String(36), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("category", sa.String(50), nullable=False, server_default=""),
        sa.Column("household_id", sa.String(36), nullable=False, server_default=""),
        sa.Column("concern_id", sa.String(36), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("opinion_log_entries")
    op.drop_table("talk_sessions")
