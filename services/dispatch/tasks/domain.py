"""A task (任务) from opening to resolution, in the glossary's words. No I/O here.

    open ──claim / assign──► in_handling ──resolve──► resolved
      (individual, pool)        │  ▲                     │ unsatisfied rating
                                │  └──────reopen (督促整改)┘
                                └─escalate: individual → joint → escalated

An individual task (分流承办) is the building leader's from the start (固定包办) or waits in the
neighbourhood's pool for a member to claim it (自行领办). A joint task (集体合办) is led by the party
organisation with the owners' committee and the property company; an escalated one (提级联办) by the
community party committee, with the county departments the township whistles to (吹哨), which
report in (报到). Each step checks the task is where the step belongs and that the actor may take
it, records its event and a history step, and moves the task's concerns on their timelines.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from servicekit.errors import Conflict, FailedPrecondition, InvalidArgument, PermissionDenied
from servicekit.events import Aggregate, Origin, Place
from servicekit.text import has_control_characters
from services.contract import COMMUNITY_ADMIN, OWNERS_COMMITTEE, PARTY_SECRETARY, PROPERTY_COMPANY, TOWNSHIP_ADMIN
from services.dispatch import contract
from services.dispatch.contract import (
    BODIES_OF_TIER,
    CLAIMED,
    ESCALATED,
    FIXED,
    IN_HANDLING,
    INDIVIDUAL,
    JOINT,
    OPEN,
    REPORT_IN,
    RESOLVED,
    RESULT,
    TIERS,
)

# Timeline statuses a task's steps report (lianyi.events.v1.ConcernStatus's words).
IN_HANDLING_STATUS, ESCALATED_STATUS, RESOLVED_STATUS, REOPENED_STATUS = (
    "in_handling", "escalated", "resolved", "reopened")
HELPERS_MAX = 10
# The body each role acts for in joint and escalated handling.
BODY_OF_ROLE = {PARTY_SECRETARY: contract.PARTY_ORG, OWNERS_COMMITTEE: contract.OWNERS_COMMITTEE,
                PROPERTY_COMPANY: contract.PROPERTY_COMPANY, COMMUNITY_ADMIN: contract.COMMUNITY_PARTY_COMMITTEE}
# Who may record each tier's bodies' parts.
BODIES_TAKING_PART = {INDIVIDUAL: (), JOINT: BODIES_OF_TIER[JOINT],
                      ESCALATED: (*BODIES_OF_TIER[JOINT], contract.COMMUNITY_PARTY_COMMITTEE)}


@dataclass(frozen=True)
class Person:
    """Somebody of the directory, by id and name."""

    id: str
    name: str


@dataclass(frozen=True)
class Actor:
    """Who takes a step: their role, their own directory entity (a member, a department) and name.
    The service's own timers act as no one (role "")."""

    role: str
    entity_id: str = ""
    name: str = ""


SYSTEM = Actor("")


@dataclass(frozen=True)
class Route:
    """How a task is handled: its tier, and how long it has (the county's routing table)."""

    tier: str
    period: timedelta


@dataclass(frozen=True)
class Part:
    body: str
    part: str
    result: str
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class DepartmentCall:
    """A county department the township whistled to (吹哨), and what it reported."""

    department_id: str
    name: str
    whistled_at: datetime
    report_in_due: datetime
    reported_in_at: datetime | None = None
    result: str = ""
    result_at: datetime | None = None


@dataclass(frozen=True)
class Step:
    """One step of a task's history."""

    at: datetime
    step: str
    actor: str
    note: str = ""


# -- what a task says ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ConcernMoved:
    """One of the task's concerns moved on its timeline (ConcernProgressed)."""

    concern_id: str
    status: str
    note: str


@dataclass(frozen=True)
class TaskOpened:
    task: Task


@dataclass(frozen=True)
class TaskAssigned:
    task: Task
    handler: Person
    mode: str
    at: datetime


