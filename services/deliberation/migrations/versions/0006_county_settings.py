"""County settings: the county_settings table (servicekit.settings_schema), for the settings
deliberation declares.

Revision ID: 0006
Revises: 0005
"""
from alembic import op

from servicekit import settings_schema

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    settings_schema.create_v1(op)


def downgrade() -> None:
    settings_schema.drop_v1(op)
