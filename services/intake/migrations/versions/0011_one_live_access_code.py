"""At most one live access code per household.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Two codes issued at the same instant (READ COMMITTED on PostgreSQL) could otherwise both live.
    op.create_index("uq_access_codes_live_household", "access_codes", ["household_id"], unique=True,
                    sqlite_where=sa.text("revoked_at IS NULL"), postgresql_where=sa.text("revoked_at IS NULL"))


def downgrade() -> None:
    op.drop_index("uq_access_codes_live_household", table_name="access_codes")
