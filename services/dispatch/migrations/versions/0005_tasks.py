"""Handling candidates become tasks (the glossary's word), and keep the building and urgency that
tiers and deadlines will be chosen by.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.rename_table("handling_candidates", "tasks")
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("building_id", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("urgency", sa.String(10), nullable=False, server_default="normal"))
    op.drop_index("ix_handling_candidates_neighbourhood_id", table_name="tasks")
    op.create_index("ix_tasks_neighbourhood_id", "tasks", ["neighbourhood_id"])


def downgrade() -> None:
    op.drop_index("ix_tasks_neighbourhood_id", table_name="tasks")
    op.create_index("ix_handling_candidates_neighbourhood_id", "tasks", ["neighbourhood_id"])
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("urgency")
        batch.drop_column("building_id")
    op.rename_table("tasks", "handling_candidates")
