"""The routing table: triage rules by place, category and urgency."""
from __future__ import annotations

import sqlalchemy as sa

from servicekit.database import UtcDateTime
from services.intake.storage import metadata
from services.intake.triage.domain import Rule

triage_rules = sa.Table(
    "triage_rules",
    metadata,
    sa.Column("rule_id", sa.String(36), primary_key=True),
    sa.Column("scope_id", sa.String(64), nullable=False),
    sa.Column("category", sa.String(50), nullable=False),
    sa.Column("urgency", sa.String(10), nullable=False, server_default=""),
    sa.Column("route", sa.String(20), nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("scope_id", "category", "urgency", name="uq_triage_rules_place_category_urgency"),
)

_COLUMNS = (triage_rules.c.rule_id, triage_rules.c.scope_id, triage_rules.c.category, triage_rules.c.urgency,
            triage_rules.c.route, triage_rules.c.note)


def rules_at(conn: sa.Connection, scope_ids: list[str]) -> list[Rule]:
    """Every rule set at one of these places."""
    rows = conn.execute(sa.select(*_COLUMNS).where(triage_rules.c.scope_id.in_(scope_ids))
                        .order_by(triage_rules.c.scope_id, triage_rules.c.category, triage_rules.c.urgency)).all()
    return [Rule(*row) for row in rows]


def get(conn: sa.Connection, rule_id: str) -> Rule | None:
    row = conn.execute(sa.select(*_COLUMNS).where(triage_rules.c.rule_id == rule_id)).first()
    return Rule(*row) if row else None


def find(conn: sa.Connection, scope_id: str, category: str, urgency: str) -> Rule | None:
    row = conn.execute(sa.select(*_COLUMNS).where(
        triage_rules.c.scope_id == scope_id, triage_rules.c.category == category,
        triage_rules.c.urgency == urgency)).first()
    return Rule(*row) if row else None


def put(conn: sa.Connection, rule: Rule, at) -> None:
    """Insert or replace (by rule id) a rule."""
    conn.execute(triage_rules.delete().where(triage_rules.c.rule_id == rule.rule_id))
    conn.execute(triage_rules.insert().values(updated_at=at, **rule.__dict__))


def delete(conn: sa.Connection, rule_id: str) -> None:
    conn.execute(triage_rules.delete().where(triage_rules.c.rule_id == rule_id))
