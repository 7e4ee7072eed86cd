"""A task's bodies' parts and its resolution (办结), tier by tier (services/dispatch/tasks/domain.py):
who records which body's part, who resolves, and what a resolution waits for."""
from datetime import timedelta

import pytest

from servicekit.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from services.dispatch.contract import (
    COMMUNITY_PARTY_COMMITTEE,
    IN_HANDLING,
    OWNERS_COMMITTEE,
    PARTY_ORG,
    RESOLVED,
)
from services.dispatch.tasks.domain import (
    ConcernMoved,
    PartRecorded,
    TaskResolved,
)
from tests.unit.dispatch_task_builders import (
    COMMUNITY,
    MEMBER_WANG,
    MEMBER_ZHANG,
    ORIGIN,
    OWNERS,
    PROPERTY,
    SECRETARY,
    TOWNSHIP,
    TRANSPORT,
    as_department,
    as_member,
    at,
    escalated,
    escalated_ready,
    events,
    handled_by,
    in_pool,
    joint,
    joint_ready,
    moves,
    of_type,
    resolved,
    whistled,
    with_parts,
)

# -- parts ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("build", "actor", "body"), [
    (joint, SECRETARY, PARTY_ORG), (joint, OWNERS, OWNERS_COMMITTEE), (joint, PROPERTY, "property_company"),
    (escalated, SECRETARY, PARTY_ORG), (escalated, COMMUNITY, COMMUNITY_PARTY_COMMITTEE),
])
def test_a_body_records_its_part_by_the_actors_role(build, actor, body):
    task = build()
    task.record_part("协调清理", "已清理", actor, at(2), ORIGIN)
    part = task.parts[body]
    assert (part.body, part.part, part.result, part.recorded_at, part.recorded_by) == (
        body, "协调清理", "已清理", at(2), actor.name)
    assert of_type(task, PartRecorded)[0].part == part


@pytest.mark.parametrize(("build", "actor"), [
    (lambda: handled_by(MEMBER_WANG), SECRETARY), (lambda: handled_by(MEMBER_WANG), as_member(MEMBER_WANG)),
    (joint, COMMUNITY), (joint, TOWNSHIP), (joint, as_member(MEMBER_WANG)), (escalated, TOWNSHIP),
], ids=["individual-secretary", "individual-handler", "joint-community", "joint-township", "joint-member",
        "escalated-township"])
def test_a_role_without_a_body_in_the_tier_records_no_part(build, actor):
    task = build()
    with pytest.raises(PermissionDenied):
        task.record_part("协调", "", actor, at(2), ORIGIN)
    assert task.parts == {}


def test_recording_a_part_again_replaces_it():
    task = joint()
    task.record_part("第一次", "", OWNERS, at(2), ORIGIN)
    task.record_part("第二次", "完成", OWNERS, at(3), ORIGIN)
    assert list(task.parts) == [OWNERS_COMMITTEE]
    assert (task.parts[OWNERS_COMMITTEE].part, task.parts[OWNERS_COMMITTEE].recorded_at) == ("第二次", at(3))
    assert len(of_type(task, PartRecorded)) == 2


def test_a_part_needs_its_text_but_not_its_result():
    task = joint()
    with pytest.raises(InvalidArgument, match="part is required"):
        task.record_part(" ", "完成", OWNERS, at(2), ORIGIN)
    with pytest.raises(InvalidArgument, match="result"):
        task.record_part("协调", "\x00", OWNERS, at(2), ORIGIN)
    task.record_part("协调", "", OWNERS, at(2), ORIGIN)
    assert task.parts[OWNERS_COMMITTEE].result == ""


def test_a_recorded_events_snapshot_keeps_the_parts_as_they_were():
    task = joint()
    task.record_part("协调", "", OWNERS, at(2), ORIGIN)
    first = of_type(task, PartRecorded)[0].task
    task.record_part("协调", "", PROPERTY, at(3), ORIGIN)
    assert list(first.parts) == [OWNERS_COMMITTEE]


# -- resolve -------------------------------------------------------------------------------------

@pytest.mark.parametrize("actor", [as_member(MEMBER_WANG), SECRETARY], ids=["handler", "secretary"])
def test_the_handler_or_the_secretary_resolves_an_individual_task(actor):
    task = handled_by(MEMBER_WANG)
    task.resolve(" 已清理 ", actor, at(10), ORIGIN)
    assert (task.state, task.result, task.resolved_at, task.on_time) == (RESOLVED, "已清理", at(10), True)
    assert [type(event) for event in events(task)] == [TaskResolved, ConcernMoved, ConcernMoved]
    assert moves(task) == [("c-1", "resolved"), ("c-2", "resolved")]


