"""Alembic, run programmatically: each service keeps its migrations in `services/<name>/migrations`."""
from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config

from servicekit.database import Database, prepare


def upgrade(db: Database, service: str, revision: str = "head") -> None:
    """Bring `service`'s database to `revision` (and switch SQLite to WAL first)."""
    prepare(db.engine)
    _run(db, service, lambda config: command.upgrade(config, revision))


def downgrade(db: Database, service: str, revision: str) -> None:
    """Take `service`'s database back to `revision` (each later revision's downgrade, newest first)."""
    _run(db, service, lambda config: command.downgrade(config, revision))


_LOCK = sa.text("SELECT pg_advisory_lock(hashtext(:name))")
_UNLOCK = sa.text("SELECT pg_advisory_unlock(hashtext(:name))")


def _run(db: Database, service: str, step: Callable[[Config], None]) -> None:
    config = Config()
    config.set_main_option("script_location", f"services.{service}:migrations")
    with db.engine.connect() as conn:
        conn.execution_options(lianyi_write=True)  # one migrator at a time on SQLite
        locked = conn.dialect.name == "postgresql"
        if locked:
            # One migrator at a time on PostgreSQL too: replicas starting together (their init
            # containers) take turns, and the later ones find the schema at head. A session lock
            # (the migrations connect to the primary directly, not through the transaction pooler),
            # released below: the pool keeps the session.
            conn.execute(_LOCK, {"name": f"lianyi.migrate.{service}"})
            conn.commit()
        try:
            config.attributes["connection"] = conn
            step(config)
            conn.commit()
        finally:
            if locked:
                conn.rollback()
                conn.execute(_UNLOCK, {"name": f"lianyi.migrate.{service}"})
                conn.commit()


def run_env(target_metadata: list[sa.MetaData]) -> None:
    """The body of every service's migrations/env.py (online mode only); `target_metadata` is
    every table the service's code defines (what autogenerate compares against)."""
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
