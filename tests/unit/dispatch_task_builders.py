"""Builders for dispatch's Task aggregate in each place of its state machine, shared by the
test_dispatch_tasks*.py modules. Each returns the task as the next step finds it: loaded again,
with nothing recorded yet."""
from datetime import UTC, datetime, timedelta

from servicekit.events import Origin, Place
from services.contract import (
    BUILDING_LEADER,
    COMMUNITY_ADMIN,
    DEPARTMENT,
    MEMBER,
    OWNERS_COMMITTEE,
    PARTY_SECRETARY,
    PROPERTY_COMPANY,
    TOWNSHIP_ADMIN,
)
from services.dispatch.contract import ESCALATED, INDIVIDUAL, JOINT, OPEN
from services.dispatch.tasks.domain import Actor, ConcernMoved, Person, Route, Task

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PERIOD = timedelta(days=7)
REPORT_IN_WITHIN = timedelta(hours=24)
PLACE = Place("nb-1", "cm-1", "tw-1", "cty-1")
ORIGIN = Origin(PLACE, "corr-1")

LEADER = Person("m-leader", "李楼长")
MEMBER_WANG = Person("m-wang", "王二")
MEMBER_ZHANG = Person("m-zhang", "张三")
VOLUNTEER = Person("v-chen", "陈志愿")
SUPERVISOR = Person("m-sup", "赵督导")
TRANSPORT = Person("dep-transport", "县交通局")
HOUSING = Person("dep-housing", "县住建局")

SECRETARY = Actor(PARTY_SECRETARY, "m-sec", "李书记")
OWNERS = Actor(OWNERS_COMMITTEE, "oc-1", "业委会")
PROPERTY = Actor(PROPERTY_COMPANY, "pc-1", "物业公司")
COMMUNITY = Actor(COMMUNITY_ADMIN, "cm-admin", "社区管理员")
TOWNSHIP = Actor(TOWNSHIP_ADMIN, "tw-admin", "镇管理员")
STRANGER = Actor(MEMBER, "m-stranger", "路人甲")


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def as_member(person: Person) -> Actor:
    return Actor(MEMBER, person.id, person.name)


def as_leader(person: Person = LEADER) -> Actor:
    return Actor(BUILDING_LEADER, person.id, person.name)


def as_department(department: Person) -> Actor:
    return Actor(DEPARTMENT, department.id, department.name)


def events(task: Task) -> list[object]:
    return [recorded.event for recorded in task.events]


def of_type(task: Task, kind: type) -> list[object]:
    return [event for event in events(task) if isinstance(event, kind)]


def moves(task: Task) -> list[tuple[str, str]]:
    """Where the task's steps moved its concerns, in order."""
    return [(event.concern_id, event.status) for event in of_type(task, ConcernMoved)]  # type: ignore[attr-defined]


def fresh(task: Task) -> Task:
    """The task as the next step finds it: nothing recorded, no new history."""
    task.events.clear()
    task.steps.clear()
    return task


def new_task(**fields: object) -> Task:
    """A task as the handlers build it before Task.open gives it its route."""
    values: dict[str, object] = dict(
        task_id="c-1", place=PLACE, tier=INDIVIDUAL, state=OPEN, deadline=T0 + PERIOD, opened_at=T0, period=PERIOD,
        concern_ids=("c-1", "c-2"), category="noise", building_id="b-3", household_id="hh-301")
    values.update(fields)
    return Task(**values)  # type: ignore[arg-type]


def opened(tier: str = INDIVIDUAL, leader: Person | None = None, **fields: object) -> Task:
    return fresh(Task.open(new_task(**fields), Route(tier, PERIOD), leader, ORIGIN))


def in_pool(**fields: object) -> Task:
    return opened(INDIVIDUAL, **fields)


def handled_by(member: Person = MEMBER_WANG, **fields: object) -> Task:
    task = in_pool(**fields)
    task.claim(member, as_member(member), at(1), ORIGIN)
    return fresh(task)


def joint(**fields: object) -> Task:
    return opened(JOINT, **fields)


def escalated(**fields: object) -> Task:
    return opened(ESCALATED, **fields)


def with_parts(task: Task, *actors: Actor, hours: float = 2) -> Task:
    for actor in actors:
        task.record_part(f"{actor.name}的分工", f"{actor.name}已完成", actor, at(hours), ORIGIN)
    return fresh(task)


def joint_ready() -> Task:
    """A joint task whose three bodies have each recorded their part."""
    return with_parts(joint(), SECRETARY, OWNERS, PROPERTY)


def whistled(task: Task | None = None, *departments: Person, hours: float = 3) -> Task:
    task = task if task is not None else escalated()
    task.whistle(list(departments or (TRANSPORT, HOUSING)), "请到场处置", REPORT_IN_WITHIN, TOWNSHIP, at(hours), ORIGIN)
    return fresh(task)


def escalated_ready() -> Task:
    """An escalated task with the community party committee's part and both departments' results."""
    task = with_parts(whistled(), COMMUNITY)
    for department in (TRANSPORT, HOUSING):
        task.department_reports(department.id, "result", f"{department.name}已处理", as_department(department), at(5),
                                ORIGIN)
    return fresh(task)


def resolved(task: Task | None = None, hours: float = 10) -> Task:
    task = task if task is not None else handled_by()
    actor = {INDIVIDUAL: SECRETARY, JOINT: SECRETARY, ESCALATED: TOWNSHIP}[task.tier]
    task.resolve("已办结", actor, at(hours), ORIGIN)
    return fresh(task)