@dataclass(frozen=True)
class HelperAdded:
    task: Task
    helper: Person


@dataclass(frozen=True)
class TaskProgressNoted:
    task: Task
    note: str
    at: datetime


@dataclass(frozen=True)
class PartRecorded:
    task: Task
    part: Part


@dataclass(frozen=True)
class TaskEscalated:
    task: Task
    from_tier: str
    reason: str
    overdue: bool
    at: datetime


@dataclass(frozen=True)
class DepartmentsWhistled:
    task: Task
    departments: tuple[DepartmentCall, ...]
    note: str


@dataclass(frozen=True)
class DepartmentReported:
    task: Task
    department_id: str
    kind: str
    note: str
    at: datetime


@dataclass(frozen=True)
class DepartmentReportInLate:
    task: Task
    department_id: str
    due: datetime


@dataclass(frozen=True)
class TaskReminded:
    task: Task


@dataclass(frozen=True)
class TaskOverdue:
    task: Task


@dataclass(frozen=True)
class TaskResolved:
    task: Task
    concerns_resolved: bool = True  # False: a decision's action, its other actions still being handled


@dataclass(frozen=True)
class TaskReopened:
    task: Task
    reason: str


def plain_text(text: str, name: str, *, required: bool = True) -> str:
    """A note, result or reason as kept: trimmed, plain, within the limit; InvalidArgument if not."""
    text = text.strip()
    if required and not text:
        raise InvalidArgument(f"{name} is required")
    if len(text) > contract.NOTE_MAX_CHARS:
        raise InvalidArgument(f"{name}: at most {contract.NOTE_MAX_CHARS} characters")
    if has_control_characters(text):
        raise InvalidArgument(f"{name} must be plain text")
    return text


# -- the task -----------------------------------------------------------------------------------

