"""The annual rating's tables and queries: the facts it counts that the reviews and the rates do not
keep (the joint meetings' decided actions, and the resolutions and rework of their tasks), and every
calculated version of a county's year, kept as calculated."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from servicekit import place_paths
from servicekit.database import UtcDateTime, insert_or_ignore, insert_or_ignore_many
from services import periods
from services.evaluation.rates.domain import PLACE
from services.evaluation.rates.storage import rate_cells
from services.evaluation.reviews.storage import FULFILLED, PANEL, RELEASED, VISIT, member_activities, review_commitments

metadata = sa.MetaData()

decided_actions = sa.Table(
    "decided_actions",
    metadata,
    sa.Column("action_id", sa.String(36), primary_key=True),
    sa.Column("decision_id", sa.String(36), nullable=False),
    sa.Column("neighbourhood_id", sa.String(64), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),  # the county-time year it was decided in
    sa.Index("ix_decided_actions_neighbourhood", "neighbourhood_id", "year"),
    sa.Index("ix_decided_actions_year", "year"),
)

# What became of a decided action's task, kept apart from the decision: a resolution may arrive
# before the decision it implements. Rounds as dispatch counts them (resolved from 0, reopened from
# 1), each the greatest heard: whatever order they arrive in, the action stands implemented when
# the latest round resolved is not behind the latest reopened (as the rates count a task resolved).
action_resolutions = sa.Table(
    "action_resolutions",
    metadata,
    sa.Column("action_id", sa.String(36), primary_key=True),
    sa.Column("resolved_round", sa.Integer, nullable=False, server_default="-1"),
    sa.Column("reopened_round", sa.Integer, nullable=False, server_default="0"),
)

# One row per county's year, locked while a version of it is calculated: two calculations take
# turns (locking the versions alone locks nothing before the first exists).
annual_turns = sa.Table(
    "annual_turns",
    metadata,
    sa.Column("county_id", sa.String(64), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
)

annual_versions = sa.Table(
    "annual_versions",
    metadata,
    sa.Column("county_id", sa.String(64), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("calculated_at", UtcDateTime, nullable=False),
    sa.Column("calculated_by", sa.String(200), nullable=False),
    sa.Column("weights", sa.Text, nullable=False),  # JSON: the weights and cut-offs it was calculated by
    sa.Column("published_at", UtcDateTime, nullable=True),
    sa.Column("published_by", sa.String(200), nullable=False, server_default=""),
)

# One row per neighbourhood per version: written once, never changed.
annual_ratings = sa.Table(
    "annual_ratings",
    metadata,
    sa.Column("county_id", sa.String(64), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("neighbourhood_id", sa.String(64), primary_key=True),
    sa.Column("place_path", sa.String(400), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("counts", sa.Text, nullable=False),  # JSON: each indicator's part and whole
    sa.Column("components", sa.Text, nullable=False),  # JSON: each indicator's share, weight and points
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("tier", sa.String(20), nullable=False),
    sa.Column("rank_community", sa.Integer, nullable=False),
    sa.Column("rank_township", sa.Integer, nullable=False),
    sa.Column("rank_county", sa.Integer, nullable=False),
    sa.Index("ix_annual_ratings_place", "county_id", "year", "version", "place_path",
             postgresql_ops={"place_path": 'COLLATE "C"'}),
)


# -- facts as they arrive ---------------------------------------------------------------------------

def keep_actions(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
    insert_or_ignore_many(conn, decided_actions, rows)


def _round_reached(conn: sa.Connection, action_id: str, column: str, round_: int) -> None:
    insert_or_ignore(conn, action_resolutions, action_id=action_id)
    conn.execute(action_resolutions.update().where(action_resolutions.c.action_id == action_id,
                                                   action_resolutions.c[column] < round_).values({column: round_}))


def action_resolved(conn: sa.Connection, action_id: str, round_: int) -> None:
    _round_reached(conn, action_id, "resolved_round", round_)


def action_reopened(conn: sa.Connection, action_id: str, round_: int) -> None:
    _round_reached(conn, action_id, "reopened_round", round_)


# -- a year's counts, for every neighbourhood at once ----------------------------------------------

def year_counts(conn: sa.Connection, year: int) -> dict[str, dict[str, int]]:
    """Each neighbourhood's counts for the year from evaluation's own facts, by neighbourhood id
    (the directory's households and members are the caller's to add)."""
    found: dict[str, dict[str, int]] = {}

    def put(rows: Any, *names: str) -> None:
        for neighbourhood_id, *values in rows:
            found.setdefault(neighbourhood_id, {}).update(zip(names, (int(v or 0) for v in values), strict=True))

    actions, fates = decided_actions, action_resolutions
    implemented = sa.and_(fates.c.resolved_round >= 0, fates.c.resolved_round >= fates.c.reopened_round)
    put(conn.execute(sa.select(actions.c.neighbourhood_id, sa.func.count(), sa.func.count().filter(implemented))
                     .select_from(actions.outerjoin(fates, fates.c.action_id == actions.c.action_id))
                     .where(actions.c.year == year).group_by(actions.c.neighbourhood_id)),
        "actions_decided", "actions_resolved")
    # Residents' satisfaction as the three rates count it (services/evaluation/rates/): the ratings of
    # every round of the tasks opened in the year, from the place cells the rebuild also keeps.
    cells = rate_cells
    pleased = cells.c.satisfied + cells.c.basically_satisfied
    put(conn.execute(sa.select(cells.c.subject_id, sa.func.sum(pleased + cells.c.unsatisfied), sa.func.sum(pleased))
                     .where(cells.c.kind == PLACE, cells.c.month.between(year * 100 + 1, year * 100 + 12))
                     .group_by(cells.c.subject_id)), "ratings", "ratings_satisfied")
    ledger = review_commitments
    put(conn.execute(sa.select(ledger.c.neighbourhood_id, sa.func.count().filter(ledger.c.state != RELEASED),
                               sa.func.count().filter(ledger.c.state == FULFILLED))
                     .where(ledger.c.quarter.in_(periods.quarters(year))).group_by(ledger.c.neighbourhood_id)),
        "commitments_kept", "commitments_fulfilled")
    done = member_activities
    put(conn.execute(sa.select(done.c.neighbourhood_id,
                               sa.func.count(sa.distinct(done.c.household_id)).filter(done.c.kind == VISIT),
                               sa.func.count(sa.distinct(done.c.member_id)).filter(done.c.kind == PANEL))
                     .where(done.c.quarter.in_(periods.quarters(year))).group_by(done.c.neighbourhood_id)),
        "households_visited", "members_on_panels")
    return found


# -- versions ---------------------------------------------------------------------------------------

def take_turn(conn: sa.Connection, county_id: str, year: int) -> None:
    """Wait for any other calculation of the county's year to end, and hold the year until this
    transaction does (its lock row created the first time)."""
    insert_or_ignore(conn, annual_turns, county_id=county_id, year=year)
    conn.execute(sa.select(annual_turns).where(annual_turns.c.county_id == county_id, annual_turns.c.year == year)
                 .with_for_update()).one()


def next_version(conn: sa.Connection, county_id: str, year: int) -> int:
    latest = conn.execute(sa.select(sa.func.max(annual_versions.c.version)).where(
        annual_versions.c.county_id == county_id, annual_versions.c.year == year)).scalar()
    return int(latest or 0) + 1


def add_version(conn: sa.Connection, *, county_id: str, year: int, version: int, at: datetime, by: str,
                rules: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    conn.execute(annual_versions.insert().values(county_id=county_id, year=year, version=version, calculated_at=at,
                                                 calculated_by=by, weights=json.dumps(rules)))
    if rows:
        conn.execute(annual_ratings.insert(), [{"county_id": county_id, "year": year, "version": version, **row}
                                               for row in rows])


def versions(conn: sa.Connection, county_id: str, year: int, *, lock: bool = False) -> list[sa.Row[Any]]:
    query = sa.select(annual_versions).where(annual_versions.c.county_id == county_id, annual_versions.c.year == year) \
        .order_by(annual_versions.c.version)
    return list(conn.execute(query.with_for_update() if lock else query).all())


def publish(conn: sa.Connection, county_id: str, year: int, version: int, at: datetime, by: str) -> None:
    conn.execute(annual_versions.update().where(
        annual_versions.c.county_id == county_id, annual_versions.c.year == year, annual_versions.c.version == version,
        annual_versions.c.published_at.is_(None)).values(published_at=at, published_by=by))


def ratings_below(conn: sa.Connection, county_id: str, year: int, version: int, path: tuple[str, ...]
                  ) -> list[sa.Row[Any]]:
    """A version's ratings at or below a place, best first (by the county's ranking)."""
    table = annual_ratings
    return list(conn.execute(sa.select(table).where(
        table.c.county_id == county_id, table.c.year == year, table.c.version == version,
        place_paths.below(conn, table.c.place_path, path)).order_by(table.c.rank_county, table.c.neighbourhood_id)))


def path_text(path: tuple[str, ...]) -> str:
    return place_paths.text(path)
