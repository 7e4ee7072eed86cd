"""Intake figures per neighbourhood and the messaging tables.

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
        "intake_figures",
        sa.Column("neighbourhood_id", sa.String(64), primary_key=True),
        sa.Column("concerns_received", sa.BigInteger, nullable=False),
        sa.Column("first_received_at", UtcDateTime, nullable=True),
        sa.Column("last_received_at", UtcDateTime, nullable=True),
    )
    messaging_schema.create_v1(op)


def downgrade() -> None:
    messaging_schema.drop_v1(op)
    op.drop_table("intake_figures")