@dataclass
class Task(Aggregate):
    task_id: str
    place: Place
    tier: str
    state: str
    deadline: datetime
    opened_at: datetime
    period: timedelta  # how long each round has: a fresh one after escalation or rework
    concern_ids: tuple[str, ...] = ()
    concern_id: str = ""  # set for a concern's own task (its id is the concern's)
    decision_id: str = ""
    action_id: str = ""
    description: str = ""
    category: str = ""
    urgency: str = "normal"
    building_id: str = ""
    household_id: str = ""
    mode: str = ""
    handler: Person | None = None
    helpers: tuple[Person, ...] = ()
    reminded_at: datetime | None = None
    overdue_at: datetime | None = None
    resolved_at: datetime | None = None
    result: str = ""
    on_time: bool = False
    rework_round: int = 0
    supervisor: Person | None = None
    whistled_at: datetime | None = None
    parts: dict[str, Part] = field(default_factory=dict)
    departments: dict[str, DepartmentCall] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list, repr=False, compare=False)  # new, to be saved

    # -- opening --------------------------------------------------------------------------------

    @classmethod
    def open(cls, task: Task, route: Route, leader: Person | None, origin: Origin, *,
             moves_concerns: bool = True) -> Task:
        """A new task in its route's tier: an individual one goes to `leader` (the building
        leader, or the member a decision named) or to the pool; a joint or escalated one is in
        handling from the start, led by its bodies. Its concerns move into handling unless
        `moves_concerns` is False (a decision's later actions: its first moved them)."""
        task.tier, task.period = route.tier, route.period
        task.state = OPEN if route.tier == INDIVIDUAL else IN_HANDLING
        task._step(task.opened_at, "opened", SYSTEM, f"{route.tier} handling")
        task._record(TaskOpened(task.snapshot()), origin, task.opened_at)
        if leader is not None and route.tier == INDIVIDUAL:
            # Taking it moves the concerns (in handling, taken on): once, not twice at one instant.
            task._take(leader, FIXED, SYSTEM, task.opened_at, origin, moves_concerns=moves_concerns)
            return task
        if moves_concerns:
            status = ESCALATED_STATUS if route.tier == ESCALATED else IN_HANDLING_STATUS
            task._move_concerns(status, _OPENED_NOTE[route.tier], origin, task.opened_at)
        return task

    # -- individual handling ----------------------------------------------------------------------

    def claim(self, member: Person, actor: Actor, at: datetime, origin: Origin) -> None:
        """A member takes a task from the pool (自行领办); someone else's already is a conflict."""
        self._require_state(OPEN, IN_HANDLING, doing="claimed")
        if self.tier != INDIVIDUAL:
            raise FailedPrecondition(f"only individual tasks are claimed; this one is {self.tier}")
        if self.state != OPEN or self.handler is not None:
            if self.handler is not None and self.handler.id == member.id:
                raise Conflict("you already have this task")
            raise Conflict("this task has already been taken on by another member")
        self._take(member, CLAIMED, actor, at, origin)

    def assign(self, member: Person, actor: Actor, at: datetime, origin: Origin) -> None:
        """The party secretary gives an individual task to a member (固定包办), taking it from
        whoever had it (their commitment is released)."""
        self._require_state(OPEN, IN_HANDLING, doing="assigned")
        if self.tier != INDIVIDUAL:
            raise FailedPrecondition(f"only individual tasks are assigned to a member; this one is {self.tier}")
        if self.handler is not None and self.handler.id == member.id:
            raise Conflict(f"{member.name or member.id} already has this task")
        self._take(member, FIXED, actor, at, origin)

    def _take(self, member: Person, mode: str, actor: Actor, at: datetime, origin: Origin, *,
              moves_concerns: bool | None = None) -> None:
        if moves_concerns is None:
            # Taken from the pool: a decision's concerns moved into handling when its first action
            # opened, and move no further; a concern's own task moves it.
            moves_concerns = not self.decision_id
        was_open = self.state == OPEN and moves_concerns
        self.handler, self.mode, self.state = member, mode, IN_HANDLING
        self.helpers = tuple(helper for helper in self.helpers if helper.id != member.id)
        self._step(at, "claimed" if mode == CLAIMED else "assigned", actor, member.name)
        self._record(TaskAssigned(self.snapshot(), member, mode, at), origin, at)
        if was_open:
            self._move_concerns(IN_HANDLING_STATUS, "taken on by a neighbourhood member", origin, at)

    def add_helper(self, helper: Person, actor: Actor, at: datetime, origin: Origin) -> None:
        self._require_state(IN_HANDLING, doing="helped")
        if self.tier != INDIVIDUAL:
            raise FailedPrecondition("helpers join individual handling; joint and escalated tasks have their bodies")
        self._require_handler_or_secretary(actor, "add helpers")
        if self.handler is not None and helper.id == self.handler.id:
            raise InvalidArgument("helper_id: that is the task's handler")
        if any(known.id == helper.id for known in self.helpers):
            raise Conflict(f"{helper.name or helper.id} already helps with this task")
        if len(self.helpers) >= HELPERS_MAX:
            raise FailedPrecondition(f"a task has at most {HELPERS_MAX} helpers")
        self.helpers = (*self.helpers, helper)
        self._step(at, "helper_added", actor, helper.name)
        self._record(HelperAdded(self.snapshot(), helper), origin, at)

    # -- every tier -----------------------------------------------------------------------------

    def note_progress(self, note: str, actor: Actor, at: datetime, origin: Origin) -> None:
        self._require_state(IN_HANDLING, doing="noted")
        if not self.takes_part(actor):
            raise PermissionDenied("only those handling this task may note its progress")
        note = plain_text(note, "note")
        self._step(at, "progress", actor, note)
        self._record(TaskProgressNoted(self.snapshot(), note, at), origin, at)

    def record_part(self, part: str, result: str, actor: Actor, at: datetime, origin: Origin) -> None:
        """A body's part in joint or escalated handling and its result; recording again replaces it."""
        self._require_state(IN_HANDLING, doing="given parts")
        body = BODY_OF_ROLE.get(actor.role, "")
        if body not in BODIES_TAKING_PART[self.tier]:
            raise PermissionDenied(f"a {actor.role} takes no part in {self.tier} handling")
        recorded = Part(body, plain_text(part, "part"), plain_text(result, "result", required=False), at,
                        actor.name)
        self.parts[body] = recorded
        self._step(at, "part", actor, f"{body}: {recorded.part}")
        self._record(PartRecorded(self.snapshot(), recorded), origin, at)

    def resolve(self, result: str, actor: Actor, at: datetime, origin: Origin, *, concerns_done: bool = True) -> None:
        """Resolve the task (办结) with its result: on time if by its deadline. A joint or escalated
        task needs its bodies' parts first, and every whistled department's result. Its concerns
        are resolved with it unless `concerns_done` is False (a decision's action, while other
        actions of the decision are still being handled)."""
        self._require_state(IN_HANDLING, doing="resolved")
        if not self._may_resolve(actor):
            raise PermissionDenied(_WHO_RESOLVES[self.tier])
        result = plain_text(result, "result")
        missing = [body for body in BODIES_OF_TIER[self.tier] if body not in self.parts]
        if missing:
            raise FailedPrecondition(f"waiting for the part and result of: {', '.join(missing)}")
        silent = [call.name or call.department_id for call in self.departments.values() if not call.result]
        if silent:
            raise FailedPrecondition(f"waiting for the result of departments: {', '.join(sorted(silent))}")
        self.state, self.resolved_at, self.result = RESOLVED, at, result
        self.on_time = at <= self.deadline
        self._step(at, "resolved", actor, result)
        self._record(TaskResolved(self.snapshot(), concerns_done), origin, at)
        if concerns_done:
            self._move_concerns(RESOLVED_STATUS, "resolved" if self.on_time else "resolved after its deadline",
                                origin, at)

    @property
    def next_tier(self) -> str | None:
        """The tier an escalation takes it to; None at the top."""
        index = TIERS.index(self.tier) + 1
        return TIERS[index] if index < len(TIERS) else None

    def escalate(self, reason: str, actor: Actor, at: datetime, origin: Origin, *, overdue: bool = False,
                 period: timedelta | None = None) -> None:
        """Up one tier with a reason (a handler who cannot solve it, or the deadline passed where
        the county escalates overdue tasks); the new tier's handling has a fresh `period` (the
        routing table's for it; by default the task's own)."""
        self._require_state(OPEN, IN_HANDLING, doing="escalated")
        if actor.role and not self._may_escalate(actor):
            raise PermissionDenied("only the task's handler or the neighbourhood's party secretary escalates it")
        if self.tier == ESCALATED:
            raise FailedPrecondition("this task is already escalated to the community, township and departments")
        reason = plain_text(reason, "reason")
        from_tier = self.tier
        self.tier = TIERS[TIERS.index(self.tier) + 1]
        self.period = period or self.period
        self.state, self.handler, self.mode, self.helpers = IN_HANDLING, None, "", ()
        self.deadline, self.reminded_at, self.overdue_at = at + self.period, None, None
        self._step(at, "escalated", actor, f"{from_tier} → {self.tier}: {reason}")
        self._record(TaskEscalated(self.snapshot(), from_tier, reason, overdue, at), origin, at)
        if self.tier == ESCALATED:
            self._move_concerns(ESCALATED_STATUS, "escalated beyond the neighbourhood", origin, at)
        else:
            self._move_concerns(IN_HANDLING_STATUS, "handled jointly by the neighbourhood", origin, at)

    # -- escalated: the whistle and the departments -------------------------------------------------

    def whistle(self, departments: list[Person], note: str, report_in_within: timedelta, actor: Actor,
                at: datetime, origin: Origin) -> None:
        """The township calls county departments (吹哨); each must report in within the county's
        time. Departments called before stay as they were."""
        self._require_state(IN_HANDLING, doing="whistled")
        if self.tier != ESCALATED:
            raise FailedPrecondition(f"departments are whistled to escalated tasks; this one is {self.tier}")
        note = plain_text(note, "note", required=False)
        new = [DepartmentCall(d.id, d.name, at, at + report_in_within) for d in departments
               if d.id not in self.departments]
        if not new:
            raise Conflict("every department named was whistled to this task already")
        for call in new:
            self.departments[call.department_id] = call
        self.whistled_at = self.whistled_at or at
        self._step(at, "whistled", actor, ", ".join(call.name for call in new))
        self._record(DepartmentsWhistled(self.snapshot(), tuple(new), note), origin, at)

    def department_reports(self, department_id: str, kind: str, note: str, actor: Actor, at: datetime,
                           origin: Origin) -> bool:
        """A department's report-in (报到), progress or result. A report-in once kept stays: the
        same again changes nothing (False)."""
        call = self.departments.get(department_id)
        if call is None:
            raise FailedPrecondition("that department was not whistled to this task")
        self._require_state(IN_HANDLING, doing="reported on")
        note = plain_text(note, "note", required=kind != REPORT_IN)
        if kind == REPORT_IN:
            if call.reported_in_at is not None:
                return False
            call = replace(call, reported_in_at=at)
        else:
            # Progress or a result before the report-in counts as reporting in.
            call = replace(call, reported_in_at=call.reported_in_at or at)
            if kind == RESULT:
                call = replace(call, result=note, result_at=at)
        self.departments[department_id] = call
        self._step(at, _REPORT_STEPS[kind], actor, f"{call.name}: {note}" if note else call.name)
        self._record(DepartmentReported(self.snapshot(), department_id, kind, note, at), origin, at)
        return True

    def report_in_late(self, department_id: str, at: datetime, origin: Origin) -> bool:
        """A whistled department's report-in time passed without it reporting in (the task still
        in handling): said once, on the task's history and to the platform."""
        call = self.departments.get(department_id)
        if call is None or call.reported_in_at is not None or self.state != IN_HANDLING or at < call.report_in_due:
            return False
        self._step(at, "report_in_late", SYSTEM, call.name)
        self._record(DepartmentReportInLate(self.snapshot(), department_id, call.report_in_due), origin, at)
        return True

    # -- time -------------------------------------------------------------------------------------

    def remind(self, at: datetime, origin: Origin) -> bool:
        if self.state == RESOLVED or self.reminded_at is not None:
            return False
        self.reminded_at = at
        self._step(at, "reminded", SYSTEM, f"due {self.deadline.isoformat()}")
        self._record(TaskReminded(self.snapshot()), origin, at)
        return True

    def mark_overdue(self, at: datetime, origin: Origin) -> bool:
        """The deadline passed before the task was resolved; once per round."""
        if self.state == RESOLVED or self.overdue_at is not None or at < self.deadline:
            return False
        self.overdue_at = at
        self._step(at, "overdue", SYSTEM, f"due {self.deadline.isoformat()}")
        self._record(TaskOverdue(self.snapshot()), origin, at)
        return True

    # -- rework -----------------------------------------------------------------------------------

    def reopen(self, supervisor: Person, reason: str, at: datetime, origin: Origin) -> None:
        """After an unsatisfied rating, back to handling under a named supervisor (督促整改), with
        a fresh period; the round is counted."""
        if self.state != RESOLVED:
            raise FailedPrecondition(f"only a resolved task is reworked; this one is {self.state}")
        self.rework_round += 1
        self.state, self.supervisor, self.resolved_at, self.result, self.on_time = \
            IN_HANDLING, supervisor, None, "", False
        # This round needs its own evidence: the bodies' parts and the departments' results again
        # (the last round's stay in the history).
        self.parts = {}
        self.departments = {key: replace(call, result="", result_at=None) for key, call in self.departments.items()}
        self.deadline, self.reminded_at, self.overdue_at = at + self.period, None, None
        note = f"round {self.rework_round}, supervised by {supervisor.name}"
        self._step(at, "reopened", SYSTEM, f"{note}: {reason}" if reason else note)
        self._record(TaskReopened(self.snapshot(), reason), origin, at)
        self._move_concerns(REOPENED_STATUS, f"reopened for rework (round {self.rework_round})", origin, at)

    # -- who ----------------------------------------------------------------------------------------

    def takes_part(self, actor: Actor) -> bool:
        """Is the actor among those handling the task (who may note progress on it)?"""
        if actor.role == PARTY_SECRETARY:
            return True
        if self.tier == INDIVIDUAL:
            return any(person.id == actor.entity_id for person in (self.handler, *self.helpers) if person)
        if actor.role in (OWNERS_COMMITTEE, PROPERTY_COMPANY):
            return True
        return self.tier == ESCALATED and actor.role in (COMMUNITY_ADMIN, TOWNSHIP_ADMIN)

    def is_handler(self, actor: Actor) -> bool:
        return self.handler is not None and bool(actor.entity_id) and self.handler.id == actor.entity_id

    def _require_handler_or_secretary(self, actor: Actor, doing: str) -> None:
        if actor.role != PARTY_SECRETARY and not self.is_handler(actor):
            raise PermissionDenied(f"only the task's handler or the party secretary may {doing}")

    def _may_resolve(self, actor: Actor) -> bool:
        if self.tier == INDIVIDUAL:
            return actor.role == PARTY_SECRETARY or self.is_handler(actor)
        if self.tier == JOINT:
            return actor.role == PARTY_SECRETARY
        return actor.role in (COMMUNITY_ADMIN, TOWNSHIP_ADMIN)

    def _may_escalate(self, actor: Actor) -> bool:
        if self.tier == INDIVIDUAL:
            return actor.role == PARTY_SECRETARY or self.is_handler(actor)
        # A joint task goes beyond the neighbourhood by its party organisation, or by the
        # community party committee taking it up.
        return actor.role in (PARTY_SECRETARY, COMMUNITY_ADMIN)

    def _require_state(self, *states: str, doing: str) -> None:
        if self.state not in states:
            raise FailedPrecondition(f"this task is {self.state.replace('_', ' ')}: it cannot be {doing}")

    # -- recording ----------------------------------------------------------------------------------

    def snapshot(self) -> Task:
        """The task as it stands, for an event: a copy later steps do not change."""
        return replace(self, parts=dict(self.parts), departments=dict(self.departments), steps=[])

    def _step(self, at: datetime, step: str, actor: Actor, note: str = "") -> None:
        self.steps.append(Step(at, step, actor.name, note))

    def _record(self, event: object, origin: Origin, at: datetime) -> None:
        self.record(event, origin, at)

    def _move_concerns(self, status: str, note: str, origin: Origin, at: datetime) -> None:
        for concern_id in self.concern_ids:
            self.record(ConcernMoved(concern_id, status, note), origin, at)


_OPENED_NOTE = {INDIVIDUAL: "handled by the neighbourhood's members",
                JOINT: "handled jointly by the party organisation, owners' committee and property company",
                ESCALATED: "escalated beyond the neighbourhood"}
_WHO_RESOLVES = {INDIVIDUAL: "only the task's handler or the party secretary resolves it",
                 JOINT: "the party secretary resolves a joint task, for the party organisation that leads it",
                 ESCALATED: "the community or township resolves an escalated task"}
_REPORT_STEPS = {REPORT_IN: "reported_in", contract.PROGRESS: "department_progress", RESULT: "department_result"}
