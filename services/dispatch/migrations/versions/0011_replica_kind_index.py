"""The directory replica answers "what of this kind lies below this place" from an index.

Revision ID: 0011
Revises: 0010
"""
from alembic import op

from servicekit import directory_replica

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    directory_replica.upgrade_to_v2(op)


def downgrade() -> None:
    directory_replica.downgrade_to_v1(op)
