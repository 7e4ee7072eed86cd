"""Integration fixtures: each service's real database, migrated, on SQLite and PostgreSQL."""
from datetime import datetime, timezone

import pytest

from servicekit import migrations
from servicekit.clock import FixedClock
from servicekit.database import Database


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc))


@pytest.fixture
def migrated_db():
    """A factory: `migrated_db(service, url)` gives that service's database at head."""
    opened = []

    def open_db(service: str, url: str) -> Database:
        db = Database(url)
        migrations.upgrade(db, service)
        opened.append(db)
        return db

    yield open_db
    for db in opened:
        db.dispose()
