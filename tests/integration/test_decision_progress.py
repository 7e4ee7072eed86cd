"""A decision's progress (议定事项落实) kept from dispatch's and evaluation's reports on deliberation's
real database (SQLite, and PostgreSQL where present): resolved, reopened for rework, rated; a late
older report changes nothing; a task that hands out no decision's action is not deliberation's."""
from __future__ import annotations

from datetime import timedelta

import pytest

from servicekit.events import Inbound
from servicekit.ids import new_id
from services.deliberation.progress.domain import ActionRated, ActionReopened, ActionResolved
from services.deliberation.topics.handlers import ActionInput
from tests.integration.deliberation_county import build_county
from tests.integration.test_deliberation_cycle import MEETING, accepted_topic, secretary


@pytest.fixture
def county(database_url, migrated_db, clock):
    return build_county(migrated_db("deliberation", database_url), clock)


def decided(county):
    topic = accepted_topic(county)
    with secretary(county):
        county.panels.confirm(topic.topic_id, [county.ids[f"m-{i}"] for i in range(5)])
        for i in range(5):
            county.topics.add_opinion(topic.topic_id, "同意", county.ids[f"m-{i}"])
        county.topics.record_consensus(topic.topic_id, "限期清理")
        return county.topics.record_decision(topic.topic_id, MEETING, "", "限期清理", [
            ActionInput("清理楼道", "2026-11-30", "joint"), ActionInput("张贴公约", "2026-12-05")]).topic


def report(county, handle, event, at):
    inbound = Inbound(event, new_id(), at, "dispatch", county.place("nb-1"), "")
    with county.wiring.units.start() as uow:
        handle(uow, [inbound])


def progress_of(county, topic_id):
    with secretary(county):
        view = county.topics.get(topic_id)
    return view.decision_progress, [view.progress.get(a.action_id) for a in view.topic.decision.actions]


def test_resolved_reworked_and_rated_actions_show_on_their_decision(county, clock):
    topic = decided(county)
    decision, (first, _) = topic.decision, topic.decision.actions
    now, handler = clock.now(), county.progress
    report(county, handler.resolved, ActionResolved(decision.decision_id, first.action_id, now, True), now)
    report(county, handler.rated, ActionRated(decision.decision_id, first.action_id, "unsatisfied", now), now)
    summary, (one, two) = progress_of(county, topic.topic_id)
    assert (summary.actions, summary.resolved, summary.ratings["unsatisfied"]) == (2, 1, 1)
    assert (one.resolved_at, one.on_time, one.rating, two) == (now, True, "unsatisfied", None)

    later = now + timedelta(days=2)
    report(county, handler.reopened, ActionReopened(decision.decision_id, first.action_id, 1), later)
    assert progress_of(county, topic.topic_id)[0].resolved == 0
    # A resolution reported before the reopening, arriving late (a replay), changes nothing.
    report(county, handler.resolved, ActionResolved(decision.decision_id, first.action_id, now, True), now)
    summary, (one, _) = progress_of(county, topic.topic_id)
    assert (summary.resolved, one.rework_rounds) == (0, 1)

    report(county, handler.resolved, ActionResolved(decision.decision_id, first.action_id, later, False),
           later + timedelta(hours=1))
    report(county, handler.rated, ActionRated(decision.decision_id, first.action_id, "satisfied", later), later)
    report(county, handler.rated, ActionRated(decision.decision_id, first.action_id, "unsatisfied", now), later)
    summary, (one, _) = progress_of(county, topic.topic_id)
    assert (summary.resolved, summary.ratings, one.on_time, one.rating) == (
        1, {"satisfied": 1, "basically_satisfied": 0, "unsatisfied": 0}, False, "satisfied")


def test_a_task_handing_out_no_decisions_action_is_not_kept(county, clock):
    now = clock.now()
    report(county, county.progress.resolved, ActionResolved("", "", now, True), now)
    with county.db.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM action_progress").scalar() == 0
