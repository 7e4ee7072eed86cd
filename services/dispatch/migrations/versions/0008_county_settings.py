"""County settings: the county_settings table (servicekit.settings_schema), for the settings
dispatch declares.

Revision ID: 0008
Revises: 0007
"""
from alembic import op

from servicekit import settings_schema

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    settings_schema.create_v1(op)


def downgrade() -> None:
    settings_schema.drop_v1(op)
