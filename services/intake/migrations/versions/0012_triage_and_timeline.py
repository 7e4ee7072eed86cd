"""Triage, merging, concern timelines and the routing table.

Revision ID: 0012
Revises: 0011
"""
from datetime import UTC

import sqlalchemy as sa
from alembic import op

from servicekit.database import UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# The county's starting routing table (data, editable through the API): urgent child care
# cannot wait for a monthly topic, so it goes straight to handling.
DEFAULT_RULES = [("urgent_child_care", "", "direct", "急事急办: 托育诉求直接交办")]


def upgrade() -> None:
    with op.batch_alter_table("concerns") as batch:
        batch.add_column(sa.Column("route", sa.String(20), nullable=True))
        batch.add_column(sa.Column("triage_note", sa.Text, nullable=True))
        batch.add_column(sa.Column("triage_rule_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("triaged_at", UtcDateTime, nullable=True))
        batch.add_column(sa.Column("merged_into", sa.String(36), nullable=True))
        batch.add_column(sa.Column("updated_at", UtcDateTime, nullable=True))
        batch.create_index("ix_concerns_merged_into", ["merged_into"])
        # Duplicate suggestions look at a neighbourhood's recent concerns of one category;
        # Open311 lists by time.
        batch.create_index("ix_concerns_similar", ["neighbourhood_id", "category", "received_at"])
        batch.create_index("ix_concerns_received_at", ["received_at"])
    # Before triage existed every concern went to the deliberation pool: say so, so that old
    # concerns do not reappear in the triage queue (and get opened in dispatch while pooled).
    op.execute("UPDATE concerns SET updated_at = received_at, route = 'deliberation', triaged_at = received_at, "
               "triage_note = 'pooled before triage existed', status = 'in_deliberation'")
    op.create_table(
        "concern_timeline",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("concern_id", sa.String(36), nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("source", sa.String(20), nullable=False),
        # The downstream event it came from: a redelivered event adds nothing.
        sa.Column("event_id", sa.String(36), nullable=True, unique=True),
    )
    for status, source in (("received", "intake"), ("triaged", "intake"), ("in_deliberation", "deliberation")):
        op.execute(f"INSERT INTO concern_timeline (concern_id, status, at, note, source) "
                   f"SELECT concern_id, '{status}', received_at, '', '{source}' FROM concerns")
    rules = op.create_table(
        "triage_rules",
        sa.Column("rule_id", sa.String(36), primary_key=True),
        sa.Column("scope_id", sa.String(64), nullable=False),
        sa.Column("category", sa.String(50), nullable=False),
        sa.Column("urgency", sa.String(10), nullable=False, server_default=""),
        sa.Column("route", sa.String(20), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("scope_id", "category", "urgency", name="uq_triage_rules_place_category_urgency"),
    )
    # The county's id is only known once the directory holds it; "*" stands for the whole
    # deployment, below every more specific place.
    from datetime import datetime
    op.bulk_insert(rules, [
        {"rule_id": f"default-{category}", "scope_id": "*", "category": category, "urgency": urgency,
         "route": route, "note": note, "updated_at": datetime(2026, 1, 1, tzinfo=UTC)}
        for category, urgency, route, note in DEFAULT_RULES
    ])


def downgrade() -> None:
    op.drop_table("triage_rules")
    op.drop_table("concern_timeline")
    with op.batch_alter_table("concerns") as batch:
        batch.drop_index("ix_concerns_received_at")
        batch.drop_index("ix_concerns_similar")
        batch.drop_index("ix_concerns_merged_into")
        for column in ("updated_at", "merged_into", "triaged_at", "triage_rule_id", "triage_note", "route"):
            batch.drop_column(column)
