"""Online messages already turned into concerns, by source message id.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

from servicekit.database import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "online_messages",
        sa.Column("caller", sa.String(100), primary_key=True),
        sa.Column("source", sa.String(100), primary_key=True),
        sa.Column("source_message_id", sa.String(100), primary_key=True),
        sa.Column("concern_id", sa.String(36), nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("online_messages")
