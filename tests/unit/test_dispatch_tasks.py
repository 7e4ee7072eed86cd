"""A task (任务) from opening to resolution (services/dispatch/tasks/domain.py): which step may
follow which, who may take it in each tier, and what each records. Escalation, the whistle,
time and rework are in test_dispatch_tasks_escalation.py; parts and resolution in
test_dispatch_tasks_resolution.py."""

import pytest

from servicekit.errors import Conflict, FailedPrecondition, InvalidArgument, PermissionDenied
from services.dispatch.contract import (
    CLAIMED,
    ESCALATED,
    FIXED,
    IN_HANDLING,
    INDIVIDUAL,
    JOINT,
    NOTE_MAX_CHARS,
    OPEN,
)
from services.dispatch.tasks.domain import (
    HELPERS_MAX,
    ConcernMoved,
    HelperAdded,
    Person,
    Route,
    Task,
    TaskAssigned,
    TaskOpened,
    TaskProgressNoted,
)
from tests.unit.dispatch_task_builders import (
    COMMUNITY,
    LEADER,
    MEMBER_WANG,
    MEMBER_ZHANG,
    ORIGIN,
    OWNERS,
    PERIOD,
    PROPERTY,
    SECRETARY,
    T0,
    TOWNSHIP,
    TRANSPORT,
    VOLUNTEER,
    as_department,
    as_member,
    at,
    escalated,
    events,
    handled_by,
    in_pool,
    joint,
    moves,
    new_task,
    of_type,
    resolved,
)


def _open(tier, leader=None, **fields):
    """The task as Task.open leaves it, with everything it recorded."""
    return Task.open(new_task(**fields), Route(tier, PERIOD), leader, ORIGIN)


# -- opening -------------------------------------------------------------------------------------

def test_an_individual_task_without_a_leader_waits_in_the_pool_and_its_concerns_are_in_handling():
    task = _open(INDIVIDUAL)
    assert (task.state, task.tier, task.handler, task.period) == (OPEN, INDIVIDUAL, None, PERIOD)
    assert [type(event) for event in events(task)] == [TaskOpened, ConcernMoved, ConcernMoved]
    assert moves(task) == [("c-1", "in_handling"), ("c-2", "in_handling")]
    assert [step.step for step in task.steps] == ["opened"]


def test_an_individual_task_with_a_leader_is_the_leaders_fixed_and_moves_its_concerns_once():
    task = _open(INDIVIDUAL, LEADER)
    assert (task.state, task.handler, task.mode) == (IN_HANDLING, LEADER, FIXED)
    assert [type(event) for event in events(task)] == [TaskOpened, TaskAssigned, ConcernMoved, ConcernMoved]
    assert moves(task) == [("c-1", "in_handling"), ("c-2", "in_handling")]
    assigned = of_type(task, TaskAssigned)[0]
    assert (assigned.handler, assigned.mode, assigned.at) == (LEADER, FIXED, T0)
    assert [step.step for step in task.steps] == ["opened", "assigned"]


def test_the_opened_event_shows_the_task_as_it_was_opened_not_as_it_goes_on():
    task = _open(INDIVIDUAL, LEADER)
    assert of_type(task, TaskOpened)[0].task.state == OPEN
    assert of_type(task, TaskOpened)[0].task.handler is None


def test_a_joint_task_is_in_handling_from_the_start_with_no_handler_even_if_a_leader_was_named():
    task = _open(JOINT, LEADER)
    assert (task.state, task.tier, task.handler, task.mode) == (IN_HANDLING, JOINT, None, "")
    assert [type(event) for event in events(task)] == [TaskOpened, ConcernMoved, ConcernMoved]
    assert moves(task) == [("c-1", "in_handling"), ("c-2", "in_handling")]


def test_an_escalated_task_is_in_handling_from_the_start_and_its_concerns_are_escalated():
    task = _open(ESCALATED, LEADER)
    assert (task.state, task.tier, task.handler) == (IN_HANDLING, ESCALATED, None)
    assert moves(task) == [("c-1", "escalated"), ("c-2", "escalated")]


def test_a_task_without_concerns_moves_none():
    task = _open(INDIVIDUAL, LEADER, concern_ids=())
    assert of_type(task, ConcernMoved) == []


# -- claim ---------------------------------------------------------------------------------------

def test_a_member_claims_a_task_from_the_pool():
    task = in_pool()
    task.claim(MEMBER_WANG, as_member(MEMBER_WANG), at(1), ORIGIN)
    assert (task.state, task.handler, task.mode) == (IN_HANDLING, MEMBER_WANG, CLAIMED)
    assert [type(event) for event in events(task)] == [TaskAssigned, ConcernMoved, ConcernMoved]
    assert of_type(task, TaskAssigned)[0].mode == CLAIMED
    assert [(step.step, step.actor, step.note) for step in task.steps] == [("claimed", "王二", "王二")]


