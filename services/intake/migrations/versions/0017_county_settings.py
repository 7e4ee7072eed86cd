"""County settings: the county_settings table, and the routing table moved into it as the
setting intake.triage.route (each rule keeps its id, so concerns still name the rule that
triaged them).

Revision ID: 0017
Revises: 0016
"""
import json

import sqlalchemy as sa
from alembic import op

from servicekit import settings_schema
from servicekit.database import UtcDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

KEY = "intake.triage.route"

# The tables as this revision knows them, whatever the code's tables become later.
triage_rules = sa.table(
    "triage_rules", sa.column("rule_id"), sa.column("scope_id"), sa.column("category"), sa.column("urgency"),
    sa.column("route"), sa.column("note"), sa.column("updated_at", UtcDateTime))
county_settings = sa.table(
    "county_settings", sa.column("id"), sa.column("key"), sa.column("scope_id"), sa.column("qualifier"),
    sa.column("value"), sa.column("version"), sa.column("updated_at", UtcDateTime), sa.column("updated_by"))


def upgrade() -> None:
    settings_schema.create_v1(op)
    rules = op.get_bind().execute(sa.select(triage_rules)).all()
    if rules:
        op.bulk_insert(county_settings, [{
            "id": rule.rule_id, "key": KEY, "scope_id": rule.scope_id,
            "qualifier": f"{rule.category}/{rule.urgency}" if rule.urgency else rule.category,
            # As services/intake/settings.py's TriageRoute writes it.
            "value": json.dumps({"route": rule.route, "note": rule.note or ""}, ensure_ascii=False,
                                separators=(",", ":")),
            "version": 1, "updated_at": rule.updated_at, "updated_by": "system",
        } for rule in rules])
    op.drop_table("triage_rules")


def downgrade() -> None:
    op.create_table(
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
    values = op.get_bind().execute(sa.select(county_settings).where(county_settings.c.key == KEY)).all()
    rules = []
    for value in values:
        category, _, urgency = value.qualifier.partition("/")
        rule = json.loads(value.value)
        rules.append({"rule_id": value.id, "scope_id": value.scope_id, "category": category, "urgency": urgency,
                      "route": rule["route"], "note": rule.get("note", ""), "updated_at": value.updated_at})
    if rules:
        op.bulk_insert(triage_rules, rules)
    settings_schema.drop_v1(op)
