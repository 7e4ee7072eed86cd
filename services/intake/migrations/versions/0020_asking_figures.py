"""Asking's figures read a place's households and neighbourhoods by kind and path, and each
neighbourhood's concerns by day, from indexes.

Revision ID: 0020
Revises: 0019
"""
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_directory_entities_kind_path", "directory_entities", ["kind", "scope_path"],
                    postgresql_ops={"scope_path": 'COLLATE "C"'})
    op.create_index("ix_concerns_by_day", "concerns", ["neighbourhood_id", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_concerns_by_day", table_name="concerns")
    op.drop_index("ix_directory_entities_kind_path", table_name="directory_entities")
