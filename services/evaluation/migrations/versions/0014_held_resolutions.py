"""Resolutions held until evaluation has heard of the concerns they answer (intake's and dispatch's
topics are consumed apart, so a quick resolution can arrive first); and every concern heard is
kept, with "" for one raised without a household, so "not heard yet" can be told apart. And when a
member's commitment was released (its task went up a tier): a rating given before it stays theirs.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

from servicekit.database import UtcDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "held_resolutions",
        sa.Column("task_id", sa.String(36), primary_key=True),
        sa.Column("round", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("resolution", sa.Text, nullable=False),
    )
    op.add_column("review_commitments", sa.Column("released_at", UtcDateTime, nullable=True))


def downgrade() -> None:
    op.drop_column("review_commitments", "released_at")
    op.drop_table("held_resolutions")
