"""A task going up the tiers (提级), the township's whistle (吹哨) and the departments' reports
(报到), its timers' reminder and overdue mark, and rework after an unsatisfied rating (督促整改)
(services/dispatch/tasks/domain.py)."""
from datetime import timedelta

import pytest

from servicekit.errors import Conflict, FailedPrecondition, InvalidArgument, PermissionDenied
from services.dispatch.contract import (
    ESCALATED,
    IN_HANDLING,
    INDIVIDUAL,
    JOINT,
    PARTY_ORG,
    PROGRESS,
    REPORT_IN,
    RESULT,
)
from services.dispatch.tasks.domain import (
    SYSTEM,
    ConcernMoved,
    DepartmentReported,
    DepartmentsWhistled,
    TaskEscalated,
    TaskOverdue,
    TaskReminded,
    TaskReopened,
)
from tests.unit.dispatch_task_builders import (
    COMMUNITY,
    HOUSING,
    MEMBER_WANG,
    MEMBER_ZHANG,
    ORIGIN,
    OWNERS,
    PERIOD,
    PROPERTY,
    REPORT_IN_WITHIN,
    SECRETARY,
    SUPERVISOR,
    TOWNSHIP,
    TRANSPORT,
    VOLUNTEER,
    as_department,
    as_member,
    at,
    escalated,
    escalated_ready,
    events,
    fresh,
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


def report(task, department, kind, note="", hours=6):
    return task.department_reports(department.id, kind, note, as_department(department), at(hours), ORIGIN)


# -- escalate ------------------------------------------------------------------------------------

def test_an_individual_task_goes_up_to_joint_with_its_concerns_still_in_handling():
    task = handled_by(MEMBER_WANG)
    task.escalate("住户拒不配合", as_member(MEMBER_WANG), at(5), ORIGIN)
    assert (task.tier, task.state) == (JOINT, IN_HANDLING)
    escalation = of_type(task, TaskEscalated)[0]
    assert (escalation.from_tier, escalation.reason, escalation.overdue, escalation.at) == (
        INDIVIDUAL, "住户拒不配合", False, at(5))
    assert escalation.task.tier == JOINT
    assert moves(task) == [("c-1", "in_handling"), ("c-2", "in_handling")]
    assert [(step.step, step.note) for step in task.steps] == [("escalated", "individual → joint: 住户拒不配合")]


def test_a_joint_task_goes_up_to_escalated_and_its_concerns_are_escalated():
    task = joint()
    task.escalate("需要执法部门", SECRETARY, at(5), ORIGIN)
    assert (task.tier, task.state) == (ESCALATED, IN_HANDLING)
    assert moves(task) == [("c-1", "escalated"), ("c-2", "escalated")]


def test_the_community_administrator_takes_a_joint_task_beyond_the_neighbourhood():
    task = joint()
    task.escalate("社区提级", COMMUNITY, at(5), ORIGIN)
    assert task.tier == ESCALATED


def test_a_pool_task_is_escalated_by_the_secretary_and_is_then_in_handling():
    task = in_pool()
    task.escalate("无人领办", SECRETARY, at(5), ORIGIN)
    assert (task.tier, task.state) == (JOINT, IN_HANDLING)


def test_an_escalated_task_goes_no_higher():
    task = escalated()
    with pytest.raises(FailedPrecondition, match="already escalated"):
        task.escalate("再提级", COMMUNITY, at(5), ORIGIN)
    assert events(task) == []


def test_a_resolved_task_is_not_escalated():
    with pytest.raises(FailedPrecondition, match="resolved"):
        resolved().escalate("再提级", SECRETARY, at(20), ORIGIN)


@pytest.mark.parametrize(("build", "actor"), [
    (lambda: handled_by(MEMBER_WANG), as_member(MEMBER_ZHANG)),
    (lambda: handled_by(MEMBER_WANG), OWNERS),
    (lambda: handled_by(MEMBER_WANG), COMMUNITY),
    (in_pool, as_member(MEMBER_WANG)),
    (joint, OWNERS), (joint, PROPERTY), (joint, TOWNSHIP), (joint, as_member(MEMBER_WANG)),
], ids=["individual-other-member", "individual-owners", "individual-community", "pool-member", "joint-owners",
        "joint-property", "joint-township", "joint-member"])
def test_others_do_not_escalate(build, actor):
    task = build()
    with pytest.raises(PermissionDenied):
        task.escalate("提级", actor, at(5), ORIGIN)
    assert events(task) == []


def test_escalating_clears_the_handler_and_helpers_for_the_new_tiers_bodies():
    task = handled_by(MEMBER_WANG)
    task.add_helper(VOLUNTEER, SECRETARY, at(2), ORIGIN)
    task.escalate("提级", SECRETARY, at(5), ORIGIN)
    assert (task.handler, task.mode, task.helpers) == (None, "", ())


def test_escalating_gives_a_fresh_deadline_and_a_new_round_of_reminder_and_overdue():
    task = handled_by(MEMBER_WANG)
    task.remind(at(100), ORIGIN)
    task.mark_overdue(task.deadline, ORIGIN)
    escalated_at = task.deadline + timedelta(hours=1)
    task.escalate("逾期未办结", SECRETARY, escalated_at, ORIGIN)
    assert (task.deadline, task.reminded_at, task.overdue_at) == (escalated_at + PERIOD, None, None)
    assert of_type(task, TaskEscalated)[0].task.deadline == escalated_at + PERIOD


def test_the_timers_escalate_an_overdue_task_as_no_one_and_say_it_was_overdue():
    task = handled_by(MEMBER_WANG)
    task.escalate("its deadline passed unresolved", SYSTEM, at(200), ORIGIN, overdue=True)
    assert task.tier == JOINT
    assert of_type(task, TaskEscalated)[0].overdue is True


def test_an_escalation_needs_a_reason():
    task = handled_by(MEMBER_WANG)
    with pytest.raises(InvalidArgument, match="reason is required"):
        task.escalate(" ", SECRETARY, at(5), ORIGIN)
    assert task.tier == INDIVIDUAL


# -- whistle -------------------------------------------------------------------------------------

def test_the_township_whistles_departments_each_due_to_report_in():
    task = escalated()
    task.whistle([TRANSPORT, HOUSING], " 请到场 ", REPORT_IN_WITHIN, TOWNSHIP, at(3), ORIGIN)
    assert list(task.departments) == [TRANSPORT.id, HOUSING.id]
    call = task.departments[TRANSPORT.id]
    assert (call.name, call.whistled_at, call.report_in_due, call.reported_in_at, call.result) == (
        TRANSPORT.name, at(3), at(3) + REPORT_IN_WITHIN, None, "")
    assert task.whistled_at == at(3)
    whistle = of_type(task, DepartmentsWhistled)[0]
    assert ([c.department_id for c in whistle.departments], whistle.note) == ([TRANSPORT.id, HOUSING.id], "请到场")


@pytest.mark.parametrize("build", [lambda: handled_by(MEMBER_WANG), joint], ids=["individual", "joint"])
def test_only_escalated_tasks_are_whistled_to(build):
    with pytest.raises(FailedPrecondition, match="escalated"):
        build().whistle([TRANSPORT], "", REPORT_IN_WITHIN, TOWNSHIP, at(3), ORIGIN)


def test_a_second_whistle_calls_only_the_departments_not_called_before():
    task = whistled(escalated(), TRANSPORT, hours=3)
    task.whistle([TRANSPORT, HOUSING], "", REPORT_IN_WITHIN, TOWNSHIP, at(8), ORIGIN)
    assert [c.department_id for c in of_type(task, DepartmentsWhistled)[0].departments] == [HOUSING.id]
    assert task.departments[TRANSPORT.id].whistled_at == at(3)
    assert task.departments[HOUSING.id].report_in_due == at(8) + REPORT_IN_WITHIN
    assert task.whistled_at == at(3)


def test_a_whistle_naming_only_departments_already_called_is_a_conflict():
    task = whistled(escalated(), TRANSPORT)
    with pytest.raises(Conflict):
        task.whistle([TRANSPORT], "", REPORT_IN_WITHIN, TOWNSHIP, at(8), ORIGIN)
    assert events(task) == []


# -- department reports --------------------------------------------------------------------------

def test_a_department_not_whistled_to_the_task_reports_nothing():
    task = whistled(escalated(), TRANSPORT)
    with pytest.raises(FailedPrecondition, match="not whistled"):
        report(task, HOUSING, REPORT_IN)


def test_a_department_reports_in():
    task = whistled()
    assert report(task, TRANSPORT, REPORT_IN) is True
    assert task.departments[TRANSPORT.id].reported_in_at == at(6)
    reported = of_type(task, DepartmentReported)[0]
    assert (reported.department_id, reported.kind, reported.note, reported.at) == (TRANSPORT.id, REPORT_IN, "", at(6))


def test_reporting_in_twice_keeps_the_first_and_records_nothing():
    task = whistled()
    report(task, TRANSPORT, REPORT_IN, hours=6)
    fresh(task)
    assert report(task, TRANSPORT, REPORT_IN, hours=7) is False
    assert task.departments[TRANSPORT.id].reported_in_at == at(6)
    assert (events(task), task.steps) == ([], [])


def test_progress_before_reporting_in_counts_as_reporting_in():
    task = whistled()
    report(task, TRANSPORT, PROGRESS, "已派人勘察", hours=6)
    call = task.departments[TRANSPORT.id]
    assert (call.reported_in_at, call.result) == (at(6), "")


def test_a_result_sets_the_departments_result_and_reports_it_in():
    task = whistled()
    report(task, TRANSPORT, RESULT, " 已拆除违建 ", hours=9)
    call = task.departments[TRANSPORT.id]
    assert (call.reported_in_at, call.result, call.result_at) == (at(9), "已拆除违建", at(9))


def test_a_result_after_reporting_in_keeps_the_report_in_time():
    task = whistled()
    report(task, TRANSPORT, REPORT_IN, hours=6)
    report(task, TRANSPORT, RESULT, "已处理", hours=9)
    assert task.departments[TRANSPORT.id].reported_in_at == at(6)


@pytest.mark.parametrize("kind", [PROGRESS, RESULT])
def test_progress_and_results_need_a_note(kind):
    with pytest.raises(InvalidArgument, match="note is required"):
        report(whistled(), TRANSPORT, kind, " ")


def test_a_resolved_task_takes_no_department_reports():
    task = resolved(escalated_ready())
    with pytest.raises(FailedPrecondition, match="resolved"):
        report(task, TRANSPORT, PROGRESS, "补充说明", hours=20)


# -- remind and mark overdue ---------------------------------------------------------------------

def test_a_task_is_reminded_once_per_round():
    task = handled_by(MEMBER_WANG)
    assert task.remind(at(100), ORIGIN) is True
    assert task.remind(at(101), ORIGIN) is False
    assert task.reminded_at == at(100)
    assert [type(event) for event in events(task)] == [TaskReminded]


def test_a_resolved_task_is_not_reminded():
    task = resolved()
    assert task.remind(at(100), ORIGIN) is False
    assert events(task) == []


def test_a_task_is_marked_overdue_once_at_its_deadline():
    task = handled_by(MEMBER_WANG)
    assert task.mark_overdue(task.deadline, ORIGIN) is True
    assert task.mark_overdue(task.deadline + timedelta(hours=1), ORIGIN) is False
    assert task.overdue_at == task.deadline
    assert [type(event) for event in events(task)] == [TaskOverdue]


def test_a_task_is_not_marked_overdue_before_its_deadline():
    task = handled_by(MEMBER_WANG)
    assert task.mark_overdue(task.deadline - timedelta(seconds=1), ORIGIN) is False
    assert (task.overdue_at, events(task)) == (None, [])


def test_a_resolved_task_is_not_marked_overdue():
    task = resolved()
    assert task.mark_overdue(task.deadline + timedelta(days=1), ORIGIN) is False


def test_a_pool_task_nobody_claimed_is_reminded_and_marked_overdue():
    task = in_pool()
    assert task.remind(at(100), ORIGIN) is True
    assert task.mark_overdue(task.deadline, ORIGIN) is True


# -- reopen --------------------------------------------------------------------------------------

def test_a_resolved_task_is_reopened_for_rework_under_its_supervisor():
    task = resolved(handled_by(MEMBER_WANG), hours=10)
    task.reopen(SUPERVISOR, "居民不满意", at(50), ORIGIN)
    assert (task.state, task.rework_round, task.supervisor) == (IN_HANDLING, 1, SUPERVISOR)
    assert (task.resolved_at, task.result, task.on_time) == (None, "", False)
    assert (task.handler, task.mode) == (MEMBER_WANG, "claimed")
    assert [type(event) for event in events(task)] == [TaskReopened, ConcernMoved, ConcernMoved]
    assert of_type(task, TaskReopened)[0].reason == "居民不满意"
    assert moves(task) == [("c-1", "reopened"), ("c-2", "reopened")]
    assert of_type(task, ConcernMoved)[0].note == "reopened for rework (round 1)"
    assert task.steps[0].note == "round 1, supervised by 赵督导: 居民不满意"


def test_reopening_gives_a_fresh_deadline_and_a_new_round_of_reminder_and_overdue():
    task = handled_by(MEMBER_WANG)
    task.remind(at(100), ORIGIN)
    task.mark_overdue(task.deadline, ORIGIN)
    task = resolved(task, hours=200)
    task.reopen(SUPERVISOR, "", at(250), ORIGIN)
    assert (task.deadline, task.reminded_at, task.overdue_at) == (at(250) + PERIOD, None, None)
    assert task.remind(at(260), ORIGIN) is True


def test_each_rework_counts_its_round():
    task = resolved()
    task.reopen(SUPERVISOR, "第一次", at(50), ORIGIN)
    task = resolved(fresh(task), hours=60)
    task.reopen(SUPERVISOR, "第二次", at(70), ORIGIN)
    assert task.rework_round == 2
    assert of_type(task, ConcernMoved)[0].note == "reopened for rework (round 2)"


@pytest.mark.parametrize("build", [in_pool, lambda: handled_by(MEMBER_WANG), joint])
def test_only_a_resolved_task_is_reopened(build):
    task = build()
    with pytest.raises(FailedPrecondition, match="only a resolved"):
        task.reopen(SUPERVISOR, "不满意", at(50), ORIGIN)
    assert task.rework_round == 0


def test_a_reworked_joint_task_needs_the_three_bodies_parts_again():
    task = resolved(joint_ready())
    task.reopen(SUPERVISOR, "不满意", at(50), ORIGIN)
    assert task.parts == {}
    with pytest.raises(FailedPrecondition, match=PARTY_ORG):
        task.resolve("再次办结", SECRETARY, at(60), ORIGIN)


def test_a_reworked_escalated_task_asks_every_departments_result_again_but_keeps_their_report_in():
    task = resolved(escalated_ready())
    task.reopen(SUPERVISOR, "不满意", at(50), ORIGIN)
    assert task.parts == {}
    for department in (TRANSPORT, HOUSING):
        call = task.departments[department.id]
        assert (call.result, call.result_at, call.reported_in_at) == ("", None, at(5))
    with_parts(task, COMMUNITY, hours=55)
    with pytest.raises(FailedPrecondition, match="县交通局"):
        task.resolve("再次办结", TOWNSHIP, at(60), ORIGIN)


def test_the_reopened_events_snapshot_is_the_task_as_reopened():
    task = resolved(joint_ready())
    task.reopen(SUPERVISOR, "不满意", at(50), ORIGIN)
    snapshot = of_type(task, TaskReopened)[0].task
    assert (snapshot.rework_round, snapshot.supervisor, snapshot.deadline, snapshot.parts) == (
        1, SUPERVISOR, at(50) + PERIOD, {})


def test_a_steps_event_keeps_the_task_as_it_was_when_later_steps_change_it():
    task = whistled(escalated(), TRANSPORT)
    report(task, TRANSPORT, RESULT, "已处理")
    first = of_type(task, DepartmentReported)[0].task
    with_parts(task, COMMUNITY, hours=7)
    task.resolve("已办结", TOWNSHIP, at(8), ORIGIN)
    assert first.departments[TRANSPORT.id].result == "已处理"
    assert (first.parts, first.state) == ({}, IN_HANDLING)


def test_the_reopened_history_step_keeps_the_reason_as_given():
    task = resolved()
    task.reopen(SUPERVISOR, "请按以下要求整改：", at(50), ORIGIN)
    assert task.steps[0].note == "round 1, supervised by 赵督导: 请按以下要求整改："
    task = resolved(fresh(task), hours=60)
    task.reopen(SUPERVISOR, "须在周五前完成:", at(70), ORIGIN)
    assert task.steps[0].note == "round 2, supervised by 赵督导: 须在周五前完成:"


def test_the_reopened_history_step_without_a_reason_names_the_round_and_supervisor_only():
    task = resolved()
    task.reopen(SUPERVISOR, "", at(50), ORIGIN)
    assert task.steps[0].note == "round 1, supervised by 赵督导"
