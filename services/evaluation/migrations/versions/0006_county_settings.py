"""County settings: the county_settings table (servicekit.settings_store), for the settings
evaluation declares.

Revision ID: 0006
Revises: 0005
"""
from alembic import op

from servicekit import settings_store

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    settings_store.create_v1(op)


def downgrade() -> None:
    settings_store.drop_v1(op)
