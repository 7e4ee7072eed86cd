"""Timers: steps that happen because time passed, and the lease that lets one replica fire them.

Revision ID: 0006
Revises: 0005
"""
from alembic import op

from servicekit import timers

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    timers.create_v1(op)


def downgrade() -> None:
    timers.drop_v1(op)
