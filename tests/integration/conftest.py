"""Integration fixtures: each service's real database, migrated, on SQLite and PostgreSQL."""
from datetime import UTC, datetime

import pytest

from servicekit import migrations
from servicekit.clock import FixedClock
from servicekit.database import Database


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))


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


@pytest.fixture
def places():
    """A factory: `places(intake_db, clock)` builds a small directory and returns ids by name:
    county, township, community, nb-1, nb-2 (neighbourhoods), b-1 (a building in nb-1), h-0..h-2."""
    def build(db: Database, clock) -> dict[str, str]:
        directory = intake_parts(db, clock).directory
        ids = {"county": directory.create(kind="county", name="示范县").entity_id}
        ids["township"] = directory.create(kind="township", name="城关镇", parent_id=ids["county"]).entity_id
        ids["community"] = directory.create(kind="community", name="南门社区", parent_id=ids["township"]).entity_id
        for n in ("nb-1", "nb-2"):
            ids[n] = directory.create(kind="neighbourhood", name=n, parent_id=ids["community"]).entity_id
        ids["b-1"] = directory.create(kind="building", name="1号楼", parent_id=ids["nb-1"]).entity_id
        for h in range(3):
            ids[f"h-{h}"] = directory.create(kind="household", name=f"10{h}室", parent_id=ids["b-1"]).entity_id
        return ids

    return build


@pytest.fixture
def desk(database_url, migrated_db, places, clock):
    """Intake's triage on `database_url`, with intake's concern handlers as `desk.intake` and the
    small directory's ids as `desk.ids`."""
    parts = intake_parts(migrated_db("intake", database_url), clock)
    desk = parts.triage
    desk.intake, desk.parts = parts.concerns, parts
    desk.ids = places(parts.db, clock)
    return desk


def intake_parts(db: Database, clock):
    """Intake's handlers on `db`, connected as the service connects them."""
    from servicekit import topics
    from servicekit.outbox import Outbox
    from services.intake.wiring import assemble

    return assemble(db, Outbox(topics.INTAKE), clock)
