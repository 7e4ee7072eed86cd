"""The annual rating (年度量化评定): the joint meetings' decided actions and the resolutions and rework
of their tasks (kept apart: either may arrive first), a lock row per county's year its calculations
take turns on, and every calculated version of a county's year (residents' satisfaction is read from the three rates' cells).

Written out here, not taken from the code's metadata: this revision builds the tables as they are
today, whatever later revisions make of them.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

from servicekit.database import UtcDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "decided_actions",
        sa.Column("action_id", sa.String(36), primary_key=True),
        sa.Column("decision_id", sa.String(36), nullable=False),
        sa.Column("neighbourhood_id", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
    )
    op.create_index("ix_decided_actions_neighbourhood", "decided_actions", ["neighbourhood_id", "year"])
    op.create_index("ix_decided_actions_year", "decided_actions", ["year"])
    op.create_table(
        "action_resolutions",
        sa.Column("action_id", sa.String(36), primary_key=True),
        sa.Column("resolved_round", sa.Integer, nullable=False, server_default="-1"),
        sa.Column("reopened_round", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "annual_turns",
        sa.Column("county_id", sa.String(64), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
    )
    op.create_table(
        "annual_versions",
        sa.Column("county_id", sa.String(64), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("calculated_at", UtcDateTime, nullable=False),
        sa.Column("calculated_by", sa.String(200), nullable=False),
        sa.Column("weights", sa.Text, nullable=False),
        sa.Column("published_at", UtcDateTime, nullable=True),
        sa.Column("published_by", sa.String(200), nullable=False, server_default=""),
    )
    op.create_table(
        "annual_ratings",
        sa.Column("county_id", sa.String(64), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("neighbourhood_id", sa.String(64), primary_key=True),
        sa.Column("place_path", sa.String(400), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("counts", sa.Text, nullable=False),
        sa.Column("components", sa.Text, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("tier", sa.String(20), nullable=False),
        sa.Column("rank_community", sa.Integer, nullable=False),
        sa.Column("rank_township", sa.Integer, nullable=False),
        sa.Column("rank_county", sa.Integer, nullable=False),
    )
    op.create_index("ix_annual_ratings_place", "annual_ratings", ["county_id", "year", "version", "place_path"],
                    postgresql_ops={"place_path": 'COLLATE "C"'})


def downgrade() -> None:
    op.drop_index("ix_annual_ratings_place", table_name="annual_ratings")
    op.drop_table("annual_ratings")
    op.drop_table("annual_versions")
    op.drop_table("annual_turns")
    op.drop_table("action_resolutions")
    op.drop_index("ix_decided_actions_year", table_name="decided_actions")
    op.drop_index("ix_decided_actions_neighbourhood", table_name="decided_actions")
    op.drop_table("decided_actions")
