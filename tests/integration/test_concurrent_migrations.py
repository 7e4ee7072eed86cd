"""Replicas starting together migrate one at a time (PostgreSQL: an advisory lock per service):
two migrators at once end with one schema at head and no error."""
from __future__ import annotations

import threading

import sqlalchemy as sa

from servicekit import migrations
from servicekit.database import Database


def test_two_migrators_at_once_end_with_one_schema_and_no_error(postgres_url):
    outcomes: list[object] = []
    start = threading.Barrier(2)

    def migrate() -> None:
        db = Database(postgres_url)
        try:
            start.wait(10)
            migrations.upgrade(db, "dispatch")
            outcomes.append("ok")
        except Exception as exc:
            outcomes.append(exc)
        finally:
            db.dispose()

    threads = [threading.Thread(target=migrate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert outcomes == ["ok", "ok"], outcomes
    db = Database(postgres_url)
    try:
        with db.read() as conn:
            versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
            held = conn.execute(sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).scalar()
        assert len(versions) == 1 and held == 0, (versions, held)
    finally:
        db.dispose()
