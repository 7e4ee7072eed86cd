"""Fixtures shared by every layer: databases (SQLite, and PostgreSQL where present) and the broker."""
from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from localrun import processes
from localrun.broker import start_tansu
from servicekit.config import RuntimeSettings

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Runs last: it proves `make run` comes up on the default addresses after the rest of the suite.
MAKE_RUN_CHECK = Path(__file__).parent / "e2e" / "test_make_run.py"


E2E = Path(__file__).parent / "e2e"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items) -> None:
    """Unmarked tests first, then those that move time for real processes (`moves_time`), then the
    make-run check; the order within each group stays as collected. With pytest-xdist (make test
    runs two workers), the end-to-end tests share one worker, in that order, since they share one
    running system. First among the hooks: xdist's worker reads the group marker in its own hook,
    and a marker added after it would leave each worker starting a system of its own."""
    def group(item) -> int:
        if item.path == MAKE_RUN_CHECK:
            return 2
        return 1 if item.get_closest_marker("moves_time") else 0

    items.sort(key=group)
    for item in items:
        if E2E in Path(item.path).parents:
            item.add_marker(pytest.mark.xdist_group("e2e"))


def _postgres_url() -> str | None:
    """The server to create test databases on, or None (with CI set, its absence is an error)."""
    url = os.environ.get("LIANYI_TEST_POSTGRES_URL")
    if url:
        return url
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
        return DEFAULT_POSTGRES_URL
    except OSError:
        return None


POSTGRES_URL = _postgres_url()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path: Path):
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'service.db'}"
        return
    yield from _fresh_postgres_database()


@pytest.fixture
def other_database_url(database_url, tmp_path: Path):
    """A second fresh database of the same kind as `database_url`, for a second service."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'other-service.db'}"
        return
    yield from _fresh_postgres_database()


@pytest.fixture
def postgres_url():
    """A fresh PostgreSQL database, dropped afterwards, for what only PostgreSQL has."""
    yield from _fresh_postgres_database()


def _fresh_postgres_database():
    if POSTGRES_URL is None:
        reason = "PostgreSQL not available: set LIANYI_TEST_POSTGRES_URL or run one on 127.0.0.1:5432"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI is set, so PostgreSQL tests must run)")
        pytest.skip(reason)
    server = sa.make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    name = f"lianyi_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session")
def broker(tmp_path_factory) -> str:
    """A real Tansu broker on a free loopback port, for the whole session."""
    address = f"127.0.0.1:{processes.free_port()}"
    log_dir = tmp_path_factory.mktemp("broker")
    process = start_tansu(address, log_dir / "broker.log")
    yield address
    processes.stop(process)


@pytest.fixture
def runtime_settings(broker) -> RuntimeSettings:
    """Settings for in-process relays and consumers against the test broker, tuned for speed."""
    return RuntimeSettings(
        broker=broker,
        kafka_max_poll_interval_ms=2000,
        kafka_session_timeout_ms=6000,
        kafka_heartbeat_interval_ms=500,
        relay_idle_poll_s=0.05,
        consumer_max_attempts=3,
    )
