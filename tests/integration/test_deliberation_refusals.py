"""Inputs deliberation refuses with a clear reason and without changing anything, however they
reach it (straight over gRPC, past the gateway's checks), and the close of a vote racing its
timer on PostgreSQL, where both take row locks."""
from __future__ import annotations

import base64
import threading
import time

import pytest
import sqlalchemy as sa

from servicekit.config import RuntimeSettings
from servicekit.errors import FailedPrecondition, InvalidArgument
from servicekit.ids import new_id
from servicekit.timer_runner import TimerRunner
from servicekit.timers import timers
from services.deliberation.topics.handlers import VOTE_CLOSES, ActionInput
from tests.integration.deliberation_county import build_county
from tests.integration.test_deliberation_cycle import MEETING, accepted_topic, draft, secretary


@pytest.fixture
def county(database_url, migrated_db, clock):
    return build_county(migrated_db("deliberation", database_url), clock)


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "2026-13", "2026-1", "٢٠٢٦-01", "2026-12\n"])
def test_a_month_beyond_the_calendar_is_refused(county, month):
    with secretary(county), pytest.raises(InvalidArgument, match="month must be a month"):
        county.topics.agenda(county.ids["nb-1"], month)


@pytest.mark.parametrize("period", ["0001", "0001-06", "10000", "2026-00", "2026-W01", "2026-Q5", "2026-Q0", "2026-q4",
                                    "2026-Q", "2026-Q12", "0001-Q1"])
def test_a_period_beyond_the_calendar_is_refused(county, period):
    with secretary(county), pytest.raises(InvalidArgument, match="period must be a year"):
        county.figures.figures(county.ids["nb-1"], period)


@pytest.mark.parametrize("meeting_on", ["2026-W01-1", "2026-02-30", "20261220", "0001-01-01", "9999-05-01"])
def test_a_meeting_day_must_be_a_real_date(county, meeting_on):
    concern = county.pool_concerns("nb-1", 1)
    with pytest.raises(InvalidArgument, match="meeting_on must be a date"):
        draft(county, concern, meeting_on=meeting_on)


def test_a_concern_id_holding_nul_is_simply_not_in_the_pool(county):
    with pytest.raises(InvalidArgument, match="not in this neighbourhood's pool"):
        draft(county, ["\x00abc"])


def test_a_forged_page_token_is_refused(county):
    token = base64.urlsafe_b64encode(b"key:\x00").decode().rstrip("=")
    with secretary(county), pytest.raises(InvalidArgument, match="page_token"):
        county.topics.list(county.ids["nb-1"], [], 0, token)


def test_a_panel_of_thousands_is_refused_before_anyone_is_looked_up(county, monkeypatch):
    topic = accepted_topic(county)

    def looked_up(*args):
        raise AssertionError("the directory was read for a list no panel could be")

    monkeypatch.setattr(county.panels.replica, "known", looked_up)
    monkeypatch.setattr(county.panels.replica, "within", looked_up)
    with secretary(county), pytest.raises(InvalidArgument, match="5 to 10 members, not 40000"):
        county.panels.confirm(topic.topic_id, [new_id() for _ in range(40000)])


def test_an_actions_owner_serves_or_is_a_body_never_a_household(county):
    topic = accepted_topic(county)
    with secretary(county):
        county.panels.confirm(topic.topic_id, [county.ids[f"m-{i}"] for i in range(5)])
        for i in range(5):
            county.topics.add_opinion(topic.topic_id, "同意", county.ids[f"m-{i}"])
        county.topics.record_consensus(topic.topic_id, "限期清理")
        with pytest.raises(InvalidArgument, match=r"actions\[1\].owner_id: no member, volunteer, body"):
            county.topics.record_decision(topic.topic_id, MEETING, "", "限期清理", [
                ActionInput("清理楼道", "2026-11-30", "joint", county.ids["v-1"]),
                ActionInput("张贴公约", "2026-11-30", "", county.ids["h-3"], "101室")])
        with pytest.raises(InvalidArgument, match=r"actions\[0\].deadline must be a date.*actions\[1\].deadline is "):
            county.topics.record_decision(topic.topic_id, MEETING, "", "限期清理", [
                ActionInput("清理楼道", "2026-02-30"), ActionInput("张贴公约", "")])
        assert county.topics.get(topic.topic_id).topic.state == "consensus_reached"


def test_the_secretary_naming_someone_off_the_panel_is_bad_input(county):
    topic = accepted_topic(county)
    with secretary(county):
        county.panels.confirm(topic.topic_id, [county.ids[f"m-{i}"] for i in range(5)])
        with pytest.raises(InvalidArgument, match=f"member_id: {county.ids['m-6']} is not on"):
            county.topics.add_opinion(topic.topic_id, "同意", county.ids["m-6"])


def waiting_for_a_lock(county, within_s: float = 5) -> None:
    """Until another session of this database waits on a row lock."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        with county.db.engine.connect() as conn:
            if conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                    "AND wait_event_type = 'Lock'")).scalar():
                return
        time.sleep(0.02)
    raise AssertionError("nobody waited on a lock: the race was not run")


def test_the_secretary_closing_while_the_timer_fires_waits_its_turn(postgres_url, migrated_db, clock):
    """The timer runner claims the timer's row, then locks the topic; closing early takes them in
    the same order, so one waits for the other instead of both deadlocking."""
    county = build_county(migrated_db("deliberation", postgres_url), clock)
    topic = draft(county, county.pool_concerns("nb-1", 1))
    with secretary(county):
        county.topics.publish(topic.topic_id)
    clock.advance(days=7, seconds=1)
    claimed, go_on = threading.Event(), threading.Event()
    close_due = county.wiring.timers[VOTE_CLOSES]

    def slow_close_due(uow, timer):
        claimed.set()
        go_on.wait(5)
        close_due(uow, timer)

    runner = TimerRunner(county.wiring.units, {VOTE_CLOSES: slow_close_due}, RuntimeSettings(), clock, "test")
    firing = threading.Thread(target=runner.fire_due)
    firing.start()
    assert claimed.wait(5)
    outcome: list[object] = []

    def close_early():
        try:
            with secretary(county):
                outcome.append(county.votes.close_early(topic.topic_id))
        except Exception as exc:
            outcome.append(exc)

    closing = threading.Thread(target=close_early)
    closing.start()
    waiting_for_a_lock(county)  # closing early now waits on the timer's row
    go_on.set()
    firing.join(10)
    closing.join(10)
    (refused,) = outcome
    # No votes: rejected (quorum missed) by the timer; the secretary is told where it is, no 500.
    assert isinstance(refused, FailedPrecondition) and "is rejected" in refused.detail
    with county.db.read() as conn:
        assert conn.execute(sa.select(timers.c.fired_at, timers.c.last_error)).one()[1] is None
    with secretary(county):
        closed = county.topics.get(topic.topic_id).topic
    assert (closed.state, closed.closed_early, closed.vote_closed_at) == ("rejected", False, closed.vote_closes_at)
