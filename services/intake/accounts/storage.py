"""Accounts and API keys tables."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from servicekit.database import UtcDateTime
from services.intake.accounts.domain import Account
from services.intake.storage import metadata

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("account_id", sa.String(36), primary_key=True),
    sa.Column("username", sa.String(50), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("role", sa.String(30), nullable=False),
    sa.Column("scope_id", sa.String(36), nullable=False),
    sa.Column("entity_id", sa.String(36), nullable=False, server_default=""),
    sa.Column("display_name", sa.String(100), nullable=False, server_default=""),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("key_id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("scope_id", sa.String(36), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime, nullable=True),
    sa.Column("last_used_at", UtcDateTime, nullable=True),
)


def account_by_username(conn: sa.Connection, username: str) -> Account | None:
    row = conn.execute(sa.select(accounts).where(accounts.c.username == username)).first()
    if row is None:
        return None
    return Account(account_id=row.account_id, username=row.username, role=row.role, scope_id=row.scope_id,
                   entity_id=row.entity_id, display_name=row.display_name, password_hash=row.password_hash)


def add_account(conn: sa.Connection, account: Account, created_at: datetime) -> None:
    conn.execute(accounts.insert(), {**account.__dict__, "created_at": created_at})


def api_key(conn: sa.Connection, key_id: str):
    return conn.execute(sa.select(api_keys).where(api_keys.c.key_id == key_id)).first()


def add_api_key(conn: sa.Connection, *, key_id: str, name: str, secret_hash: str, scope_id: str,
                created_at: datetime) -> None:
    conn.execute(api_keys.insert(), {"key_id": key_id, "name": name, "secret_hash": secret_hash,
                                     "scope_id": scope_id, "created_at": created_at})


def mark_api_key(conn: sa.Connection, key_id: str, **values) -> int:
    return conn.execute(api_keys.update().where(api_keys.c.key_id == key_id).values(**values)).rowcount

access_codes = sa.Table(
    "access_codes",
    metadata,
    sa.Column("code_hash", sa.String(64), primary_key=True),
    sa.Column("household_id", sa.String(36), nullable=False, index=True),
    sa.Column("issued_by", sa.String(100), nullable=False),
    sa.Column("issued_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime, nullable=True),
)
sa.Index("uq_access_codes_live_household", access_codes.c.household_id, unique=True,
         sqlite_where=access_codes.c.revoked_at.is_(None), postgresql_where=access_codes.c.revoked_at.is_(None))


def access_code(conn: sa.Connection, code_hash: str):
    return conn.execute(sa.select(access_codes).where(access_codes.c.code_hash == code_hash)).first()


def replace_access_code(conn: sa.Connection, *, code_hash: str, household_id: str, issued_by: str,
                        issued_at: datetime, expires_at: datetime) -> None:
    """The household's new code; any earlier one stops working."""
    conn.execute(access_codes.update()
                 .where(access_codes.c.household_id == household_id, access_codes.c.revoked_at.is_(None))
                 .values(revoked_at=issued_at))
    conn.execute(access_codes.insert(), {"code_hash": code_hash, "household_id": household_id,
                                         "issued_by": issued_by, "issued_at": issued_at, "expires_at": expires_at})
