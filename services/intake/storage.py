"""Intake's tables and the queries over them."""
from __future__ import annotations

import json

import sqlalchemy as sa

from servicekit.database import UtcDateTime, insert_or_ignore
from servicekit.ids import looks_like_id
from services.intake.domain import Concern, Location, ReporterContact

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
    conn.execute(_INSERT_CONCERN, {
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
    if row is None:
        return None
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
    )


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