def test_claiming_a_task_another_member_has_is_a_conflict():
    task = handled_by(MEMBER_WANG)
    with pytest.raises(Conflict, match="another member"):
        task.claim(MEMBER_ZHANG, as_member(MEMBER_ZHANG), at(2), ORIGIN)
    assert task.handler == MEMBER_WANG
    assert events(task) == []


def test_claiming_ones_own_task_again_is_a_conflict():
    task = handled_by(MEMBER_WANG)
    with pytest.raises(Conflict, match="already have"):
        task.claim(MEMBER_WANG, as_member(MEMBER_WANG), at(2), ORIGIN)


@pytest.mark.parametrize("build", [joint, escalated])
def test_only_individual_tasks_are_claimed(build):
    with pytest.raises(FailedPrecondition, match="only individual"):
        build().claim(MEMBER_WANG, as_member(MEMBER_WANG), at(1), ORIGIN)


def test_a_resolved_task_is_not_claimed():
    with pytest.raises(FailedPrecondition, match="resolved"):
        resolved().claim(MEMBER_ZHANG, as_member(MEMBER_ZHANG), at(20), ORIGIN)


# -- assign --------------------------------------------------------------------------------------

def test_the_party_secretary_assigns_a_pool_task_fixed_and_its_concerns_move():
    task = in_pool()
    task.assign(MEMBER_ZHANG, SECRETARY, at(1), ORIGIN)
    assert (task.state, task.handler, task.mode) == (IN_HANDLING, MEMBER_ZHANG, FIXED)
    assert [type(event) for event in events(task)] == [TaskAssigned, ConcernMoved, ConcernMoved]
    assert [(step.step, step.actor) for step in task.steps] == [("assigned", "李书记")]


def test_reassigning_gives_the_task_to_the_new_member_without_moving_the_concerns_again():
    task = handled_by(MEMBER_WANG)
    task.assign(MEMBER_ZHANG, SECRETARY, at(2), ORIGIN)
    assert (task.handler, task.mode) == (MEMBER_ZHANG, FIXED)
    assert [type(event) for event in events(task)] == [TaskAssigned]


def test_reassigning_to_a_helper_makes_them_the_handler_and_no_longer_a_helper():
    task = handled_by(MEMBER_WANG)
    task.add_helper(MEMBER_ZHANG, as_member(MEMBER_WANG), at(2), ORIGIN)
    task.assign(MEMBER_ZHANG, SECRETARY, at(3), ORIGIN)
    assert (task.handler, task.helpers) == (MEMBER_ZHANG, ())


def test_assigning_the_task_to_its_own_handler_is_a_conflict():
    with pytest.raises(Conflict, match="already has"):
        handled_by(MEMBER_WANG).assign(MEMBER_WANG, SECRETARY, at(2), ORIGIN)


@pytest.mark.parametrize("build", [joint, escalated])
def test_only_individual_tasks_are_assigned(build):
    with pytest.raises(FailedPrecondition, match="only individual"):
        build().assign(MEMBER_WANG, SECRETARY, at(1), ORIGIN)


def test_a_resolved_task_is_not_assigned():
    with pytest.raises(FailedPrecondition, match="resolved"):
        resolved().assign(MEMBER_ZHANG, SECRETARY, at(20), ORIGIN)


# -- helpers -------------------------------------------------------------------------------------

@pytest.mark.parametrize("actor", [as_member(MEMBER_WANG), SECRETARY], ids=["handler", "secretary"])
def test_the_handler_or_the_secretary_adds_a_helper(actor):
    task = handled_by(MEMBER_WANG)
    task.add_helper(VOLUNTEER, actor, at(2), ORIGIN)
    assert task.helpers == (VOLUNTEER,)
    assert [type(event) for event in events(task)] == [HelperAdded]
    assert of_type(task, HelperAdded)[0].helper == VOLUNTEER


def test_someone_else_adds_no_helper():
    task = handled_by(MEMBER_WANG)
    with pytest.raises(PermissionDenied):
        task.add_helper(VOLUNTEER, as_member(MEMBER_ZHANG), at(2), ORIGIN)


def test_the_handler_is_not_their_own_helper():
    with pytest.raises(InvalidArgument, match="handler"):
        handled_by(MEMBER_WANG).add_helper(MEMBER_WANG, SECRETARY, at(2), ORIGIN)


