"""The audit log.

Revision ID: 0003
Revises: 0002
"""
from alembic import op

from servicekit import audit

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    audit.create_v1(op)


def downgrade() -> None:
    op.drop_table("audit_log")
