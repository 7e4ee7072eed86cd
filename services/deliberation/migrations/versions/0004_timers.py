"""Timers: steps that happen because time passed, and the lease that lets one replica fire them.

Revision ID: 0004
Revises: 0003
"""
from alembic import op

from servicekit import timers

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    timers.create_v1(op)


def downgrade() -> None:
    timers.drop_v1(op)
