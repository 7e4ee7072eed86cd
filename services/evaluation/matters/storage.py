"""Matters' tables and queries: a matter's own row, and which households may rate it."""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from servicekit import place_paths
from servicekit.database import UtcDateTime, insert_or_ignore, insert_or_ignore_many
from servicekit.events import Place
from servicekit.ids import looks_like_id
from services.evaluation.matters.domain import Matter, Resolution, Supervisor

_RESOLUTION_FIELDS = tuple(field.name for field in dataclasses.fields(Resolution))

metadata = sa.MetaData()

matters = sa.Table(
    "matters",
    metadata,
    sa.Column("task_id", sa.String(36), primary_key=True),
    # "/county/township/community/neighbourhood/": a place's matters are a range of it.
    sa.Column("place_path", sa.String(400), nullable=False),
    sa.Column("neighbourhood_id", sa.String(64), nullable=False),
    sa.Column("decision_id", sa.String(36), nullable=False, server_default=""),
    sa.Column("action_id", sa.String(36), nullable=False, server_default=""),
    sa.Column("concern_ids", sa.Text, nullable=False),  # JSON list
    sa.Column("household_ids", sa.Text, nullable=False),  # JSON list
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
    sa.Index("ix_matters_place_path", "place_path", postgresql_ops={"place_path": 'COLLATE "C"'}),
)

# Which household raised each concern (from intake's ConcernReceived), and the concern it was
# merged into, if any: a matter's households are its concerns' and those merged into them.
concern_households = sa.Table(
    "concern_households",
    metadata,
    sa.Column("concern_id", sa.String(36), primary_key=True),
    sa.Column("household_id", sa.String(64), nullable=False),
    sa.Column("merged_into", sa.String(36), nullable=True, index=True),
)

# Which households may rate a matter (a resident's list reads it by household).
matter_households = sa.Table(
    "matter_households",
    metadata,
    sa.Column("household_id", sa.String(64), primary_key=True),
    sa.Column("task_id", sa.String(36), primary_key=True),
)

_SCALARS = ("task_id", "decision_id", "action_id", "round", "state", "result", "resolved_at", "rating_due", "rating",
            "comment", "rated_at", "in_person", "recorded_by", "reminded_at", "closed_at", "handler_id",
            "moves_concerns", "rated_household")


def place_range(conn: sa.Connection, path: Sequence[str]) -> sa.ColumnElement[bool]:
    """Matters at or below the place with this path (see servicekit.place_paths)."""
    return place_paths.below(conn, matters.c.place_path, path)


def _row(matter: Matter) -> dict[str, Any]:
    place = matter.place
    row = {name: getattr(matter, name) for name in _SCALARS}
    row.update(neighbourhood_id=place.neighbourhood_id,
               place_path=place_paths.text((place.county_id, place.township_id, place.community_id, place.neighbourhood_id)),
               concern_ids=json.dumps(list(matter.concern_ids)), household_ids=json.dumps(list(matter.household_ids)),
               supervisor_id=matter.supervisor.id if matter.supervisor else "",
               supervisor_name=matter.supervisor.name if matter.supervisor else "")
    return row


def matter_of(row: sa.Row[Any]) -> Matter:
    values = row._mapping
    county, township, community, neighbourhood = (part for part in values["place_path"].split("/") if part)
    supervised = values["supervisor_id"] or values["supervisor_name"]
    return Matter(**{name: values[name] for name in _SCALARS}, place=Place(neighbourhood, community, township, county),
                  concern_ids=tuple(json.loads(values["concern_ids"])),
                  household_ids=tuple(json.loads(values["household_ids"])),
                  supervisor=Supervisor(values["supervisor_id"], values["supervisor_name"]) if supervised else None)


