"""Dispatch hands out work (办事) on a real database (SQLite, and PostgreSQL where present): a
direct concern becomes its building leader's task or waits in the pool; members claim, get help,
note progress and resolve; joint tasks wait for their bodies' parts; a decision's actions become
tasks; the ledger follows every commitment."""
from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from lianyi.deliberation.v1 import events_pb2 as deliberation_pb
from lianyi.dispatch.v1 import events_pb2 as pb
from lianyi.intake.v1.events_pb2 import ConcernReceived
from servicekit import envelope, topics
from servicekit.errors import Conflict, FailedPrecondition, NotFound, PermissionDenied
from servicekit.ids import new_id
from tests.integration.dispatch_county import County, build_county


@pytest.fixture
def county(database_url, migrated_db, clock) -> County:
    return build_county(migrated_db("intake", "sqlite://"), migrated_db("dispatch", database_url), clock)


# -- opening ------------------------------------------------------------------------------------

def test_a_direct_concern_in_a_led_building_is_its_leaders_task(county):
    task_id = county.open_concern("b-1")

    task = county.tasks.get(task_id).task
    assert (task.tier, task.state, task.mode, task.handler.id) == ("individual", "in_handling", "fixed",
                                                                   county.ids["lead"])
    assert county.event_types() == ["TaskOpened", "TaskAssigned", "ConcernProgressed"]
    (assigned,) = county.sent(pb.TaskAssigned)
    assert (assigned.handler_id, assigned.mode) == (county.ids["lead"], pb.ASSIGNMENT_MODE_FIXED)
    assert county.progress(task_id) == ["in_handling"]
    assert [(c.member_id, c.state, c.mode) for c in county.commitments(task_id)] == [
        (county.ids["lead"], "open", "fixed")]


def test_a_redelivered_concern_changes_nothing(county):
    sealed = county.concern("b-1")
    county.deliver(ConcernReceived, topics.INTAKE, sealed)
    sent = county.event_types()
    again = envelope.seal(envelope.open_payload(sealed, ConcernReceived), producer="intake", place=county.place(),
                          occurred_at=county.clock.now())  # the same concern under a new event id

    assert county.deliver(ConcernReceived, topics.INTAKE, sealed) == [False]
    assert county.deliver(ConcernReceived, topics.INTAKE, again) == [True]
    assert county.event_types() == sent
    assert len(county.commitments(envelope.open_payload(sealed, ConcernReceived).concern.concern_id)) == 1


def test_a_concern_in_a_building_without_a_leader_waits_in_the_pool(county):
    task_id = county.open_concern("b-2")

    task = county.tasks.get(task_id).task
    assert (task.tier, task.state, task.handler) == ("individual", "open", None)
    assert county.event_types() == ["TaskOpened", "ConcernProgressed"]
    assert county.commitments(task_id) == []


# -- claiming -----------------------------------------------------------------------------------

