"""A concern may name its building (a hallway, a roof) without naming a household.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("concerns") as batch:
        batch.add_column(sa.Column("building_id", sa.String(64), nullable=False, server_default=""))
    # Concerns of a household are in its building.
    op.execute("UPDATE concerns SET building_id = (SELECT parent_id FROM directory_entities "
               "WHERE directory_entities.entity_id = concerns.household_id) WHERE household_id != ''")
    op.execute("UPDATE concerns SET building_id = '' WHERE building_id IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("concerns") as batch:
        batch.drop_column("building_id")
