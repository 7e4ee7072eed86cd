"""Door visits and the concerns they raised.

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
        "visits",
        sa.Column("visit_id", sa.String(36), primary_key=True),
        sa.Column("household_id", sa.String(36), nullable=False),
        sa.Column("building_id", sa.String(36), nullable=False),
        sa.Column("neighbourhood_id", sa.String(36), nullable=False),
        sa.Column("member_id", sa.String(36), nullable=False),
        sa.Column("party_group_id", sa.String(36), nullable=False, server_default=""),
        sa.Column("visited_on", sa.Date, nullable=False),
        sa.Column("notes", sa.Text, nullable=False, server_default=""),
        sa.Column("concerns_raised", sa.Integer, nullable=False, server_default="0"),
        sa.Column("recorded_at", UtcDateTime, nullable=False),
        sa.Index("ix_visits_neighbourhood_day", "neighbourhood_id", "visited_on"),
    )
    op.create_table(
        "visit_concerns",
        sa.Column("visit_id", sa.String(36), primary_key=True),
        sa.Column("concern_id", sa.String(36), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("visit_concerns")
    op.drop_table("visits")
