"""Handling candidates and the messaging tables.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

from servicekit import messaging_schema
from servicekit.database import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handling_candidates",
        sa.Column("concern_id", sa.String(36), primary_key=True),
        sa.Column("neighbourhood_id", sa.String(64), nullable=False, index=True),
        sa.Column("household_id", sa.String(64), nullable=False),
        sa.Column("category", sa.String(50), nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=False),
    )
    messaging_schema.create_v1(op)


def downgrade() -> None:
    messaging_schema.drop_v1(op)
    op.drop_table("handling_candidates")
