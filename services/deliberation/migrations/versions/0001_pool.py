"""The neighbourhood pool and the messaging tables.

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
        "pool_entries",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("concern_id", sa.String(36), nullable=False, unique=True),
        sa.Column("neighbourhood_id", sa.String(64), nullable=False),
        sa.Column("category", sa.String(50), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.Column("pooled_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_pool_entries_neighbourhood_seq", "pool_entries", ["neighbourhood_id", "seq"])
    messaging_schema.create_v1(op)


def downgrade() -> None:
    messaging_schema.drop_v1(op)
    op.drop_table("pool_entries")
