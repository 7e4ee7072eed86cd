"""Votes at the same moment on deliberation's real database (SQLite, and PostgreSQL where
present, where they truly run side by side): two from one household count once, and no vote
lands after the vote closed, so the closed tally is every vote kept."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from servicekit.errors import FailedPrecondition
from services.deliberation.votes.storage import votes
from tests.integration.deliberation_county import build_county
from tests.integration.test_deliberation_cycle import draft, secretary


@pytest.fixture
def county(database_url, migrated_db, clock):
    return build_county(migrated_db("deliberation", database_url), clock, households=40)


def published(county) -> str:
    topic = draft(county, county.pool_concerns("nb-1", 1))
    with secretary(county):
        county.topics.publish(topic.topic_id)
    return topic.topic_id


def cast(county, household: str, choice: str, topic_id: str) -> str:
    with county.acting_as("resident", "nb-1", household):
        try:
            county.votes.cast(topic_id, choice)
            return "cast"
        except FailedPrecondition:
            return "refused"


def test_two_votes_of_one_household_at_the_same_moment_count_once(county):
    topic_id = published(county)
    start = threading.Barrier(8)

    def vote(choice):
        start.wait()
        return cast(county, "h-0", choice, topic_id)

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(vote, ["yes", "no"] * 4)) == {"cast"}
    with county.acting_as("party_secretary", "nb-1", "m-0"):
        tally = county.votes.tally(topic_id)
    assert tally.count.yes + tally.count.no == 1


def test_no_vote_lands_after_the_vote_closed(county):
    topic_id = published(county)
    start = threading.Barrier(41)

    def vote(h):
        start.wait()
        return cast(county, f"h-{h}", "yes", topic_id)

    def close():
        start.wait()
        deadline = time.monotonic() + 10
        while kept_now() < 5:  # some votes in, the rest still arriving
            assert time.monotonic() < deadline, "no votes landed"
            time.sleep(0.001)
        with secretary(county):
            return county.votes.close_early(topic_id).topic

    def kept_now():
        with county.db.read() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(votes)
                                .where(votes.c.topic_id == topic_id)).scalar()

    with ThreadPoolExecutor(41) as pool:
        outcomes = [pool.submit(vote, h) for h in range(40)]
        closed = pool.submit(close).result()
    cast_ok = sum(1 for o in outcomes if o.result() == "cast")
    with county.db.read() as conn:
        kept = conn.execute(sa.select(sa.func.count()).select_from(votes).where(votes.c.topic_id == topic_id)).scalar()
    assert closed.count.yes == kept == cast_ok >= 5
