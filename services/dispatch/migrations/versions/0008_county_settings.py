"""County settings: the county_settings table (servicekit.settings_store), for the settings
dispatch declares.

Revision ID: 0008
Revises: 0007
"""
from alembic import op

from servicekit import settings_store

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    settings_store.create_v1(op)


def downgrade() -> None:
    settings_store.drop_v1(op)