@pytest.mark.parametrize(("build", "actor"), [
    (lambda: handled_by(MEMBER_WANG), as_member(MEMBER_ZHANG)),
    (lambda: handled_by(MEMBER_WANG), OWNERS),
    (joint_ready, OWNERS), (joint_ready, PROPERTY), (joint_ready, COMMUNITY), (joint_ready, as_member(MEMBER_WANG)),
    (escalated_ready, SECRETARY), (escalated_ready, OWNERS),
], ids=["individual-other-member", "individual-owners", "joint-owners", "joint-property", "joint-community",
        "joint-member", "escalated-secretary", "escalated-owners"])
def test_others_do_not_resolve(build, actor):
    task = build()
    with pytest.raises(PermissionDenied):
        task.resolve("已办结", actor, at(10), ORIGIN)
    assert task.state == IN_HANDLING


def test_the_secretary_resolves_a_joint_task_once_the_three_bodies_have_their_parts():
    task = joint_ready()
    task.resolve("三方协同已办结", SECRETARY, at(10), ORIGIN)
    assert task.state == RESOLVED


def test_a_joint_task_waits_for_the_parts_it_is_missing_and_names_them():
    task = with_parts(joint(), OWNERS)
    with pytest.raises(FailedPrecondition, match=r"party_org, property_company$"):
        task.resolve("已办结", SECRETARY, at(10), ORIGIN)
    assert task.state == IN_HANDLING


@pytest.mark.parametrize("actor", [COMMUNITY, TOWNSHIP], ids=["community", "township"])
def test_the_community_or_township_resolves_an_escalated_task_with_its_part_and_every_result(actor):
    task = escalated_ready()
    task.resolve("联动处置完毕", actor, at(10), ORIGIN)
    assert task.state == RESOLVED


def test_an_escalated_task_waits_for_the_community_party_committees_part():
    task = escalated()
    with pytest.raises(FailedPrecondition, match=COMMUNITY_PARTY_COMMITTEE):
        task.resolve("已办结", TOWNSHIP, at(10), ORIGIN)


def test_an_escalated_task_needs_no_joint_bodies_parts():
    task = with_parts(escalated(), COMMUNITY)
    task.resolve("已办结", TOWNSHIP, at(10), ORIGIN)
    assert task.state == RESOLVED


def test_an_escalated_task_waits_for_every_whistled_departments_result_and_names_the_silent():
    task = with_parts(whistled(), COMMUNITY)
    task.department_reports(TRANSPORT.id, "result", "已处理", as_department(TRANSPORT), at(5), ORIGIN)
    with pytest.raises(FailedPrecondition, match=r"县住建局$"):
        task.resolve("已办结", TOWNSHIP, at(10), ORIGIN)


def test_a_task_resolved_at_its_deadline_is_on_time():
    task = handled_by(MEMBER_WANG)
    task.resolve("已办结", SECRETARY, task.deadline, ORIGIN)
    assert task.on_time is True
    assert of_type(task, ConcernMoved)[0].note == "resolved"


def test_a_task_resolved_after_its_deadline_is_late():
    task = handled_by(MEMBER_WANG)
    late = task.deadline + timedelta(seconds=1)
    task.resolve("已办结", SECRETARY, late, ORIGIN)
    assert task.on_time is False
    assert of_type(task, TaskResolved)[0].task.on_time is False
    assert of_type(task, ConcernMoved)[0].note == "resolved after its deadline"


def test_a_decisions_action_resolved_before_the_others_leaves_the_concerns_where_they_are():
    task = handled_by(MEMBER_WANG)
    task.resolve("已办结", SECRETARY, at(10), ORIGIN, concerns_done=False)
    assert [type(event) for event in events(task)] == [TaskResolved]


def test_a_resolution_needs_a_result():
    task = handled_by(MEMBER_WANG)
    with pytest.raises(InvalidArgument, match="result is required"):
        task.resolve("  ", SECRETARY, at(10), ORIGIN)
    assert task.state == IN_HANDLING


def test_a_task_is_resolved_once():
    with pytest.raises(FailedPrecondition, match="resolved"):
        resolved().resolve("再次办结", SECRETARY, at(20), ORIGIN)


def test_a_pool_task_is_not_resolved():
    with pytest.raises(FailedPrecondition, match="open"):
        in_pool().resolve("已办结", SECRETARY, at(10), ORIGIN)
