"""Database access: one engine per service, and write transactions that behave the same on
SQLite (the embedded default) and PostgreSQL (production).
"""
from __future__ import annotations

import functools
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect, Engine

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """Timestamps stored as naive UTC and always returned timezone-aware.

    SQLite has no time zones; keeping one convention means both backends compare alike.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: object, dialect: Dialect) -> datetime | None:
        assert value is None or isinstance(value, datetime)
        return None if value is None else value.replace(tzinfo=UTC)

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], datetime | None] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        # SQLite hands back the ISO text SQLAlchemy stored: parse it and set UTC in one call
        # instead of SQLAlchemy's parser wrapped by process_result_value (every timestamp read).
        parse, utc = datetime.fromisoformat, UTC

        def process(value: str | None) -> datetime | None:
            return None if value is None else parse(value).replace(tzinfo=utc)

        return process


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use the psycopg 3 driver for them."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def create_engine(url: str) -> Engine:
    """An engine with the settings lianyi relies on for its backend."""
    url = normalise_url(url)
    # Errors must not carry the values bound to a statement: they hold residents' phone numbers.
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_size=8, max_overflow=16, pool_pre_ping=True, hide_parameters=True)
    connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    if sa.make_url(url).database in (None, "", ":memory:"):
        # In-memory (unit tests): one shared connection, or every checkout sees an empty database.
        engine = sa.create_engine(url, poolclass=sa.pool.StaticPool, connect_args=connect_args,
                                  hide_parameters=True)
    else:
        engine = sa.create_engine(url, pool_size=8, max_overflow=16, connect_args=connect_args,
                                  hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: object) -> None:
        # Take transaction control from the sqlite3 module so BEGIN is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        # In WAL mode NORMAL survives a process crash (not a power cut) and avoids an fsync per commit.
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A deferred transaction that reads and then writes fails with "database is locked" when
        # another process wrote in between; IMMEDIATE takes the write lock up front instead.
        immediate = conn.get_execution_options().get("lianyi_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def insert_or_ignore(conn: Connection, table: sa.Table, **values: Any) -> bool:
    """Insert a row unless one with the same key exists; True if inserted.

    One statement, and a conflict does not abort the transaction (as a failed INSERT would on
    PostgreSQL), so it is safe inside a batch.
    """
    return bool(insert_or_ignore_many(conn, table, [values]))


def insert_or_ignore_many(conn: Connection, table: sa.Table, rows: list[dict[str, Any]],
                          key: str | None = None) -> set[Any]:
    """Insert the rows whose key is new (the first of any repeated within `rows`), in order;
    returns the values of column `key` (by default the primary key's first) of those inserted.
    One statement for the lot, not one per row."""
    if not rows:
        return set()
    statement = _insert_or_ignore_statement(table, conn.dialect.name, key)
    return {row[0] for row in conn.execute(statement, rows).all()}


@functools.cache
def _insert_or_ignore_statement(table: sa.Table, dialect: str, returning: str | None = None) -> sa.Executable:
    # Built once per table: constructing a statement per row costs more than running it.
    # RETURNING, not rowcount: with psycopg, SQLAlchemy does not report rowcount for this form.
    columns = [table.c[returning]] if returning else list(table.primary_key.columns)
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing().returning(*columns)
    return sqlite.insert(table).on_conflict_do_nothing().returning(*columns)


# PostgreSQL's SQLSTATE classes of errors that pass: connection lost (08), transaction rolled back
# by a deadlock or serialisation failure (40), out of resources such as disk or connections (53),
# system errors such as I/O (58), lock not available (55P03), server shutting down or starting
# (57P01-57P03), and a read-only transaction (25006: a standby, just after a failover). A statement
# timeout (57014) is not among them: a statement that always times out would be retried forever.
_PASSING_CLASSES = ("08", "40", "53", "58")
_PASSING_STATES = ("25006", "55P03", "57P01", "57P02", "57P03")
# SQLite's messages for the same: another writer, a full disk, or the file briefly out of reach.
_PASSING_SQLITE = ("database is locked", "database table is locked", "database or disk is full", "disk i/o error",
                   "unable to open database file")


def is_outage(exc: BaseException) -> bool:
    """True if the database failed for a reason that passes (retry: it is nobody's fault), False
    for one that repeats however often it is tried (a missing table, a value too large: a bug or a
    poison, to be counted and given up on) and for anything that is no database error."""
    if isinstance(exc, sa.exc.InterfaceError | sa.exc.TimeoutError):  # TimeoutError: no pooled connection free
        return True
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    state = getattr(exc.orig, "sqlstate", None)
    if state:  # PostgreSQL
        return state[:2] in _PASSING_CLASSES or state in _PASSING_STATES
    if isinstance(exc.orig, sqlite3.Error):
        message = str(exc.orig).lower()
        return any(text in message for text in _PASSING_SQLITE)
    # A driver error with no state: the connection itself failed (refused, reset, unknown host).
    return isinstance(exc, sa.exc.OperationalError)


def prepare(engine: Engine) -> None:
    """One-time database set-up before any worker starts (WAL on SQLite; nothing elsewhere)."""
    if engine.dialect.name == "sqlite":
        # Outside any transaction (SQLAlchemy would begin one): the raw driver connection.
        raw = engine.raw_connection()
        try:
            raw.cursor().execute("PRAGMA journal_mode = WAL")
        finally:
            raw.close()


@dataclass
class Transaction:
    """An open write transaction: its connection, and what to do once it has committed."""

    conn: Connection
    _after_commit: list[Callable[[], None]] = field(default_factory=list)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` only if and after the transaction commits."""
        self._after_commit.append(callback)


class Database:
    """A service's own database."""

    def __init__(self, url: str):
        self.engine = create_engine(url)
        # SQLite has one writer at a time. Queueing this process's writers on a lock is far cheaper
        # than letting them collide on the file lock and back off in SQLite's busy handler.
        self._write_lock = threading.Lock() if self.backend == "sqlite" else nullcontext()

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Transaction]:
        """One write transaction: committed on normal exit, rolled back on an exception."""
        with self._write_lock, self.engine.connect() as conn:
            conn.execution_options(lianyi_write=True)
            with conn.begin():
                tx = Transaction(conn)
                yield tx
        for callback in tx._after_commit:
            # The transaction has committed: a failing callback (a cache to drop) must neither undo
            # that in the caller's eyes nor stop the others.
            try:
                callback()
            except Exception:
                log.exception("an after-commit callback failed; the transaction stands")

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (a consistent snapshot on both backends)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()
