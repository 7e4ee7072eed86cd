"""Handling candidates become tasks (the glossary's word), and keep the building and urgency that
tiers and deadlines will be chosen by.

Existing tasks get their household's building from the directory replica. Their urgency was never
kept, so they read as normal: a task urgent before the upgrade is not urgent after it.

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
    _rename_primary_key("tasks", "handling_candidates_pkey", "tasks_pkey")
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("building_id", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("urgency", sa.String(10), nullable=False, server_default="normal"))
    op.execute("""
        UPDATE tasks SET building_id = (
            SELECT household.parent_id FROM directory_replica household
            WHERE household.entity_id = tasks.household_id AND household.kind = 'household'
              AND household.parent_id IS NOT NULL)
        WHERE household_id <> '' AND EXISTS (
            SELECT 1 FROM directory_replica household
            WHERE household.entity_id = tasks.household_id AND household.kind = 'household'
              AND household.parent_id IS NOT NULL)
    """)
    op.drop_index("ix_handling_candidates_neighbourhood_id", table_name="tasks")
    op.create_index("ix_tasks_neighbourhood_id", "tasks", ["neighbourhood_id"])


def downgrade() -> None:
    op.drop_index("ix_tasks_neighbourhood_id", table_name="tasks")
    op.create_index("ix_handling_candidates_neighbourhood_id", "tasks", ["neighbourhood_id"])
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("urgency")
        batch.drop_column("building_id")
    op.rename_table("tasks", "handling_candidates")
    _rename_primary_key("handling_candidates", "tasks_pkey", "handling_candidates_pkey")


def _rename_primary_key(table: str, old: str, new: str) -> None:
    # PostgreSQL keeps a renamed table's key under its old name; a new database names it after the
    # table, and later migrations must find it by one name. SQLite's keys have no name.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {old} TO {new}")
