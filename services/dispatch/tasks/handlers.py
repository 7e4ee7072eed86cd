"""Tasks' commands, timers and events: each one unit of work that loads the task, lets it take its
step (services/dispatch/tasks/domain.py holds every rule), and saves it with its events, its
ledger entries, its deliveries to the county platform and its timers.

Who may take a step is the proto's to say (role) and this module's and the domain's (place and
person): a caller sees a task only in their scope (a department: only one whistled to it), and
acts only on a task that is theirs to act on.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from servicekit import auth, logs, timers
from servicekit.clock import Clock
from servicekit.database import Database
from servicekit.directory_replica import DirectoryReplica, Known
from servicekit.errors import InvalidArgument, NotFound, PermissionDenied
from servicekit.events import Inbound, Origin, Place
from servicekit.ids import looks_like_id
from servicekit.timers import Timer
from servicekit.unit_of_work import UnitOfWork, UnitsOfWork
from services.contract import COUNTY_TIME, DEPARTMENT, INTEGRATION
from services.dispatch import contract, ledger, platform_feed
from services.dispatch.contract import RESOLVED
from services.dispatch.domain import Concern, DecidedAction, Rated, ReworkAsked
from services.dispatch.settings import DispatchSettings
from services.dispatch.tasks import domain, storage
from services.dispatch.tasks.domain import Actor, Person, Step, Task

# The timers a task keeps while it is not resolved.
REMINDER = "dispatch.task_reminder"
OVERDUE = "dispatch.task_overdue"
# A whistled department's time to report in, per task and department ("<task id>/<department id>").
REPORT_IN_DUE = "dispatch.report_in_due"
# The timers a step may move or cancel with the task's deadline.
TASK_TIMERS = (REMINDER, OVERDUE)
# Kinds of directory entity that may help with an individual task.
HELPER_KINDS = ("member", "volunteer")


@dataclass(frozen=True)
class TaskView:
    """A task as a caller sees it, with its history where one task is shown."""

    task: Task
    history: tuple[Step, ...] = ()


def actor() -> Actor:
    principal = auth.current.get()
    if principal is None:
        return domain.SYSTEM
    return Actor(principal.role, principal.entity_id, principal.name)


class Tasks:
    def __init__(self, db: Database, units: UnitsOfWork, replica: DirectoryReplica, settings: DispatchSettings,
                 clock: Clock):
        self.db, self.units, self.replica, self.settings, self.clock = db, units, replica, settings, clock

    # -- opening, from what dispatch hears ------------------------------------------------------------

    def open_for_concern(self, uow: UnitOfWork, concern: Concern, place: Place, origin: Origin) -> None:
        """A concern routed direct becomes its task (with the concern's id): the routing table
        picks the tier; an individual one goes to its building's leader, if it has one."""
        path = place.path
        route = self.settings.route(uow.conn, path, concern.category, concern.urgency)
        now = self.clock.now()
        task = Task(task_id=concern.concern_id, place=place, tier=route.tier, state=contract.OPEN,
                    deadline=now + route.period, opened_at=now, period=route.period,
                    concern_ids=(concern.concern_id,), category=concern.category, urgency=concern.urgency,
                    building_id=concern.building_id, household_id=concern.household_id)
        leader = self._building_leader(uow.conn, path, concern.building_id)
        self._add(uow, Task.open(task, route, leader, origin))

    def open_for_action(self, uow: UnitOfWork, action: DecidedAction, place: Place, origin: Origin) -> None:
        """A decided action becomes its task (with the action's id), due by the end of the day the
        meeting set, in the tier it suggested (else the routing table's); an individual one goes
        to the member the meeting named, if it named one of the neighbourhood's."""
        path = place.path
        route = self.settings.route(uow.conn, path, "", "", action.tier)
        now = self.clock.now()
        deadline = datetime.combine(action.deadline + timedelta(days=1), time(), COUNTY_TIME)
        task = Task(task_id=action.action_id, place=place, tier=route.tier, state=contract.OPEN, deadline=deadline,
                    opened_at=now, period=route.period, concern_ids=action.concern_ids,
                    decision_id=action.decision_id, action_id=action.action_id, description=action.description)
        owner = self._people(uow.conn, path, [action.owner_id], ("member",)).get(action.owner_id)
        # The decision's concerns move into handling with its first action, not once per action.
        self._add(uow, Task.open(task, route, owner, origin, moves_concerns=action.position == 0))

    def _add(self, uow: UnitOfWork, task: Task) -> None:
        if storage.add(uow.conn, task):  # else a redelivered event: the task is as it was
            self._after(uow, task, timed=True)

    # -- commands ------------------------------------------------------------------------------------

    def claim(self, task_id: str) -> TaskView:
        def step(conn: sa.Connection, task: Task, who: Actor, now: datetime, origin: Origin) -> None:
            member = self._caller_as_member(conn, task)
            task.claim(member, who, now, origin)
        return self._command(task_id, step, timed=True)

    def assign(self, task_id: str, member_id: str) -> TaskView:
        def step(conn: sa.Connection, task: Task, who: Actor, now: datetime, origin: Origin) -> None:
            member = self._person(conn, task, member_id, ("member",), "member_id")
            task.assign(member, who, now, origin)
        return self._command(task_id, step, timed=True)

    def add_helper(self, task_id: str, helper_id: str) -> TaskView:
        def step(conn: sa.Connection, task: Task, who: Actor, now: datetime, origin: Origin) -> None:
            helper = self._person(conn, task, helper_id, HELPER_KINDS, "helper_id")
            task.add_helper(helper, who, now, origin)
        return self._command(task_id, step)

    def note_progress(self, task_id: str, note: str) -> TaskView:
        return self._command(task_id, lambda conn, task, who, now, origin: task.note_progress(note, who, now, origin))

    def record_part(self, task_id: str, part: str, result: str) -> TaskView:
        return self._command(task_id, lambda conn, task, who, now, origin: task.record_part(part, result, who, now,
                                                                                           origin))

    def resolve(self, task_id: str, result: str) -> TaskView:
        def step(conn: sa.Connection, task: Task, who: Actor, now: datetime, origin: Origin) -> None:
            # A decision's concerns are resolved with its last action, not its first.
            others = bool(task.decision_id) and storage.others_unresolved(conn, task.decision_id, task.task_id)
            task.resolve(result, who, now, origin, concerns_done=not others)
        return self._command(task_id, step, timed=True, whole_decision=True)

    def escalate(self, task_id: str, reason: str) -> TaskView:
        def step(conn: sa.Connection, task: Task, who: Actor, now: datetime, origin: Origin) -> None:
            task.escalate(reason, who, now, origin, period=self._period_above(conn, task))
        return self._command(task_id, step, timed=True)

    def _period_above(self, conn: sa.Connection, task: Task) -> timedelta | None:
        """How long the task has once it goes up: its category's deadline in the routing table as
        it stands now (the table gives a deadline per category and urgency, whatever the tier);
        None at the top, where escalating is refused anyway."""
        above = task.next_tier
        if above is None:
            return None
        return self.settings.route(conn, task.place.path, task.category, task.urgency, above).period

    def whistle(self, task_id: str, department_ids: list[str], note: str) -> TaskView:
        if not department_ids:
            raise InvalidArgument("department_ids: name at least one county department")
        if len(department_ids) > contract.DEPARTMENTS_MAX:
            raise InvalidArgument(f"department_ids: at most {contract.DEPARTMENTS_MAX}")

        def step(conn: sa.Connection, task: Task, who: Actor, now: datetime, origin: Origin) -> None:
            departments = self._departments(conn, task, department_ids)
            called = set(task.departments)
            task.whistle(departments, note, self.settings.report_in_within(conn, task.place.path), who, now,
                         origin)
            due.extend(call for key, call in task.departments.items() if key not in called)

        def time_report_ins(uow: UnitOfWork, task: Task) -> None:
            for call in due:  # each department newly whistled must report in by its time
                timers.schedule(uow, REPORT_IN_DUE, f"{task.task_id}/{call.department_id}", call.report_in_due,
                                {"task_id": task.task_id, "department_id": call.department_id})

        due: list[domain.DepartmentCall] = []
        return self._command(task_id, step, after=time_report_ins)

    def report_for_department(self, task_id: str, department_id: str, kind: str, note: str,
                              callback_id: str) -> TaskView:
        """A department's report-in, progress or result: its own account reports for itself, the
        platform (an integration) names the department. A callback id seen before changes nothing."""
        principal = auth.caller()
        if principal.role == DEPARTMENT:
            if department_id and department_id != principal.entity_id:
                raise PermissionDenied("a department reports only for itself")
            department_id = principal.entity_id
        elif principal.role == INTEGRATION and not department_id:
            raise InvalidArgument("department_id is required when the platform reports")
        if kind not in contract.REPORT_KINDS:
            raise InvalidArgument(f"kind must be one of {', '.join(contract.REPORT_KINDS)}")
        if not callback_id or len(callback_id) > contract.CALLBACK_ID_MAX_CHARS or not callback_id.isprintable():
            raise InvalidArgument(f"callback_id: 1 to {contract.CALLBACK_ID_MAX_CHARS} printable characters")

        def step(conn: sa.Connection, task: Task, who: Actor, now: datetime, origin: Origin) -> None:
            if storage.callback_applied(conn, department_id, callback_id, task.task_id, now):
                return
            task.department_reports(department_id, kind, note, who, now, origin)
        return self._command(task_id, step)

    def _command(self, task_id: str, step: Callable[[sa.Connection, Task, Actor, datetime, Origin], None], *,
                 timed: bool = False, whole_decision: bool = False,
                 after: Callable[[UnitOfWork, Task], object] | None = None) -> TaskView:
        """One step on one task, in one unit of work; `whole_decision`: the step reads the other
        tasks of the task's decision, which are locked first."""
        if not looks_like_id(task_id):
            raise NotFound(f"no task {task_id[:64]}")  # before any lock: odd text never reaches a query
        now = self.clock.now()
        with self.units.start() as uow:
            if timed:
                timers.lock_pending(uow, TASK_TIMERS, task_id)  # before the task: see lock_pending
            if whole_decision:
                storage.lock_decision_of(uow.conn, task_id)
            task = self.find(uow.conn, task_id, lock=True)
            tier = task.tier
            step(uow.conn, task, actor(), now, Origin(task.place, logs.correlation_id.get()))
            self._after(uow, task, timed=timed, escalated=task.tier != tier)
            if after is not None:
                after(uow, task)
            view = TaskView(task, tuple(storage.history(uow.conn, task.task_id)))
        return view

    def _after(self, uow: UnitOfWork, task: Task, *, timed: bool = False, escalated: bool = False) -> None:
        """Save what the task's steps changed (a new task is saved already), with everything that
        follows from its events."""
        if task.steps:
            storage.save(uow.conn, task, escalated=escalated)
        for recorded in task.events:
            ledger.keep(uow.conn, recorded.event, recorded.occurred_at)
            platform_feed.deliver(uow.conn, recorded.event, recorded.occurred_at)
        if timed:
            self._time(uow, task)
        uow.collect(task)

    def _time(self, uow: UnitOfWork, task: Task) -> None:
        """The reminder before the deadline and the overdue mark at it, while it is unresolved."""
        if task.state == RESOLVED:
            timers.cancel(uow, REMINDER, task.task_id)
            timers.cancel(uow, OVERDUE, task.task_id)
            return
        before = min(self.settings.reminder_before(uow.conn, task.place.path), task.period / 2)
        if task.reminded_at is None:
            timers.schedule(uow, REMINDER, task.task_id, max(task.deadline - before, task.opened_at))
        if task.overdue_at is None:
            timers.schedule(uow, OVERDUE, task.task_id, task.deadline)

    # -- timers ---------------------------------------------------------------------------------------

    def remind_due(self, uow: UnitOfWork, timer: Timer) -> None:
        task = storage.load(uow.conn, timer.subject_id, lock=True)
        if task is not None and task.remind(self.clock.now(), Origin(task.place)):
            self._after(uow, task)

    def overdue_due(self, uow: UnitOfWork, timer: Timer) -> None:
        """The deadline passed: the task is overdue, and goes up a tier where the county says so."""
        task = storage.load(uow.conn, timer.subject_id, lock=True)
        now = self.clock.now()
        if task is None or not task.mark_overdue(now, Origin(task.place)):
            return
        tier = task.tier
        if task.tier != contract.ESCALATED and self.settings.overdue_escalates(uow.conn, task.place.path):
            task.escalate("its deadline passed unresolved", domain.SYSTEM, now, Origin(task.place), overdue=True,
                          period=self._period_above(uow.conn, task))
        self._after(uow, task, timed=task.tier != tier, escalated=task.tier != tier)

    def report_in_due(self, uow: UnitOfWork, timer: Timer) -> None:
        """A whistled department's time to report in (报到) is up: late, if it has not."""
        task = storage.load(uow.conn, str(timer.payload.get("task_id", "")), lock=True)
        if task is not None and task.report_in_late(str(timer.payload.get("department_id", "")), self.clock.now(),
                                                    Origin(task.place)):
            self._after(uow, task)

    # -- what evaluation reports --------------------------------------------------------------------

    def rework(self, uow: UnitOfWork, asked: list[Inbound[ReworkAsked]]) -> None:
        """An unsatisfied rating sends the task back under a supervisor (督促整改). A rework asked of
        a task that is not resolved (asked twice, or reopened already) changes nothing."""
        now = self.clock.now()
        # In task id order, the order a decision's resolution locks its tasks in: never a cycle.
        for arrival in sorted(asked, key=lambda arrival: arrival.event.task_id):
            request = arrival.event
            if not looks_like_id(request.task_id):
                raise NotFound(f"dispatch has no task {request.task_id[:64]} to rework")
            timers.lock_pending(uow, TASK_TIMERS, request.task_id)  # before the task: see lock_pending
            task = storage.load(uow.conn, request.task_id, lock=True)
            if task is None:
                raise NotFound(f"dispatch has no task {request.task_id[:64]} to rework")
            if task.state != RESOLVED:
                continue
            task.reopen(Person(request.supervisor_id, request.supervisor_name), request.reason, now,
                        arrival.follow_up)
            self._after(uow, task, timed=True)

    def rated(self, uow: UnitOfWork, ratings: list[Inbound[Rated]]) -> None:
        """The resident's rating (评诺) goes on the commitment that resolved the task."""
        for arrival in ratings:
            ledger.rate(uow.conn, arrival.event.task_id, arrival.event.rating, arrival.event.rated_at)

    # -- finding things, as the caller may see them -----------------------------------------------------

    def find(self, conn: sa.Connection, task_id: str, *, lock: bool = False) -> Task:
        """The task, if the caller may see it: in their scope, and for a department one whistled
        to it (else NotFound, alike whether it exists or not)."""
        task = storage.load(conn, task_id, lock=lock) if looks_like_id(task_id) else None
        if task is None or not self.visible(task):
            raise NotFound(f"no task {task_id[:64]}")
        return task

    @staticmethod
    def visible(task: Task) -> bool:
        principal = auth.current.get()
        if principal is None:
            return True
        if principal.role == DEPARTMENT:
            return principal.entity_id in task.departments
        if principal.role == INTEGRATION and task.tier != contract.ESCALATED:
            return False  # the county platform hears escalations only
        return principal.covers(task.place.path)

    def _caller_as_member(self, conn: sa.Connection, task: Task) -> Person:
        principal = auth.caller()
        found = self._people(conn, task.place.path, [principal.entity_id], ("member",)).get(principal.entity_id)
        if found is None:
            raise PermissionDenied("only a member of the task's neighbourhood claims its tasks")
        return found

    def _person(self, conn: sa.Connection, task: Task, entity_id: str, kinds: tuple[str, ...], name: str) -> Person:
        found = self._people(conn, task.place.path, [entity_id], kinds).get(entity_id)
        if found is None:
            raise InvalidArgument(f"{name}: no {' or '.join(kinds)} {entity_id[:64]} in the task's neighbourhood")
        return found

    def _people(self, conn: sa.Connection, path: tuple[str, ...], ids: list[str],
                kinds: tuple[str, ...]) -> dict[str, Person]:
        """These entities, if they are of `kinds` and in the neighbourhood with `path`."""
        known = self.replica.known(conn, [entity_id for entity_id in ids if entity_id])
        return {entity_id: Person(entity.entity_id, entity.name) for entity_id, entity in known.items()
                if entity.kind in kinds and entity.scope_path[:len(path)] == path}

    def _departments(self, conn: sa.Connection, task: Task, ids: list[str]) -> list[Person]:
        known = self.replica.known(conn, ids)
        unknown = [entity_id for entity_id in dict.fromkeys(ids) if not _is_department_of(known.get(entity_id), task)]
        if unknown:
            raise InvalidArgument(f"department_ids: no county department {', '.join(i[:64] for i in unknown)}")
        return [Person(known[entity_id].entity_id, known[entity_id].name) for entity_id in dict.fromkeys(ids)]

    def _building_leader(self, conn: sa.Connection, path: tuple[str, ...], building_id: str) -> Person | None:
        """The member who leads the building (楼栋长), the first by name if several do."""
        if not building_id:
            return None
        leaders = sorted((member for member in self.replica.within(conn, path, "member")
                          if building_id in (member.attributes.get("leads_building_ids") or [])),
                         key=lambda member: (member.name, member.entity_id))
        return Person(leaders[0].entity_id, leaders[0].name) if leaders else None

    # -- reads -------------------------------------------------------------------------------------------

    def get(self, task_id: str) -> TaskView:
        with self.db.read() as conn:
            task = self.find(conn, task_id)
            return TaskView(task, tuple(storage.history(conn, task.task_id)))


def _is_department_of(entity: Known | None, task: Task) -> bool:
    return entity is not None and entity.kind == "department" and entity.scope_path[:1] == (task.place.county_id,)