def test_a_helper_is_added_once():
    task = handled_by(MEMBER_WANG)
    task.add_helper(VOLUNTEER, SECRETARY, at(2), ORIGIN)
    with pytest.raises(Conflict):
        task.add_helper(VOLUNTEER, SECRETARY, at(3), ORIGIN)
    assert task.helpers == (VOLUNTEER,)


def test_a_task_has_at_most_helpers_max_helpers():
    task = handled_by(MEMBER_WANG)
    for i in range(HELPERS_MAX):
        task.add_helper(Person(f"v-{i}", f"志愿者{i}"), SECRETARY, at(2), ORIGIN)
    with pytest.raises(FailedPrecondition, match=str(HELPERS_MAX)):
        task.add_helper(Person("v-x", "志愿者X"), SECRETARY, at(3), ORIGIN)
    assert len(task.helpers) == HELPERS_MAX


def test_a_pool_task_takes_no_helpers():
    with pytest.raises(FailedPrecondition):
        in_pool().add_helper(VOLUNTEER, SECRETARY, at(1), ORIGIN)


def test_a_joint_task_takes_no_helpers():
    with pytest.raises(FailedPrecondition, match="helpers join individual"):
        joint().add_helper(VOLUNTEER, SECRETARY, at(1), ORIGIN)


# -- progress notes ------------------------------------------------------------------------------

@pytest.mark.parametrize(("build", "actor"), [
    (lambda: handled_by(MEMBER_WANG), as_member(MEMBER_WANG)),
    (lambda: handled_by(MEMBER_WANG), SECRETARY),
    (joint, SECRETARY), (joint, OWNERS), (joint, PROPERTY),
    (escalated, OWNERS), (escalated, COMMUNITY), (escalated, TOWNSHIP),
], ids=["individual-handler", "individual-secretary", "joint-secretary", "joint-owners", "joint-property",
        "escalated-owners", "escalated-community", "escalated-township"])
def test_those_handling_the_task_note_its_progress(build, actor):
    task = build()
    task.note_progress("  已联系住户  ", actor, at(2), ORIGIN)
    noted = of_type(task, TaskProgressNoted)
    assert [(event.note, event.at) for event in noted] == [("已联系住户", at(2))]
    assert [(step.step, step.note) for step in task.steps] == [("progress", "已联系住户")]


def test_a_helper_notes_progress_on_an_individual_task():
    task = handled_by(MEMBER_WANG)
    task.add_helper(VOLUNTEER, SECRETARY, at(2), ORIGIN)
    task.note_progress("帮忙搬运", as_member(VOLUNTEER), at(3), ORIGIN)
    assert len(of_type(task, TaskProgressNoted)) == 1


@pytest.mark.parametrize(("build", "actor"), [
    (lambda: handled_by(MEMBER_WANG), as_member(MEMBER_ZHANG)),
    (lambda: handled_by(MEMBER_WANG), OWNERS),
    (joint, as_member(MEMBER_WANG)), (joint, COMMUNITY), (joint, TOWNSHIP),
    (escalated, as_department(TRANSPORT)),
], ids=["individual-other-member", "individual-owners", "joint-member", "joint-community", "joint-township",
        "escalated-department"])
def test_others_note_no_progress(build, actor):
    task = build()
    with pytest.raises(PermissionDenied):
        task.note_progress("已联系住户", actor, at(2), ORIGIN)
    assert events(task) == []


def test_a_pool_task_takes_no_progress_notes():
    with pytest.raises(FailedPrecondition, match="open"):
        in_pool().note_progress("已联系住户", SECRETARY, at(1), ORIGIN)


@pytest.mark.parametrize(("note", "problem"), [
    ("", "required"), ("   ", "required"), ("字" * (NOTE_MAX_CHARS + 1), "at most"),
    ("第一行\x00", "plain text"), ("响铃\x07", "plain text"), ("\x1b[31m红字", "plain text"),
], ids=["empty", "blank", "too-long", "nul", "bell", "escape"])
def test_a_progress_note_is_plain_text_within_the_limit(note, problem):
    task = handled_by(MEMBER_WANG)
    with pytest.raises(InvalidArgument, match=problem):
        task.note_progress(note, SECRETARY, at(2), ORIGIN)
    assert events(task) == []


def test_a_progress_note_of_exactly_the_limit_and_several_lines_is_kept():
    task = handled_by(MEMBER_WANG)
    note = "第一行\n第二行\t" + "字" * (NOTE_MAX_CHARS - 8)
    task.note_progress(note, SECRETARY, at(2), ORIGIN)
    assert of_type(task, TaskProgressNoted)[0].note == note


