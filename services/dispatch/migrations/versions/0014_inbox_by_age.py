"""The inbox is indexed by when each event was applied, so housekeeping prunes old rows in
small batches without reading the whole table.

Revision ID: 0014
Revises: 0013
"""
from alembic import op

from servicekit import messaging_schema

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    messaging_schema.upgrade_to_v3(op)


def downgrade() -> None:
    messaging_schema.downgrade_to_v2(op)
