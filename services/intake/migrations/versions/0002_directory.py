"""The directory of places, people and bodies.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

from servicekit.database import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directory_entities",
        sa.Column("entity_id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("parent_id", sa.String(36), nullable=True, index=True),
        sa.Column("scope_path", sa.String(400), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("attributes", sa.Text, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("kind", "external_id", name="uq_directory_entities_kind_external_id"),
    )


def downgrade() -> None:
    op.drop_table("directory_entities")
