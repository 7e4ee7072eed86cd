"""Handling candidates learn their triage: direct ones open, merged ones follow their survivor.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

from servicekit.database import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handling_candidates") as batch:
        batch.add_column(sa.Column("route", sa.String(20), nullable=True))
        batch.add_column(sa.Column("opened_at", UtcDateTime, nullable=True))
        batch.add_column(sa.Column("merged_into", sa.String(36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handling_candidates") as batch:
        for column in ("merged_into", "opened_at", "route"):
            batch.drop_column(column)
