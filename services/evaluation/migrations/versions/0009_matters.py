"""Matters (一事一评): every task dispatch resolves, round by round, for the households that raised
it to rate, and which households those are; and which household raised each concern (kept from
intake's events from now on: concerns received before have none, and their matters nobody to ask).

Written out here, not taken from the code's metadata: this revision builds the tables as they are
today, whatever later revisions make of them.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

from servicekit.database import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "matters",
        sa.Column("task_id", sa.String(36), primary_key=True),
        sa.Column("place_path", sa.String(400), nullable=False),
        sa.Column("neighbourhood_id", sa.String(64), nullable=False),
        sa.Column("decision_id", sa.String(36), nullable=False, server_default=""),
        sa.Column("action_id", sa.String(36), nullable=False, server_default=""),
        sa.Column("concern_ids", sa.Text, nullable=False),
        sa.Column("household_ids", sa.Text, nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("resolved_at", UtcDateTime, nullable=False),
        sa.Column("rating_due", UtcDateTime, nullable=False),
        sa.Column("rating", sa.String(30), nullable=False, server_default=""),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.Column("rated_at", UtcDateTime, nullable=True),
        sa.Column("in_person", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("recorded_by", sa.String(200), nullable=False, server_default=""),
        sa.Column("supervisor_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("supervisor_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("reminded_at", UtcDateTime, nullable=True),
        sa.Column("closed_at", UtcDateTime, nullable=True),
        sa.Column("handler_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("moves_concerns", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("rated_household", sa.String(64), nullable=False, server_default=""),
    )
    op.create_index("ix_matters_place_path", "matters", ["place_path"],
                    postgresql_ops={"place_path": 'COLLATE "C"'})
    op.create_table(
        "concern_households",
        sa.Column("concern_id", sa.String(36), primary_key=True),
        sa.Column("household_id", sa.String(64), nullable=False),
        sa.Column("merged_into", sa.String(36), nullable=True),
    )
    op.create_index(op.f("ix_concern_households_merged_into"), "concern_households", ["merged_into"])
    op.create_table(
        "matter_households",
        sa.Column("household_id", sa.String(64), primary_key=True),
        sa.Column("task_id", sa.String(36), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("matter_households")
    op.drop_index(op.f("ix_concern_households_merged_into"), table_name="concern_households")
    op.drop_table("concern_households")
    op.drop_index("ix_matters_place_path", table_name="matters")
    op.drop_table("matters")
