"""Each service's migration to messaging schema v2 (the lease's generation) upgrades, downgrades
and upgrades again on SQLite and PostgreSQL, keeping the lease row."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from servicekit import migrations
from servicekit.clock import FixedClock
from servicekit.database import Database
from servicekit.messaging_schema import relay_lease
from servicekit.relay import Lease

FENCING = {"intake": "0016", "deliberation": "0005", "dispatch": "0007", "evaluation": "0005"}


def _lease_columns(db: Database) -> dict[str, bool]:
    return {c["name"]: c["nullable"] for c in sa.inspect(db.engine).get_columns("relay_lease")}


@pytest.mark.parametrize("service", sorted(FENCING))
def test_the_lease_generation_migration_round_trips(service, database_url):
    db = Database(database_url)
    try:
        migrations.upgrade(db, service, FENCING[service])
        assert _lease_columns(db) == {c.name: c.nullable for c in relay_lease.columns}  # what the code uses
        clock = FixedClock(datetime(2026, 11, 2, tzinfo=UTC))
        assert Lease(db, "relay-a", clock).hold() == 1

        migrations.downgrade(db, service, "-1")
        assert "generation" not in _lease_columns(db)
        with db.read() as conn:
            assert conn.execute(sa.text("SELECT holder FROM relay_lease WHERE name = 'outbox'")).scalar_one() == \
                "relay-a"

        migrations.upgrade(db, service, FENCING[service])
        assert _lease_columns(db)["generation"] is False
        with db.read() as conn:  # the kept row starts again at generation 0: a new holder gets 1
            assert conn.execute(sa.text("SELECT generation FROM relay_lease WHERE name = 'outbox'")).scalar_one() == 0
    finally:
        db.dispose()
