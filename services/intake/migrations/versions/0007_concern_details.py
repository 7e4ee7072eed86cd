"""Concern urgency, location, photos and anonymity.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("concerns") as batch:
        batch.add_column(sa.Column("urgency", sa.String(10), nullable=False, server_default="normal"))
        batch.add_column(sa.Column("address", sa.String(200), nullable=True))
        batch.add_column(sa.Column("latitude", sa.Float, nullable=True))
        batch.add_column(sa.Column("longitude", sa.Float, nullable=True))
        batch.add_column(sa.Column("photo_urls", sa.Text, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("anonymous", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("concerns") as batch:
        for column in ("anonymous", "photo_urls", "longitude", "latitude", "address", "urgency"):
            batch.drop_column(column)
