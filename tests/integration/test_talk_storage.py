"""Sit-down talk sessions on a real database (SQLite, and PostgreSQL where present)."""
import base64
from datetime import timedelta

import pytest

from servicekit.errors import InvalidArgument
from tests.integration.conftest import intake_parts


def test_talk_sessions_list_in_the_order_they_were_held_across_pages(database_url, migrated_db, places, clock):
    db = migrated_db("intake", database_url)
    ids = places(db, clock)
    parts = intake_parts(db, clock)
    directory, talks = parts.directory, parts.talks
    venue = directory.create(kind="venue", name="老年协会", parent_id=ids["nb-1"]).entity_id
    host = directory.create(kind="volunteer", name="林阿姨", parent_id=ids["nb-1"]).entity_id
    today = clock.now().date()
    held = [today - timedelta(days=d) for d in (3, 9, 1, 9, 6)]  # recorded in this order
    for day in held:
        talks.record(venue_id=venue, held_on=day.isoformat(), host_ids=[host], attendance=5, entries=[])
    listed, token = talks.list(ids["nb-1"], 2, "")
    while token:
        more, token = talks.list(ids["nb-1"], 2, token)
        listed += more
    assert [s.held_on for s in listed] == sorted(held)
    with pytest.raises(InvalidArgument, match="page_token"):
        talks.list(ids["nb-1"], 2, "Zm9yZ2Vk")
    # Forged keys the database would choke on (a position past a BIGINT, a day in another form).
    for key in ("2026-01-01/99999999999999999999", "20260101/1", "2026-W01-1/1", "2026-01-01/-1"):
        forged = base64.urlsafe_b64encode(f"key:{key}".encode()).decode().rstrip("=")
        with pytest.raises(InvalidArgument, match="page_token"):
            talks.list(ids["nb-1"], 2, forged)