def load(conn: sa.Connection, task_id: str, *, lock: bool = False) -> Matter | None:
    if not looks_like_id(task_id):
        return None
    query = sa.select(matters).where(matters.c.task_id == task_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    return matter_of(row) if row else None


def add(conn: sa.Connection, matter: Matter) -> bool:
    """Keep a new matter; False if one exists for the task (its later rounds are `save`d)."""
    if not insert_or_ignore(conn, matters, **_row(matter)):
        return False
    _households(conn, matter)
    return True


def save(conn: sa.Connection, matter: Matter) -> None:
    values = _row(matter)
    del values["task_id"]
    conn.execute(matters.update().where(matters.c.task_id == matter.task_id).values(**values))
    _households(conn, matter)


def _households(conn: sa.Connection, matter: Matter) -> None:
    conn.execute(matter_households.delete().where(matter_households.c.task_id == matter.task_id))
    if matter.household_ids:
        conn.execute(matter_households.insert(), [{"household_id": household, "task_id": matter.task_id}
                                                  for household in matter.household_ids])


def many(conn: sa.Connection, where: list[sa.ColumnElement[bool]], limit: int) -> list[Matter]:
    """Matters matching `where`, newest first (task ids sort by time)."""
    rows = conn.execute(sa.select(matters).where(*where).order_by(matters.c.task_id.desc()).limit(limit))
    return [matter_of(row) for row in rows]


def of_household(household_id: str) -> sa.ColumnElement[bool]:
    return matters.c.task_id.in_(sa.select(matter_households.c.task_id)
                                 .where(matter_households.c.household_id == household_id))


def keep_households(conn: sa.Connection, raised: list[tuple[str, str]]) -> None:
    """Which household raised each concern, (concern id, household id, "" for a shared matter), kept
    once: every concern heard, so a resolution can tell a concern without a household from one not
    heard of yet."""
    insert_or_ignore_many(conn, concern_households, [{"concern_id": concern_id, "household_id": household_id}
                                                     for concern_id, household_id in raised])


def unheard(conn: sa.Connection, concern_ids: Sequence[str]) -> list[str]:
    """Of these concerns, those intake's ConcernReceived has not reached evaluation for yet."""
    ids = [concern_id for concern_id in concern_ids if looks_like_id(concern_id)]
    heard = set(conn.execute(sa.select(concern_households.c.concern_id)
                             .where(concern_households.c.concern_id.in_(ids))).scalars()) if ids else set()
    return [concern_id for concern_id in ids if concern_id not in heard]


# Resolutions that arrived before the concerns they answer (the topics are consumed apart): held
# until evaluation has heard every one of them, then opened as rounds to rate.
held_resolutions = sa.Table(
    "held_resolutions",
    metadata,
    sa.Column("task_id", sa.String(36), primary_key=True),
    sa.Column("round", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("resolution", sa.Text, nullable=False),  # JSON: the Resolution and where it happened
)


def hold(conn: sa.Connection, resolution: Resolution, place: Place) -> None:
    row = {**{name: getattr(resolution, name) for name in _RESOLUTION_FIELDS},
           "resolved_at": resolution.resolved_at.isoformat(), "place": list(place.path)}
    insert_or_ignore(conn, held_resolutions, task_id=resolution.task_id, round=resolution.round,
                     resolution=json.dumps(row, ensure_ascii=False))


def held(conn: sa.Connection, task_id: str = "") -> list[tuple[Resolution, Place]]:
    """The held resolutions (of one task, or every one), oldest round first: a few at most, as they
    wait for a concern in flight, an hour at most (Matters.held_too_long)."""
    found = []
    query = sa.select(held_resolutions.c.resolution).order_by(held_resolutions.c.task_id, held_resolutions.c.round)
    for text in conn.execute(query.where(held_resolutions.c.task_id == task_id) if task_id else query).scalars():
        row = json.loads(text)
        county, township, community, neighbourhood = row.pop("place")
        row["concern_ids"], row["household_ids"] = tuple(row["concern_ids"]), tuple(row["household_ids"])
        row["resolved_at"] = datetime.fromisoformat(row["resolved_at"])
        found.append((Resolution(**row), Place(neighbourhood, community, township, county)))
    return found


def release(conn: sa.Connection, resolution: Resolution) -> None:
    conn.execute(held_resolutions.delete().where(held_resolutions.c.task_id == resolution.task_id,
                                                 held_resolutions.c.round == resolution.round))


def merge(conn: sa.Connection, survivor_id: str, merged_ids: list[str]) -> None:
    """The concerns, and any merged into them before, now follow the survivor."""
    if merged_ids:
        conn.execute(concern_households.update().where(sa.or_(
            concern_households.c.concern_id.in_(merged_ids), concern_households.c.merged_into.in_(merged_ids),
        )).values(merged_into=survivor_id))


def households_of(conn: sa.Connection, concern_ids: Sequence[str]) -> tuple[str, ...]:
    """The households that raised these concerns or concerns merged into them, each once."""
    ids = [concern_id for concern_id in concern_ids if looks_like_id(concern_id)]
    if not ids:
        return ()
    table = concern_households
    rows = conn.execute(sa.select(table.c.household_id).where(
        sa.or_(table.c.concern_id.in_(ids), table.c.merged_into.in_(ids)), table.c.household_id != "").distinct()
        .order_by(table.c.household_id)).scalars()
    return tuple(rows)
