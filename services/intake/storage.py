"""Intake's tables and the queries over them."""
from __future__ import annotations

import json

import sqlalchemy as sa

from servicekit.database import UtcDateTime, insert_or_ignore
from servicekit.ids import looks_like_id
from services.intake.contract import MERGED
from services.intake.domain import Concern, Location, ReporterContact, Triage

metadata = sa.MetaData()

concerns = sa.Table(
    "concerns",
    metadata,
    sa.Column("concern_id", sa.String(36), primary_key=True),
    sa.Column("neighbourhood_id", sa.String(64), nullable=False, index=True),
    sa.Column("household_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("category", sa.String(50), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("reporter_name", sa.String(50), nullable=True),
    sa.Column("reporter_phone", sa.String(32), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("urgency", sa.String(10), nullable=False, server_default="normal"),
    sa.Column("address", sa.String(200), nullable=True),
    sa.Column("latitude", sa.Float, nullable=True),
    sa.Column("longitude", sa.Float, nullable=True),
    sa.Column("photo_urls", sa.Text, nullable=False, server_default="[]"),
    sa.Column("anonymous", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("route", sa.String(20), nullable=True),
    sa.Column("triage_note", sa.Text, nullable=True),
    sa.Column("triage_rule_id", sa.String(36), nullable=True),
    sa.Column("triaged_at", UtcDateTime, nullable=True),
    sa.Column("merged_into", sa.String(36), nullable=True, index=True),
    sa.Column("updated_at", UtcDateTime, nullable=True),
    sa.Column("building_id", sa.String(64), nullable=False, server_default=""),
    sa.Index("ix_concerns_similar", "neighbourhood_id", "category", "received_at"),
    sa.Index("ix_concerns_received_at", "received_at"),
    # A place's concerns over days (asking's figures), one neighbourhood's range at a time.
    sa.Index("ix_concerns_by_day", "neighbourhood_id", "received_at"),
)

# The county's concern categories: data with defaults seeded by the first migration.
categories = sa.Table(
    "categories",
    metadata,
    sa.Column("code", sa.String(50), primary_key=True),
    sa.Column("name_zh", sa.String(100), nullable=False),
    sa.Column("name_en", sa.String(100), nullable=False),
    sa.Column("is_open", sa.Boolean, nullable=False),
)


_INSERT_CONCERN = concerns.insert()


def category_names(conn: sa.Connection) -> list[tuple[str, str, str]]:
    """(code, zh-CN name, English name) of every open category, in code order."""
    rows = conn.execute(sa.select(categories.c.code, categories.c.name_zh, categories.c.name_en)
                        .where(categories.c.is_open.is_(True)).order_by(categories.c.code)).all()
    return [tuple(row) for row in rows]


def open_categories(conn: sa.Connection) -> frozenset[str]:
    return frozenset(conn.execute(sa.select(categories.c.code).where(categories.c.is_open.is_(True))).scalars())


def add_concern(conn: sa.Connection, concern: Concern) -> None:
    reporter = concern.reporter
    triage = concern.triage
    conn.execute(_INSERT_CONCERN, {
        "route": triage.route if triage else None,
        "triage_note": triage.note if triage else None,
        "triage_rule_id": triage.rule_id if triage else None,
        "triaged_at": triage.triaged_at if triage else None,
        "merged_into": None,
        "building_id": concern.building_id,
        "updated_at": concern.updated_at or concern.received_at,
        "concern_id": concern.concern_id,
        "neighbourhood_id": concern.neighbourhood_id,
        "household_id": concern.household_id,
        "channel": concern.channel,
        "category": concern.category,
        "description": concern.description,
        "reporter_name": reporter.name if reporter else None,
        "reporter_phone": reporter.phone if reporter else None,
        "status": concern.status,
        "received_at": concern.received_at,
        "urgency": concern.urgency,
        "address": concern.location.address if concern.location else None,
        "latitude": concern.location.latitude if concern.location else None,
        "longitude": concern.location.longitude if concern.location else None,
        "photo_urls": json.dumps(list(concern.photo_urls)),
        "anonymous": concern.anonymous,
    })


def get_concern(conn: sa.Connection, concern_id: str) -> Concern | None:
    if not looks_like_id(concern_id):
        return None
    row = conn.execute(sa.select(concerns).where(concerns.c.concern_id == concern_id)).first()
    return None if row is None else concern_of(row)


def concern_of(row) -> Concern:
    reporter = (
        ReporterContact(row.reporter_name or "", row.reporter_phone or "")
        if row.reporter_name or row.reporter_phone else None
    )
    return Concern(
        concern_id=row.concern_id,
        neighbourhood_id=row.neighbourhood_id,
        household_id=row.household_id,
        channel=row.channel,
        category=row.category,
        description=row.description,
        reporter=reporter,
        status=row.status,
        received_at=row.received_at,
        urgency=row.urgency,
        location=(Location(row.address or "", row.latitude, row.longitude)
                  if row.address or row.latitude is not None else None),
        photo_urls=tuple(json.loads(row.photo_urls)),
        anonymous=row.anonymous,
        triage=(Triage(row.route, row.triage_note or "", row.triage_rule_id or "", row.triaged_at)
                if row.route else None),
        merged_into=row.merged_into or "",
        building_id=row.building_id,
        updated_at=row.updated_at or row.received_at,
    )


def get_concerns(conn: sa.Connection, concern_ids: list[str], *, lock: bool = False) -> dict[str, Concern]:
    """The concerns by id; with `lock`, their rows are locked until the transaction ends
    (PostgreSQL; SQLite's write transaction holds the whole database already)."""
    ids = [concern_id for concern_id in concern_ids if looks_like_id(concern_id)]
    if not ids:
        return {}
    query = sa.select(concerns).where(concerns.c.concern_id.in_(ids))
    if lock:
        # Always in id order, so two transactions locking overlapping sets queue rather than deadlock.
        query = query.order_by(concerns.c.concern_id).with_for_update()
    rows = conn.execute(query).all()
    return {row.concern_id: concern_of(row) for row in rows}


def set_triage(conn: sa.Connection, concern_id: str, triage: Triage, status: str) -> bool:
    """Record a person's triage of a concern still waiting for it; False if it no longer is
    (triaged or merged meanwhile: the check and the change are one statement)."""
    result = conn.execute(concerns.update().where(
        concerns.c.concern_id == concern_id, concerns.c.route.is_(None), concerns.c.merged_into.is_(None),
    ).values(route=triage.route, triage_note=triage.note, triage_rule_id=triage.rule_id or None,
             triaged_at=triage.triaged_at, status=status, updated_at=triage.triaged_at))
    return result.rowcount == 1


def set_statuses(conn: sa.Connection, changes: list[tuple[str, str, object]]) -> None:
    """(concern id, status, when) for several concerns, in one statement."""
    if changes:
        conn.execute(_SET_STATUS, [{"id": concern_id, "status": status, "updated_at": at}
                                   for concern_id, status, at in changes])


def merged_into_for_update(conn: sa.Connection, concern_ids: list[str]) -> dict[str, str]:
    """For each concern that exists: "" if it stands on its own, its survivor's id if merged.
    The rows are locked (PostgreSQL; SQLite has one writer anyway), in id order so two batches
    cannot deadlock: reports for one concern arriving on two topics at once are then applied one
    after the other, and the second sees the first's step when it sets the status."""
    if not concern_ids:
        return {}
    rows = conn.execute(_MERGED_INTO_FOR_UPDATE, {"ids": concern_ids})
    return {concern_id: merged_into or "" for concern_id, merged_into in rows}


_SET_STATUS = concerns.update().where(concerns.c.concern_id == sa.bindparam("id")).values(
    status=sa.bindparam("status"), updated_at=sa.bindparam("updated_at"))
_MERGED_INTO_FOR_UPDATE = (
    sa.select(concerns.c.concern_id, concerns.c.merged_into)
    .where(concerns.c.concern_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(concerns.c.concern_id)
    .with_for_update()
)


def merge_into(conn: sa.Connection, survivor_id: str, concern_ids: list[str], at) -> None:
    """Point the concerns, and any earlier merged into them, at the survivor."""
    conn.execute(concerns.update().where(
        sa.or_(concerns.c.concern_id.in_(concern_ids), concerns.c.merged_into.in_(concern_ids))
    ).values(merged_into=survivor_id, status=MERGED, updated_at=at))


def recent_in_category(conn: sa.Connection, neighbourhood_id: str, category: str, since, limit: int,
                       exclude: str = "") -> list[tuple[str, str, str, object]]:
    """(id, description, status, received_at) of the neighbourhood's latest concerns of a
    category, not merged away, newest first."""
    rows = conn.execute(_RECENT_IN_CATEGORY, {"neighbourhood_id": neighbourhood_id, "category": category,
                                              "since": since, "exclude": exclude, "limit": limit}).all()
    return [tuple(row) for row in rows]


# Built once: it runs on every submission.
_RECENT_IN_CATEGORY = (
    sa.select(concerns.c.concern_id, concerns.c.description, concerns.c.status, concerns.c.received_at)
    .where(concerns.c.neighbourhood_id == sa.bindparam("neighbourhood_id"),
           concerns.c.category == sa.bindparam("category"), concerns.c.received_at >= sa.bindparam("since"),
           concerns.c.merged_into.is_(None), concerns.c.concern_id != sa.bindparam("exclude"))
    .order_by(concerns.c.received_at.desc()).limit(sa.bindparam("limit", type_=sa.Integer))
)


def list_concerns(conn: sa.Connection, neighbourhood_id: str, statuses: list[str], category: str,
                  before_id: str, limit: int, building_id: str = "") -> list[Concern]:
    """A neighbourhood's concerns, newest first (ids are time-ordered), before a key."""
    query = sa.select(concerns).where(concerns.c.neighbourhood_id == neighbourhood_id)
    if statuses:
        query = query.where(concerns.c.status.in_(statuses))
    if category:
        query = query.where(concerns.c.category == category)
    if building_id:
        query = query.where(concerns.c.building_id == building_id)
    if before_id:
        query = query.where(concerns.c.concern_id < before_id)
    rows = conn.execute(query.order_by(concerns.c.concern_id.desc()).limit(limit)).all()
    return [concern_of(row) for row in rows]


def merged_among(conn: sa.Connection, concern_ids: list[str]) -> list[Concern]:
    ids = [concern_id for concern_id in concern_ids if looks_like_id(concern_id)]
    rows = conn.execute(sa.select(concerns).where(concerns.c.concern_id.in_(ids),
                                                  concerns.c.merged_into.is_not(None))).all() if ids else []
    return [concern_of(row) for row in rows]


def public_concerns(conn: sa.Connection, *, concern_ids: list[str], categories: list[str], received_from,
                    received_to, statuses: list[str] | None, neighbourhood_id: str, limit: int) -> list[Concern]:
    """Concerns matching the public filters, newest first; merged ones are left out (their
    survivor stands for them)."""
    query = sa.select(concerns).where(concerns.c.merged_into.is_(None))
    if concern_ids:
        query = query.where(concerns.c.concern_id.in_([i for i in concern_ids if looks_like_id(i)]))
    if categories:
        query = query.where(concerns.c.category.in_(categories))
    if received_from is not None:
        query = query.where(concerns.c.received_at >= received_from)
    if received_to is not None:
        query = query.where(concerns.c.received_at <= received_to)
    if statuses is not None:
        query = query.where(concerns.c.status.in_(statuses))
    if neighbourhood_id:
        query = query.where(concerns.c.neighbourhood_id == neighbourhood_id)
    rows = conn.execute(query.order_by(concerns.c.received_at.desc(), concerns.c.concern_id.desc()).limit(limit)).all()
    return [concern_of(row) for row in rows]


# A caller's Idempotency-Key and the concern its first use created.
idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("caller", sa.String(100), primary_key=True),
    sa.Column("idempotency_key", sa.String(100), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("concern_id", sa.String(36), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)


def claim_idempotency_key(conn: sa.Connection, *, caller: str, key: str, fingerprint: str, concern_id: str,
                          created_at) -> bool:
    """Claim the key for a new concern; False if this caller used it before (on PostgreSQL a
    concurrent first use is waited for, then seen)."""
    return insert_or_ignore(conn, idempotency_keys, caller=caller, idempotency_key=key, fingerprint=fingerprint,
                            concern_id=concern_id, created_at=created_at)


def idempotency_key(conn: sa.Connection, caller: str, key: str):
    return conn.execute(sa.select(idempotency_keys).where(
        idempotency_keys.c.caller == caller, idempotency_keys.c.idempotency_key == key)).first()


# Chat-group messages already taken in, so a bot re-sending a batch creates nothing twice. Keyed
# by caller too: one caller's message ids can neither block nor reveal another's.
online_messages = sa.Table(
    "online_messages",
    metadata,
    sa.Column("caller", sa.String(100), primary_key=True),
    sa.Column("source", sa.String(100), primary_key=True),
    sa.Column("source_message_id", sa.String(100), primary_key=True),
    sa.Column("concern_id", sa.String(36), nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
)


def claim_online_message(conn: sa.Connection, *, caller: str, source: str, message_id: str, concern_id: str,
                         received_at) -> bool:
    return insert_or_ignore(conn, online_messages, caller=caller, source=source, source_message_id=message_id,
                            concern_id=concern_id, received_at=received_at)


def concern_of_online_message(conn: sa.Connection, caller: str, source: str, message_id: str) -> str | None:
    return conn.execute(sa.select(online_messages.c.concern_id).where(
        online_messages.c.caller == caller, online_messages.c.source == source,
        online_messages.c.source_message_id == message_id)).scalar()