def test_of_two_members_claiming_one_pool_task_at_once_exactly_one_wins(county):
    task_id = county.open_concern("b-2")
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def claim(member: str) -> None:
        with county.member(member):
            start.wait()
            try:
                county.tasks.claim(task_id)
                outcomes[member] = "claimed"
            except Conflict:
                outcomes[member] = "conflict"

    threads = [threading.Thread(target=claim, args=(m,)) for m in ("m-1", "m-2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(outcomes.values()) == ["claimed", "conflict"]
    (winner,) = [m for m, outcome in outcomes.items() if outcome == "claimed"]
    (assigned,) = county.sent(pb.TaskAssigned)
    assert (assigned.handler_id, assigned.mode) == (county.ids[winner], pb.ASSIGNMENT_MODE_CLAIMED)
    assert [(c.member_id, c.state) for c in county.commitments(task_id)] == [(county.ids[winner], "open")]
    assert county.tasks.get(task_id).task.handler.id == county.ids[winner]


# -- individual handling --------------------------------------------------------------------------

def test_the_handler_gets_help_notes_progress_and_resolves_on_time(county):
    task_id = county.open_concern("b-1")
    county.clock.advance(hours=2)
    with county.acting_as("building_leader", entity="lead"):
        county.tasks.add_helper(task_id, county.ids["v-1"])
        county.tasks.note_progress(task_id, "已联系物业换灯")
        view = county.tasks.resolve(task_id, "楼道灯已换新")

    assert [h.id for h in view.task.helpers] == [county.ids["v-1"]]
    assert [s.step for s in view.history] == ["opened", "assigned", "helper_added", "progress", "resolved"]
    (resolved,) = county.sent(pb.TaskResolved)
    assert (resolved.on_time, resolved.handler_id, resolved.result) == (True, county.ids["lead"], "楼道灯已换新")
    assert resolved.resolved_at.ToDatetime(tzinfo=UTC) == county.clock.now()
    (helper,) = county.sent(pb.HelperAdded)
    assert helper.helper_id == county.ids["v-1"]
    (commitment,) = county.commitments(task_id)
    assert (commitment.state, commitment.on_time, commitment.fulfilled_at) == ("fulfilled", True, county.clock.now())
    assert county.progress(task_id) == ["in_handling", "resolved"]


def test_a_member_who_does_not_handle_the_task_cannot_resolve_it(county):
    task_id = county.open_concern("b-1")
    with county.member("m-1"), pytest.raises(PermissionDenied):
        county.tasks.resolve(task_id, "我来办结")
    assert county.tasks.get(task_id).task.state == "in_handling"


def test_a_member_of_another_neighbourhood_does_not_see_the_task(county):
    task_id = county.open_concern("b-1")
    with county.member("other-m", "nb-2"):
        with pytest.raises(NotFound):
            county.tasks.get(task_id)
        with pytest.raises(NotFound):
            county.tasks.claim(task_id)


# -- joint handling -------------------------------------------------------------------------------

def test_a_joint_task_is_resolved_only_after_each_bodys_part(county):
    task_id = county.open_concern("b-1", category="noise")
    assert county.tasks.get(task_id).task.tier == "joint"
    parts = [("party_secretary", "sec-nb-1", "约谈噪音住户"), ("owners_committee", "", "业委会上门劝导"),
             ("property_company", "", "物业夜间巡查")]

    for role, entity, part in parts:
        with county.secretary(), pytest.raises(FailedPrecondition, match="waiting for the part"):
            county.tasks.resolve(task_id, "噪音已停止")
        with county.acting_as(role, entity=entity):
            county.tasks.record_part(task_id, part, "已完成")
    with county.acting_as("owners_committee"), pytest.raises(PermissionDenied):
        county.tasks.resolve(task_id, "噪音已停止")
    with county.secretary():
        view = county.tasks.resolve(task_id, "噪音已停止")

    assert view.task.state == "resolved"
    assert sorted(view.task.parts) == ["owners_committee", "party_org", "property_company"]
    assert [p.body for p in county.sent(pb.PartRecorded)] == ["party_org", "owners_committee", "property_company"]
    (resolved,) = county.sent(pb.TaskResolved)
    assert (resolved.tier, resolved.on_time, resolved.handler_id) == (deliberation_pb.HANDLING_TIER_JOINT, True, "")
    assert county.commitments(task_id) == [], "no member committed: the bodies handle it"


# -- decided actions ------------------------------------------------------------------------------

def decision(county: County, *actions: deliberation_pb.DecidedAction) -> envelope.Envelope:
    payload = deliberation_pb.DecisionMade(decision_id=DECISION, topic_id=new_id(), neighbourhood_id=county.ids["nb-1"],
                                           title="楼道堆放鞋柜", resolution="一周内清理楼道", actions=actions,
                                           concern_ids=[CONCERN])
    payload.decided_at.FromDatetime(county.clock.now())
    return envelope.seal(payload, producer="deliberation", place=county.place(), occurred_at=county.clock.now())


DECISION, CONCERN = new_id(), new_id()


def test_a_decisions_actions_become_tasks_in_the_tiers_they_suggested(county):
    owned, joint = new_id(), new_id()
    county.deliver(deliberation_pb.DecisionMade, topics.DELIBERATION, decision(
        county,
        deliberation_pb.DecidedAction(action_id=owned, description="通知住户搬离鞋柜", owner_id=county.ids["m-1"],
                                      owner_name="m-1", tier=deliberation_pb.HANDLING_TIER_INDIVIDUAL,
                                      deadline="2026-11-09"),
        deliberation_pb.DecidedAction(action_id=joint, description="物业清运杂物", owner_id=county.ids["other-m"],
                                      tier=deliberation_pb.HANDLING_TIER_JOINT, deadline="2026-11-16")))

    mine, theirs = county.tasks.get(owned).task, county.tasks.get(joint).task
    assert (mine.tier, mine.state, mine.handler.id, mine.mode) == ("individual", "in_handling", county.ids["m-1"],
                                                                   "fixed")
    assert (mine.decision_id, mine.action_id, mine.concern_ids) == (DECISION, owned, (CONCERN,))
    # The end of 9 November in the county (UTC+8) is 16:00 UTC that day.
    assert mine.deadline == datetime(2026, 11, 9, 16, 0, tzinfo=UTC)
    assert (theirs.tier, theirs.state, theirs.handler) == ("joint", "in_handling", None), \
        "an owner outside the neighbourhood is nobody's commitment"
    assert theirs.deadline == datetime(2026, 11, 16, 16, 0, tzinfo=UTC)

    county.clock.advance(days=1)
    with county.member("m-1"):
        county.tasks.resolve(owned, "已通知到每户")
    (resolved,) = county.sent(pb.TaskResolved)
    assert (resolved.decision_id, resolved.action_id, resolved.on_time) == (DECISION, owned, True)


def test_a_decisions_concerns_are_resolved_when_its_last_action_is(county):
    first, second = new_id(), new_id()
    county.deliver(deliberation_pb.DecisionMade, topics.DELIBERATION, decision(county, *(
        deliberation_pb.DecidedAction(action_id=a, description=f"第{n}步", owner_id=county.ids["m-1"],
                                      tier=deliberation_pb.HANDLING_TIER_INDIVIDUAL, deadline="2026-11-09")
        for n, a in enumerate((first, second)))))

    with county.member("m-1"):
        county.tasks.resolve(first, "第一步完成")
        assert county.progress(CONCERN)[-1] == "in_handling", "one action of two is done: still in handling"
        county.tasks.resolve(second, "第二步完成")
    assert county.progress(CONCERN)[-1] == "resolved"
    assert len(county.sent(pb.TaskResolved)) == 2


def test_a_redelivered_decision_opens_no_second_task(county):
    action = deliberation_pb.DecidedAction(action_id=new_id(), description="巡查", deadline="2026-11-30")
    sealed = decision(county, action)
    county.deliver(deliberation_pb.DecisionMade, topics.DELIBERATION, sealed)
    again = decision(county, action)
    assert county.deliver(deliberation_pb.DecisionMade, topics.DELIBERATION, sealed, again) == [False, True]
    assert len(county.sent(pb.TaskOpened)) == 1


# -- rework and ratings ---------------------------------------------------------------------------

def test_rework_reopens_a_resolved_task_under_its_supervisor(county):
    from lianyi.evaluation.v1 import events_pb2 as evaluation_pb

    task_id = county.open_concern("b-1")
    with county.acting_as("building_leader", entity="lead"):
        county.tasks.resolve(task_id, "楼道灯已换新")
    rated = evaluation_pb.MatterRated(rating_id=new_id(), neighbourhood_id=county.ids["nb-1"], task_id=task_id,
                                      rating=evaluation_pb.RATING_UNSATISFIED)
    rated.rated_at.FromDatetime(county.clock.now())
    county.deliver(evaluation_pb.MatterRated, topics.EVALUATION, envelope.seal(
        rated, producer="evaluation", place=county.place(), occurred_at=county.clock.now()))
    (commitment,) = county.commitments(task_id)
    assert (commitment.rating, commitment.state) == ("unsatisfied", "fulfilled")

    county.clock.advance(hours=1)
    rework = evaluation_pb.ReworkRequested(rework_id=new_id(), neighbourhood_id=county.ids["nb-1"], task_id=task_id,
                                           supervisor_id=county.ids["sec-nb-1"], supervisor_name="书记",
                                           reason="灯又坏了")
    sealed = envelope.seal(rework, producer="evaluation", place=county.place(), occurred_at=county.clock.now())
    county.deliver(evaluation_pb.ReworkRequested, topics.EVALUATION, sealed)
    county.deliver(evaluation_pb.ReworkRequested, topics.EVALUATION, sealed)

    task = county.tasks.get(task_id).task
    assert (task.state, task.rework_round, task.supervisor.id, task.handler.id) == (
        "in_handling", 1, county.ids["sec-nb-1"], county.ids["lead"])
    (reopened,) = county.sent(pb.TaskReopened)
    assert (reopened.round, reopened.supervisor_id) == (1, county.ids["sec-nb-1"])
    assert county.progress(task_id) == ["in_handling", "resolved", "reopened"]
    (commitment,) = county.commitments(task_id)
    assert (commitment.state, commitment.rework_rounds) == ("open", 1)

    with county.acting_as("building_leader", entity="lead"):
        county.tasks.resolve(task_id, "换了新灯具")
    assert county.sent(pb.TaskResolved)[-1].round == 1
    assert county.commitments(task_id)[0].state == "fulfilled"
