"""Talk sessions list in the order they were held.

Revision ID: 0013
Revises: 0012
"""
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_talk_sessions_by_day", "talk_sessions", ["neighbourhood_id", "held_on", "seq"])


def downgrade() -> None:
    op.drop_index("ix_talk_sessions_by_day", table_name="talk_sessions")
