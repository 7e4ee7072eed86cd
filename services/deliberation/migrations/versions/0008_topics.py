"""Topics and their cycle: concerns held from the pool, history, the households' votes, the panel,
opinions, and the joint meeting's decision with its actions.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

from servicekit.database import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ID = 36


def upgrade() -> None:
    op.create_table(
        "topics",
        sa.Column("topic_id", sa.String(_ID), primary_key=True),
        sa.Column("neighbourhood_id", sa.String(_ID), nullable=False),
        sa.Column("community_id", sa.String(_ID), nullable=False),
        sa.Column("township_id", sa.String(_ID), nullable=False),
        sa.Column("county_id", sa.String(_ID), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("meeting_on", sa.Date, nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("drafted_at", UtcDateTime, nullable=False),
        sa.Column("published_at", UtcDateTime, nullable=True),
        sa.Column("vote_closes_at", UtcDateTime, nullable=True),
        sa.Column("vote_closed_at", UtcDateTime, nullable=True),
        sa.Column("closed_early", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("yes_votes", sa.Integer, nullable=True),
        sa.Column("no_votes", sa.Integer, nullable=True),
        sa.Column("households", sa.Integer, nullable=True),
        sa.Column("quorum", sa.String(20), nullable=True),
        sa.Column("threshold", sa.String(20), nullable=True),
        sa.Column("rejection_reason", sa.String(20), nullable=False, server_default=""),
        sa.Column("concerns_fate", sa.String(10), nullable=False, server_default=""),
        sa.Column("panel_confirmed_at", UtcDateTime, nullable=True),
        sa.Column("consensus", sa.Text, nullable=False, server_default=""),
        sa.Column("consensus_at", UtcDateTime, nullable=True),
        sa.Column("decided_at", UtcDateTime, nullable=True),
    )
    op.create_index("ix_topics_neighbourhood", "topics", ["neighbourhood_id", "topic_id"])
    op.create_index("ix_topics_neighbourhood_meeting", "topics", ["neighbourhood_id", "meeting_on"])
    op.create_table(
        "topic_concerns",
        sa.Column("topic_id", sa.String(_ID), sa.ForeignKey("topics.topic_id"), primary_key=True),
        sa.Column("concern_id", sa.String(_ID), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_table(
        "topic_history",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("topic_id", sa.String(_ID), sa.ForeignKey("topics.topic_id"), nullable=False),
        sa.Column("step", sa.String(30), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
    )
    op.create_index("ix_topic_history_topic", "topic_history", ["topic_id", "seq"])
    op.create_table(
        "panellists",
        sa.Column("topic_id", sa.String(_ID), sa.ForeignKey("topics.topic_id"), primary_key=True),
        sa.Column("member_id", sa.String(_ID), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("member_kind", sa.String(20), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("confirmed_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_panellists_member", "panellists", ["member_id", "confirmed_at"])
    op.create_table(
        "opinions",
        sa.Column("opinion_id", sa.String(_ID), primary_key=True),
        sa.Column("topic_id", sa.String(_ID), sa.ForeignKey("topics.topic_id"), nullable=False),
        sa.Column("member_id", sa.String(_ID), nullable=False),
        sa.Column("member_name", sa.String(200), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("given_at", UtcDateTime, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_opinions_topic", "opinions", ["topic_id", "given_at"])
    op.create_table(
        "decisions",
        sa.Column("decision_id", sa.String(_ID), primary_key=True),
        sa.Column("topic_id", sa.String(_ID), sa.ForeignKey("topics.topic_id"), nullable=False, unique=True),
        sa.Column("attendees", sa.Text, nullable=False),
        sa.Column("minutes", sa.Text, nullable=False),
        sa.Column("resolution", sa.Text, nullable=False),
        sa.Column("decided_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "decision_actions",
        sa.Column("action_id", sa.String(_ID), primary_key=True),
        sa.Column("decision_id", sa.String(_ID), sa.ForeignKey("decisions.decision_id"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("tier", sa.String(20), nullable=False),
        sa.Column("owner_id", sa.String(_ID), nullable=False),
        sa.Column("owner_name", sa.String(200), nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
    )
    op.create_index("ix_decision_actions_decision", "decision_actions", ["decision_id", "position"])
    op.create_table(
        "votes",
        sa.Column("topic_id", sa.String(_ID), primary_key=True),
        sa.Column("household_id", sa.String(_ID), primary_key=True),
        sa.Column("choice", sa.String(3), nullable=False),
        sa.Column("cast_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_votes_topic_choice", "votes", ["topic_id", "choice"])
    # A concern a topic holds stays in the pool's table with the topic's id (one open topic each).
    with op.batch_alter_table("pool_entries") as batch:
        batch.add_column(sa.Column("topic_id", sa.String(_ID), nullable=True))
        batch.create_index("ix_pool_entries_topic", ["topic_id"])


def downgrade() -> None:
    with op.batch_alter_table("pool_entries") as batch:
        batch.drop_index("ix_pool_entries_topic")
        batch.drop_column("topic_id")
    for table in ("votes", "decision_actions", "decisions", "opinions", "panellists", "topic_history",
                  "topic_concerns", "topics"):
        op.drop_table(table)
