"""Unit-test fixtures: an in-memory SQLite database (no files, no network)."""
import pytest

from servicekit.database import Database
from servicekit.messaging_schema import metadata as messaging_metadata


@pytest.fixture
def memory_db() -> Database:
    db = Database("sqlite://")
    messaging_metadata.create_all(db.engine)
    yield db
    db.dispose()
