"""Asking's figures from intake's own tables, for the neighbourhoods at or below a place. Each
query starts from the place's neighbourhoods (the directory's (kind, path) index) and reaches
visits, talk sessions and concerns through their (neighbourhood, day) indexes, so a place's
figures read its own rows and nothing else."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa

from servicekit import place_paths
from services.intake.directory.storage import directory_entities
from services.intake.storage import concerns
from services.intake.talks.storage import opinion_log_entries, talk_sessions
from services.intake.visits.storage import visits

_household = directory_entities.alias("household")


def _below(conn: sa.Connection, table: sa.FromClause, kind: str, path: Sequence[str]) -> sa.ColumnElement[bool]:
    return sa.and_(table.c.kind == kind, place_paths.below(conn, table.c.scope_path, path))


def _neighbourhoods(conn: sa.Connection, path: Sequence[str]) -> sa.Select:
    return sa.select(directory_entities.c.entity_id).where(_below(conn, directory_entities, "neighbourhood", path))


def households(conn: sa.Connection, path: Sequence[str]) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(directory_entities)
                        .where(_below(conn, directory_entities, "household", path))).scalar_one()


def visits_in(conn: sa.Connection, path: Sequence[str], first: date, last: date) -> tuple[int, int, int]:
    """(households living at the place now that were visited, visits, concerns raised on them)."""
    lives_here = _below(conn, _household, "household", path)
    row = conn.execute(
        sa.select(sa.func.count(sa.distinct(sa.case((lives_here, visits.c.household_id)))), sa.func.count(),
                  sa.func.coalesce(sa.func.sum(visits.c.concerns_raised), 0))
        .select_from(visits.outerjoin(_household, _household.c.entity_id == visits.c.household_id))
        .where(visits.c.neighbourhood_id.in_(_neighbourhoods(conn, path)),
               visits.c.visited_on >= first, visits.c.visited_on <= last)).one()
    return int(row[0]), int(row[1]), int(row[2])


def talks_in(conn: sa.Connection, path: Sequence[str], first: date, last: date) -> tuple[int, int, int]:
    """(talk sessions, their attendance, entries in their opinion logs)."""
    held = sa.and_(talk_sessions.c.neighbourhood_id.in_(_neighbourhoods(conn, path)),
                   talk_sessions.c.held_on >= first, talk_sessions.c.held_on <= last)
    sessions, attendance = conn.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(talk_sessions.c.attendance), 0)).where(held)).one()
    entries = conn.execute(
        sa.select(sa.func.count()).select_from(
            talk_sessions.join(opinion_log_entries, opinion_log_entries.c.session_id == talk_sessions.c.session_id))
        .where(held)).scalar_one()
    return int(sessions), int(attendance), int(entries)


def concerns_in(conn: sa.Connection, path: Sequence[str], start: datetime, end: datetime
                ) -> list[tuple[str, str, int, int]]:
    """[(channel, category, concerns received in [start, end), of which merged since)]."""
    rows = conn.execute(
        sa.select(concerns.c.channel, concerns.c.category, sa.func.count(), sa.func.count(concerns.c.merged_into))
        .where(concerns.c.neighbourhood_id.in_(_neighbourhoods(conn, path)),
               concerns.c.received_at >= start, concerns.c.received_at < end)
        .group_by(concerns.c.channel, concerns.c.category)).all()
    return [(channel, category, int(received), int(merged)) for channel, category, received, merged in rows]
