"""Accounts and API keys.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

from servicekit.database import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("account_id", sa.String(36), primary_key=True),
        sa.Column("username", sa.String(50), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(30), nullable=False),
        sa.Column("scope_id", sa.String(36), nullable=False),
        sa.Column("entity_id", sa.String(36), nullable=False, server_default=""),
        sa.Column("display_name", sa.String(100), nullable=False, server_default=""),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("scope_id", sa.String(36), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("revoked_at", UtcDateTime, nullable=True),
        sa.Column("last_used_at", UtcDateTime, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("api_keys")
    op.drop_table("accounts")
