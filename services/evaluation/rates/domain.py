"""The three rates (响应率 / 解决率 / 满意率) and time to resolve, exactly as the API docs define them
(GetRates's Rates message, the gateway's GET /api/v1/rates description, the README). No I/O here.

Every figure is a sum over tasks. What one task adds is a pure function of the facts known about
it (`contribution`), so the monthly cells are kept exact by adding a task's new contribution and
taking away its old one whenever a fact about it arrives: whatever order facts arrive in, and
however often one is delivered, the cells end equal to the sum over the facts (the rebuild).
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from services import periods
from services.contract import COUNTY_TIME

PLACE, MEMBER, DEPARTMENT = "place", "member", "department"
SATISFIED, BASICALLY_SATISFIED, UNSATISFIED, UNRATED = "satisfied", "basically_satisfied", "unsatisfied", "unrated"
OUTCOMES = (SATISFIED, BASICALLY_SATISFIED, UNSATISFIED, UNRATED)
_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Department:
    """A county department the township whistled to for the task (吹哨), and when it reported in (报到)."""

    report_in_due: datetime | None = None
    reported_at: datetime | None = None  # its earliest report on the task


@dataclass(frozen=True)
class TaskFacts:
    """What evaluation knows of one task from dispatch's events and its own ratings."""

    task_id: str
    place: tuple[str, ...] = ()  # county, township, community, neighbourhood
    opened_at: datetime | None = None
    deadline: datetime | None = None  # as the task was opened with
    acted_at: datetime | None = None  # its earliest act but an assignment (see `acted`)
    # The two earliest moments it was assigned or claimed at (distinct): dispatch's own assignment
    # of a fixed task, made as it opens it, is the first and at the opening; see `first_act`.
    assigned_at: datetime | None = None
    reassigned_at: datetime | None = None
    handler_id: str = ""
    handler_at: datetime | None = None  # when the latest assignment was made
    escalated_at: datetime | None = None  # its latest escalation by a person: the task leaves its member
    resolved_round: int = -1  # the latest round resolved (dispatch counts rounds from 0)
    resolved_at: datetime | None = None  # when that round was resolved
    reopened_round: int = 0  # the latest round of rework reopened (from 1)
    ratings: dict[int, str] = field(default_factory=dict)  # round (from 1) -> an outcome
    departments: dict[str, Department] = field(default_factory=dict)

    # -- facts arriving, each one commutative: any order gives the same facts -----------------

    def opened(self, place: tuple[str, ...], at: datetime, deadline: datetime | None) -> TaskFacts:
        return replace(self, place=place, opened_at=at, deadline=deadline)

    def acted(self, at: datetime) -> TaskFacts:
        """A step of someone handling it: a progress note, a body's part, an escalation by a person,
        a department's report or a resolution. The earliest of them (and of the assignments after
        its opening, `first_act`) is when the task was responded to."""
        return replace(self, acted_at=at if self.acted_at is None else min(self.acted_at, at))

    def assigned(self, handler_id: str, at: datetime) -> TaskFacts:
        """Assigned or claimed. The latest assignment names the handler (ties: the greater id, so
        order does not matter); the two earliest moments are kept for `first_act`."""
        times = sorted({t for t in (self.assigned_at, self.reassigned_at, at) if t is not None})[:2]
        facts = replace(self, assigned_at=times[0], reassigned_at=times[1] if len(times) > 1 else None)
        if self.handler_at is None or (at, handler_id) > (self.handler_at, self.handler_id):
            facts = replace(facts, handler_id=handler_id, handler_at=at)
        return facts

    def escalated(self, at: datetime, by_person: bool) -> TaskFacts:
        """Up a tier. Sent up by a person, that acts on it, and the task is no member's any more
        (unless assigned again later). Sent up for being overdue, neither: it still counts for the
        member who held it past its deadline, who is not let off by the escalation."""
        if not by_person:
            return self
        return replace(self.acted(at), escalated_at=at if self.escalated_at is None else max(self.escalated_at, at))

    def resolved(self, round_: int, at: datetime) -> TaskFacts:
        facts = self.acted(at)
        if round_ > self.resolved_round:
            facts = replace(facts, resolved_round=round_, resolved_at=at)
        return facts

    def reopened(self, round_: int) -> TaskFacts:
        return replace(self, reopened_round=max(self.reopened_round, round_))

    def rated(self, round_: int, outcome: str) -> TaskFacts:
        """A round's rating, or its closure unrated. A round's rating stands: a later word on the
        same round (a redelivery) does not change it."""
        if outcome not in OUTCOMES:
            raise ValueError(outcome)
        if round_ in self.ratings:
            return self
        return replace(self, ratings={**self.ratings, round_: outcome})

    def whistled(self, department_id: str, report_in_due: datetime | None) -> TaskFacts:
        """Whistled to a department; whistled again, its earliest due time stands."""
        found = self.departments.get(department_id, Department())
        dues = [due for due in (found.report_in_due, report_in_due) if due is not None]
        return replace(self, departments={**self.departments,
                                          department_id: replace(found, report_in_due=min(dues, default=None))})

    def reported(self, department_id: str, at: datetime) -> TaskFacts:
        found = self.departments.get(department_id, Department())
        first = at if found.reported_at is None else min(found.reported_at, at)
        return replace(self.acted(at), departments={**self.departments, department_id: replace(found, reported_at=first)})

    # -- what the facts say -----------------------------------------------------------------------

    @property
    def is_resolved(self) -> bool:
        """Resolved, and not reopened for rework since (a reworked task is resolved again when its
        rework round is)."""
        return self.resolved_round >= 0 and self.resolved_round >= self.reopened_round

    @property
    def first_act(self) -> datetime | None:
        """When someone first acted on the task: the earliest of its acts (`acted`) and its
        assignments made after it opened. An assignment at the very moment of opening is dispatch's
        own (a fixed task given to its building leader or the member a decision named as it opens),
        not anyone's response: an untouched fixed task has not been acted on."""
        later = [t for t in (self.assigned_at, self.reassigned_at)
                 if t is not None and self.opened_at is not None and t > self.opened_at]
        acts = [t for t in (self.acted_at, min(later, default=None)) if t is not None]
        return min(acts, default=None)

    @property
    def responded(self) -> bool:
        return responded_by(self.first_act, self.deadline)

    @property
    def member_id(self) -> str:
        """The member it counts for: its latest assignment's, unless a person sent it up a tier since
        (dispatch took it from them)."""
        if self.handler_at is None or (self.escalated_at is not None and self.escalated_at >= self.handler_at):
            return ""
        return self.handler_id


