"""Bulk inserts for benches that load a county: rows of one shape straight to the driver's
executemany, each value made ready for the backend here. SQLAlchemy's own insert runs every value
through its type's bind processor, which for a million rows of timestamps costs more than SQLite
writing them; here a timestamp is formatted once, as SQLAlchemy would store it."""
from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from servicekit.database import UtcDateTime

CHUNK = 50_000
LOADING_CACHE_KIB = 256 * 1024


def _sqlite_time(value: datetime | None) -> str | None:
    # SQLAlchemy's SQLite DateTime text ("2026-01-01 08:00:00.000000"), of the naive UTC time
    # UtcDateTime stores: stored alike, compared alike. (The UTC time's text without its "+00:00".)
    return None if value is None else value.astimezone(UTC).isoformat(" ", "microseconds")[:26]


def _sqlite_day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _naive_utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None)


def _converters(conn: sa.Connection, table: sa.Table, columns: list[str]) -> dict[int, Callable[[Any], Any]]:
    """By column position, how its values become what the driver takes (the others go as they are)."""
    sqlite = conn.dialect.name == "sqlite"
    found: dict[int, Callable[[Any], Any]] = {}
    for at, name in enumerate(columns):
        kind = table.c[name].type
        if isinstance(kind, UtcDateTime):
            found[at] = _sqlite_time if sqlite else _naive_utc
        elif isinstance(kind, sa.Date) and sqlite:
            found[at] = _sqlite_day
    return found


def insert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Rows (dicts with the same keys, columns of `table`) inserted CHUNK at a time."""
    if not rows:
        return
    columns = list(rows[0])
    values_of = operator.itemgetter(*columns)
    marks = ", ".join(["?" if conn.dialect.paramstyle == "qmark" else "%s"] * len(columns))
    statement = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
    converters = _converters(conn, table, columns)
    for start in range(0, len(rows), CHUNK):
        batch = [list(values_of(row)) for row in rows[start:start + CHUNK]]
        for at, convert in converters.items():
            for values in batch:
                values[at] = convert(values[at])
        conn.exec_driver_sql(statement, [tuple(values) for values in batch])


@contextmanager
def roomy_cache(conn: sa.Connection) -> Iterator[None]:
    """On SQLite, a page cache of LOADING_CACHE_KIB while loading (a million rows' indexes do not fit
    the default 2 MB: a fifth of the load goes to paging them), set back as it was afterwards so
    that what is timed later runs as the service would."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{LOADING_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {before}")
