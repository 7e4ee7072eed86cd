"""County settings keep each place and qualifier's last version beside the values, so a value set
after a clear goes on from the clear's version, and two changes at once take turns on its row.

Revision ID: 0007
Revises: 0006
"""
from alembic import op

from servicekit import settings_schema

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    settings_schema.upgrade_to_v2(op)


def downgrade() -> None:
    settings_schema.downgrade_to_v1(op)