def responded_by(acted_at: datetime | None, due: datetime | None) -> bool:
    """Acted on at or before its deadline (a task without a deadline, once acted on at all)."""
    return acted_at is not None and (due is None or acted_at <= due)


def hours_to_resolve(opened_at: datetime, resolved_at: datetime) -> int:
    """Whole hours begun from opening to the resolution that stands: 10 minutes is 1, 60 minutes
    is 1, 61 minutes is 2; a resolution at the very moment of opening (or before it, a clock
    disagreeing) is 0."""
    return max(0, math.ceil((resolved_at - opened_at) / _HOUR))


def month_of(moment: datetime) -> int:
    """The county-time month a moment falls in, as YYYYMM."""
    local = moment.astimezone(COUNTY_TIME)
    return local.year * 100 + local.month


# -- a cell: one subject's tasks opened in one month -----------------------------------------------

@dataclass
class Tally:
    tasks: int = 0
    responded: int = 0
    resolved: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0
    unsatisfied: int = 0
    unrated: int = 0
    hours: Counter[int] = field(default_factory=Counter)  # time to resolve -> resolved tasks

    COUNTS = ("tasks", "responded", "resolved", "satisfied", "basically_satisfied", "unsatisfied", "unrated")

    def add(self, other: Tally, sign: int = 1) -> None:
        # Spelled out, not a loop over COUNTS: the rebuild adds a few million of these.
        self.tasks += sign * other.tasks
        self.responded += sign * other.responded
        self.resolved += sign * other.resolved
        self.satisfied += sign * other.satisfied
        self.basically_satisfied += sign * other.basically_satisfied
        self.unsatisfied += sign * other.unsatisfied
        self.unrated += sign * other.unrated
        for hours, tasks in other.hours.items():
            self.hours[hours] += sign * tasks

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.COUNTS}

    def is_empty(self) -> bool:
        return not any(self.counts().values()) and not any(self.hours.values())


