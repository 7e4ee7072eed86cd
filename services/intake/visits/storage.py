"""Visits tables and the coverage queries."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from servicekit.database import UtcDateTime
from services.intake.directory.storage import directory_entities, path_of
from services.intake.storage import metadata

visits = sa.Table(
    "visits",
    metadata,
    sa.Column("visit_id", sa.String(36), primary_key=True),
    sa.Column("household_id", sa.String(36), nullable=False),
    sa.Column("building_id", sa.String(36), nullable=False),
    sa.Column("neighbourhood_id", sa.String(36), nullable=False),
    sa.Column("member_id", sa.String(36), nullable=False),
    sa.Column("party_group_id", sa.String(36), nullable=False, server_default=""),
    sa.Column("visited_on", sa.Date, nullable=False),
    sa.Column("notes", sa.Text, nullable=False, server_default=""),
    sa.Column("concerns_raised", sa.Integer, nullable=False, server_default="0"),
    sa.Column("recorded_at", UtcDateTime, nullable=False),
    sa.Index("ix_visits_neighbourhood_day", "neighbourhood_id", "visited_on"),
)

visit_concerns = sa.Table(
    "visit_concerns",
    metadata,
    sa.Column("visit_id", sa.String(36), primary_key=True),
    sa.Column("concern_id", sa.String(36), primary_key=True),
)


def add_visit(conn: sa.Connection, *, concern_ids: list[str], **values) -> None:
    conn.execute(visits.insert(), {**values, "concerns_raised": len(concern_ids)})
    if concern_ids:
        conn.execute(visit_concerns.insert(), [{"visit_id": values["visit_id"], "concern_id": c} for c in concern_ids])


def _in_period(neighbourhood_id: str, start: date, end: date):
    return sa.and_(visits.c.neighbourhood_id == neighbourhood_id, visits.c.visited_on >= start,
                   visits.c.visited_on <= end)


def households_by_building(conn: sa.Connection, neighbourhood_scope: tuple[str, ...]) -> dict[str, int]:
    """How many households each building of the neighbourhood has."""
    households = directory_entities
    rows = conn.execute(
        sa.select(households.c.parent_id, sa.func.count())
        .where(households.c.kind == "household",
               households.c.scope_path.startswith(path_of(neighbourhood_scope), autoescape=True))
        .group_by(households.c.parent_id)
    ).all()
    return dict(rows)


# Coverage compares households visited with the households a building has now. A visit stays
# where it happened (its visits and concerns count there), but a household that has since moved
# away no longer counts as one of the building's households visited, so no building (and no
# neighbourhood) shows more than all of its households visited.
_household = directory_entities.alias("household")


def _visited_here(where):
    return sa.func.count(sa.distinct(sa.case((where, visits.c.household_id))))


def _counts(visited):
    return (visited, sa.func.count(), sa.func.coalesce(sa.func.sum(visits.c.concerns_raised), 0))


def _with_households():
    return visits.outerjoin(_household, _household.c.entity_id == visits.c.household_id)


def coverage_by_building(conn: sa.Connection, neighbourhood_id: str, start: date, end: date
                         ) -> dict[str, tuple[int, int, int]]:
    """{building id: (its households visited, visits, concerns collected)} for the period."""
    visited = _visited_here(_household.c.parent_id == visits.c.building_id)
    rows = conn.execute(sa.select(visits.c.building_id, *_counts(visited)).select_from(_with_households())
                        .where(_in_period(neighbourhood_id, start, end)).group_by(visits.c.building_id)).all()
    return {key: (visited, count, raised) for key, visited, count, raised in rows}


def coverage_by_member(conn: sa.Connection, neighbourhood_id: str, start: date, end: date
                       ) -> dict[str, tuple[int, int, int]]:
    """{member id: (households visited, visits, concerns collected)} for the period."""
    rows = conn.execute(sa.select(visits.c.member_id, *_counts(sa.func.count(sa.distinct(visits.c.household_id))))
                        .where(_in_period(neighbourhood_id, start, end)).group_by(visits.c.member_id)).all()
    return {key: (visited, count, raised) for key, visited, count, raised in rows}


def totals(conn: sa.Connection, neighbourhood_scope: tuple[str, ...], start: date, end: date
           ) -> tuple[int, int, int]:
    """(households visited that live in the neighbourhood now, visits, concerns collected)."""
    visited = _visited_here(_household.c.scope_path.startswith(path_of(neighbourhood_scope), autoescape=True))
    row = conn.execute(sa.select(*_counts(visited)).select_from(_with_households())
                       .where(_in_period(neighbourhood_scope[-1], start, end))).one()
    return tuple(row)


def names(conn: sa.Connection, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = conn.execute(sa.select(directory_entities.c.entity_id, directory_entities.c.name)
                        .where(directory_entities.c.entity_id.in_(ids))).all()
    return dict(rows)


