"""The relay lease gets a generation (fencing token), so a relay that outlived its lease cannot
mark published the rows its successor publishes.

Revision ID: 0005
Revises: 0004
"""
from alembic import op

from servicekit import messaging_schema

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    messaging_schema.upgrade_to_v2(op)


def downgrade() -> None:
    messaging_schema.downgrade_to_v1(op)