# (kind, subject id, YYYYMM)
CellKey = tuple[str, str, int]


# Where a task counts below its departments: its place, its handler and its month.
Leaf = tuple[tuple[str, ...], str, int]


def own_tally(facts: TaskFacts) -> tuple[Leaf, Tally] | None:
    """The task's leaf and what it adds there: nothing until it is known opened (its month and
    place)."""
    if facts.opened_at is None or not facts.place:
        return None
    tally = Tally(tasks=1, responded=int(facts.responded), resolved=int(facts.is_resolved))
    for outcome in facts.ratings.values():
        setattr(tally, outcome, getattr(tally, outcome) + 1)
    if facts.is_resolved and facts.resolved_at is not None:
        tally.hours[hours_to_resolve(facts.opened_at, facts.resolved_at)] = 1
    return (facts.place, facts.member_id, month_of(facts.opened_at)), tally


def spread(leaf: Leaf, tally: Tally) -> dict[CellKey, Tally]:
    """A leaf's tally in the cells it counts in: each place above it and itself, and its handler.
    Linear: the spread of a sum is the sum of the spreads (the rebuild sums leaves first)."""
    place, handler_id, month = leaf
    cells = {(PLACE, place_id, month): tally for place_id in place if place_id}
    if handler_id:
        cells[(MEMBER, handler_id, month)] = tally
    return cells


def department_cells(facts: TaskFacts, leaf: Leaf, tally: Tally) -> dict[CellKey, Tally]:
    """The task in each department's cell it was whistled to: the department's own response (it
    reported in by its due time); the rest is the task's."""
    return {(DEPARTMENT, department_id, leaf[2]): Tally(
        tasks=1, responded=int(responded_by(department.reported_at, department.report_in_due)),
        resolved=tally.resolved, satisfied=tally.satisfied, basically_satisfied=tally.basically_satisfied,
        unsatisfied=tally.unsatisfied, unrated=tally.unrated, hours=tally.hours)
        for department_id, department in facts.departments.items()}


def contribution(facts: TaskFacts) -> dict[CellKey, Tally]:
    """What one task adds to the cells."""
    found = own_tally(facts)
    if found is None:
        return {}
    leaf, tally = found
    return {**spread(leaf, tally), **department_cells(facts, leaf, tally)}


def change(before: TaskFacts, after: TaskFacts) -> dict[CellKey, Tally]:
    """What the cells gain (negative counts: lose) when a task's facts go from `before` to `after`."""
    deltas: dict[CellKey, Tally] = {}
    for sign, facts in ((-1, before), (1, after)):
        for key, tally in contribution(facts).items():
            deltas.setdefault(key, Tally()).add(tally, sign)
    return {key: delta for key, delta in deltas.items() if not delta.is_empty()}


# -- periods --------------------------------------------------------------------------------------

def months_of(period: str) -> tuple[int, int]:
    """"2026" / "2026-Q3" / "2026-07" as its first and last month, YYYYMM, both included: the days
    services/periods.py says the period covers, as the cells' months."""
    parsed = periods.parse(period) if isinstance(period, str) else periods.parse("")
    first, last = parsed.first_day, parsed.last_day
    return first.year * 100 + first.month, last.year * 100 + last.month


