"""Platform deliveries: escalation events queued for the county government platform in the same
transaction as the task change, and every attempt to deliver them; and the lease that lets one
replica at a time deliver.

Written out here, not taken from services/dispatch/platform/storage.py: this revision builds the
tables as they are today, whatever later revisions make of them.

Revision ID: 0013
Revises: 0012 (0012 once the task tables' revision is merged before it)
"""
import sqlalchemy as sa
from alembic import op

from servicekit.database import UtcDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "platform_deliveries",
        sa.Column("delivery_id", sa.String(36), primary_key=True),
        sa.Column("task_id", sa.String(36), nullable=False),
        sa.Column("neighbourhood_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("next_attempt_at", UtcDateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("delivered_at", UtcDateTime, nullable=True),
        sa.Column("last_status", sa.Integer, nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
    )
    op.create_index("ix_platform_deliveries_task", "platform_deliveries", ["task_id", "created_at", "delivery_id"])
    pending = sa.text("delivered_at IS NULL")
    op.create_index("ix_platform_deliveries_pending", "platform_deliveries", ["next_attempt_at"],
                    sqlite_where=pending, postgresql_where=pending)
    op.create_table(
        "platform_attempts",
        sa.Column("delivery_id", sa.String(36), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("error", sa.String(500), nullable=True),
        sa.Column("duration_ms", sa.Integer, nullable=True),
    )
    # Only the name: the lease table may gain columns (with defaults) after this revision.
    op.execute("INSERT INTO relay_lease (name) VALUES ('platform')")


def downgrade() -> None:
    op.execute("DELETE FROM relay_lease WHERE name = 'platform'")
    op.drop_table("platform_attempts")
    op.drop_index("ix_platform_deliveries_pending", table_name="platform_deliveries")
    op.drop_index("ix_platform_deliveries_task", table_name="platform_deliveries")
    op.drop_table("platform_deliveries")
