"""This service's replica of the directory.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

from servicekit import directory_replica

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    directory_replica.create_v1(op)


def downgrade() -> None:
    op.drop_table("directory_replica")