# -- the answer -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rates:
    subject_kind: str
    subject_id: str
    period: str
    tally: Tally

    @property
    def rated(self) -> int:
        return self.tally.satisfied + self.tally.basically_satisfied + self.tally.unsatisfied

    @property
    def response_rate(self) -> float | None:
        return _ratio(self.tally.responded, self.tally.tasks)

    @property
    def resolution_rate(self) -> float | None:
        return _ratio(self.tally.resolved, self.tally.tasks)

    @property
    def satisfaction_rate(self) -> float | None:
        return _ratio(self.tally.satisfied + self.tally.basically_satisfied, self.rated)

    @property
    def median_hours(self) -> int | None:
        return nearest_rank(self.tally.hours, 50)

    @property
    def p90_hours(self) -> int | None:
        return nearest_rank(self.tally.hours, 90)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def nearest_rank(histogram: Counter[int] | dict[int, int], percent: int) -> int | None:
    """The nearest-rank percentile: the smallest value with at least `percent`% of the values at
    or below it, i.e. the value of rank ceil(percent/100 x n) in ascending order (n = 4: the
    median is the 2nd, p90 the 4th). None when there are no values."""
    total = sum(count for count in histogram.values() if count > 0)
    if not total:
        return None
    rank = max(1, -(-percent * total // 100))
    seen = 0
    for value in sorted(v for v, count in histogram.items() if count > 0):
        seen += histogram[value]
        if seen >= rank:
            return value
    raise AssertionError("unreachable: the ranks add up to the total")


# -- what evaluation hears, in its own words ---------------------------------------------------------

@dataclass(frozen=True)
class Opened:
    task_id: str
    neighbourhood_id: str
    at: datetime
    deadline: datetime | None


@dataclass(frozen=True)
class Acted:
    """A step that acts on the task (a progress note, a body's part); `at` None: when the event
    occurred."""

    task_id: str
    at: datetime | None = None


@dataclass(frozen=True)
class Assigned:
    task_id: str
    handler_id: str
    at: datetime


@dataclass(frozen=True)
class Escalated:
    task_id: str
    at: datetime
    by_person: bool  # False: sent up for being overdue


@dataclass(frozen=True)
class Resolved:
    task_id: str
    round: int  # dispatch's: 0 the first time
    at: datetime


@dataclass(frozen=True)
class Reopened:
    task_id: str
    round: int  # from 1


@dataclass(frozen=True)
class Rated:
    task_id: str
    round: int  # the matter's, from 1
    outcome: str


@dataclass(frozen=True)
class Whistled:
    task_id: str
    department_ids: tuple[str, ...]
    report_in_due: datetime | None


@dataclass(frozen=True)
class Reported:
    task_id: str
    department_id: str
    at: datetime


Fact = Opened | Acted | Assigned | Escalated | Resolved | Reopened | Rated | Whistled | Reported


def learn(facts: TaskFacts, fact: Fact, occurred_at: datetime, place: tuple[str, ...] = ()) -> TaskFacts:
    """The task's facts with one more (`place`: where an opened task's neighbourhood is)."""
    match fact:
        case Opened(at=at, deadline=deadline):
            return facts.opened(place, at, deadline)
        case Acted(at=at):
            return facts.acted(at or occurred_at)
        case Assigned(handler_id=handler_id, at=at):
            return facts.assigned(handler_id, at)
        case Escalated(at=at, by_person=by_person):
            return facts.escalated(at, by_person)
        case Resolved(round=round_, at=at):
            return facts.resolved(round_, at)
        case Reopened(round=round_):
            return facts.reopened(round_)
        case Rated(round=round_, outcome=outcome):
            return facts.rated(round_, outcome)
        case Whistled(department_ids=department_ids, report_in_due=due):
            for department_id in department_ids:
                facts = facts.whistled(department_id, due)
            return facts
        case Reported(department_id=department_id, at=at):
            return facts.reported(department_id, at)
    raise TypeError(type(fact).__name__)
