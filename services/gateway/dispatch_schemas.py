"""The REST API's bodies for handling (办事): a task's steps, its lists, the commitment ledger, the
county platform's deliveries and dispatch's figures. Shape and bounds only (from
services/dispatch/contract.py); whose turn a step is, and whether the task is in a state to take
it, are the service's to check."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from servicekit.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from services.dispatch.contract import (
    BODIES,
    CALLBACK_ID_MAX_CHARS,
    DELIVERY_STATES,
    DEPARTMENTS_MAX,
    LISTS,
    NOTE_MAX_CHARS,
    REPORT_KINDS,
    STATES,
    TIERS,
)
from services.gateway.bounds import StrictBody as _Strict
from services.gateway.bounds import each_of_a_comma_list, plain_text
from services.gateway.deliberation_schemas import Day, Id
from services.gateway.dispatch_words import MODES

State = Literal[STATES]
Tier = Literal[TIERS]
Mode = Literal[MODES]


def _printable(text: str) -> str:
    if not text.isprintable():
        raise ValueError("printable characters only")
    return text


# A note, a part, a result or a reason, as people type it (line breaks allowed).
Text = plain_text(max_length=NOTE_MAX_CHARS)
RequiredText = plain_text(min_length=1, max_length=NOTE_MAX_CHARS)
PageSize = Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)]
PageToken = Annotated[str, Field(max_length=200)]


# -- what callers send ------------------------------------------------------------------------

class AssignmentIn(_Strict):
    """The party secretary gives an individual task to a member of its neighbourhood (固定包办)."""

    member_id: Id


class HelperIn(_Strict):
    helper_id: Id = Field(description="A member or volunteer of the task's neighbourhood")


class NoteIn(_Strict):
    note: RequiredText


class PartIn(_Strict):
    """A body's part in joint or escalated handling (the caller's body: the service knows whose)."""

    part: RequiredText
    result: Text = ""


class ResolutionIn(_Strict):
    result: RequiredText


class EscalationIn(_Strict):
    reason: RequiredText = Field(description="Why the handler cannot solve it at this tier")


class WhistleIn(_Strict):
    """The township blows the whistle (吹哨) on an escalated task to county departments."""

    department_ids: list[Id] = Field(min_length=1, max_length=DEPARTMENTS_MAX)
    note: Text = ""

    @model_validator(mode="after")
    def _each_department_once(self) -> WhistleIn:
        if len(set(self.department_ids)) != len(self.department_ids):
            raise ValueError("department_ids names a department twice")
        return self


class DepartmentReportIn(_Strict):
    """A department's report-in (报到), progress or result on a task it was whistled to."""

    department_id: Id | None = Field(None, description="The department reported for; a department's own "
                                                       "account may leave it out (its own)")
    kind: Literal[REPORT_KINDS]
    note: Text = ""
    callback_id: Annotated[str, Field(min_length=1, max_length=CALLBACK_ID_MAX_CHARS), AfterValidator(_printable)] = (
        Field(description="The platform's id of this callback: the same id again changes nothing"))


class TaskQuery(_Strict):
    list_: Literal[LISTS] = Field("mine", alias="list", description=(
        "mine: the caller's own (handled or helped, their body's, their department's); pool: the neighbourhood's "
        "open individual tasks nobody has claimed; joint; escalated; overdue; all of a place's"))
    place_id: Id | None = Field(None, description="The place the list is of; left out, the caller's own scope")
    state: Annotated[list[State], BeforeValidator(each_of_a_comma_list)] = Field(
        default_factory=list, description="Only tasks in these states (repeat the parameter, or separate by commas); "
                                          "none for all")
    tier: Tier | None = None
    category: str = Field("", max_length=50)
    page_size: PageSize = DEFAULT_PAGE_SIZE
    page_token: PageToken = ""


class _Days(_Strict):
    from_: Day | None = Field(None, alias="from")
    to: Day | None = None

    @model_validator(mode="after")
    def _in_order(self) -> _Days:
        if self.from_ and self.to and self.from_ > self.to:
            raise ValueError("from is after to")
        return self


class LedgerQuery(_Days):
    from_: Day | None = Field(None, alias="from", description="The first day, YYYY-MM-DD (county time); without "
                                                               "from and to, the whole ledger")
    to: Day | None = Field(None, description="The last day, included")
    page_size: PageSize = DEFAULT_PAGE_SIZE
    page_token: PageToken = ""


class DeliveryQuery(_Strict):
    task_id: Id | None = Field(None, description="Only this task's; left out, all")
    state: Literal[DELIVERY_STATES] | None = Field(None, description="Left out, both")
    page_size: PageSize = DEFAULT_PAGE_SIZE
    page_token: PageToken = ""


class DispatchFiguresQuery(_Days):
    place_id: Id = Field(description="A neighbourhood, community, township or county id")
    from_: Day = Field(alias="from", description="The first day, YYYY-MM-DD (county time)")
    to: Day = Field(description="The last day, included")


# -- what they get back -----------------------------------------------------------------------

class PersonOut(BaseModel):
    id: str
    name: str


class PartOut(BaseModel):
    body: Literal[BODIES]
    part: str
    result: str | None
    recorded_at: datetime | None
    recorded_by: str | None


class DepartmentCallOut(BaseModel):
    """A county department the township whistled to, and what it reported."""

    department_id: str
    name: str
    whistled_at: datetime | None
    report_in_due: datetime | None
    reported_in_at: datetime | None = Field(description="Its report-in (报到); null until it reports in")
    result: str | None
    result_at: datetime | None


class TaskStepOut(BaseModel):
    at: datetime | None
    step: str = Field(description="opened, assigned, claimed, helper_added, progress, part, escalated, whistled, "
                                  "reported_in, department_progress, department_result, reminded, overdue, "
                                  "resolved, reopened")
    actor: str | None = Field(description="Who took it; null for the service's own timers")
    note: str


class TaskOut(BaseModel):
    """A unit of handling work (任务): a concern's, or an action of a joint meeting's decision."""

    task_id: str | None = Field(description="Null for a concern not routed direct (waiting: no task yet)")
    concern_id: str | None = Field(description="The concern's id for a concern's task")
    neighbourhood_id: str
    building_id: str | None
    household_id: str | None
    category: str | None
    urgency: str | None = Field(description="normal or urgent")
    route: str | None = Field(description="direct once triaged so; null before, or when it went to deliberation")
    merged_into: str | None
    received_at: datetime | None
    opened_at: datetime | None
    state: State
    tier: Tier | None
    mode: Mode | None = Field(description="fixed (固定包办) or claimed (自行领办), once someone has an "
                                          "individual task")
    handler_id: str | None
    handler_name: str | None
    helpers: list[PersonOut]
    decision_id: str | None
    action_id: str | None
    concern_ids: list[str]
    description: str | None = Field(description="The decided action's description; null for a concern's task")
    deadline: datetime | None
    overdue_at: datetime | None = Field(description="When the deadline passed unresolved; null if it did not")
    resolved_at: datetime | None
    result: str | None
    on_time: bool | None = Field(description="Resolved by its deadline; null until resolved")
    rework_round: int = Field(description="Rounds of rework so far (督促整改)")
    supervisor: PersonOut | None = Field(description="Who supervises the current round of rework")
    parts: list[PartOut]
    departments: list[DepartmentCallOut]
    whistled_at: datetime | None
    history: list[TaskStepOut] = Field(description="Every step, oldest first; empty in lists")


class TaskPage(BaseModel):
    """One page of a task list, newest first."""

    tasks: list[TaskOut]
    next_page_token: str | None


class DecidedActionOut(BaseModel):
    action_id: str
    decision_id: str
    topic_id: str
    neighbourhood_id: str
    description: str
    tier: Tier | None = Field(description="As the meeting suggested; null if it suggested none")
    owner_id: str | None
    owner_name: str | None
    deadline: str | None = Field(description="YYYY-MM-DD")
    received_at: datetime | None = Field(description="When dispatch received the decision")


class DecidedActionList(BaseModel):
    """A decision's actions as dispatch received them, in the plan's order."""

    actions: list[DecidedActionOut]


class CommitmentOut(BaseModel):
    """A task the member took on (承诺), its fulfilment (践诺) and rating (评诺)."""

    commitment_id: str
    task_id: str
    neighbourhood_id: str
    mode: Mode | None
    committed_at: datetime | None
    deadline: datetime | None
    state: str = Field(description="open, fulfilled, or released (the task went up a tier or to somebody else)")
    fulfilled_at: datetime | None
    on_time: bool | None = Field(description="Fulfilled by its deadline; null until fulfilled")
    rating: str | None = Field(description="satisfied, basically_satisfied or unsatisfied; null until rated")
    rework_rounds: int


class LedgerOut(BaseModel):
    """A member's commitment ledger (践诺台账): one page of commitments, and counts over the period."""

    member_id: str
    member_name: str
    commitments: list[CommitmentOut]
    next_page_token: str | None
    committed: int
    fulfilled_on_time: int
    fulfilled_late: int
    open: int
    released: int


class DeliveryAttemptOut(BaseModel):
    number: int
    at: datetime | None
    status: int | None = Field(description="The platform's HTTP status; null when none came (refused, timed out)")
    error: str | None
    duration_ms: int


class DeliveryOut(BaseModel):
    """One event for the county platform, and every attempt to deliver it."""

    delivery_id: str = Field(description="Also the Idempotency-Key the platform sees")
    task_id: str
    event_type: str
    created_at: datetime | None
    state: Literal[DELIVERY_STATES]
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    attempts: list[DeliveryAttemptOut]


class DeliveryPage(BaseModel):
    """One page of deliveries, newest first."""

    deliveries: list[DeliveryOut]
    next_page_token: str | None


class DepartmentFiguresOut(BaseModel):
    """How quickly a department reported in (报到) after the whistle."""

    department_id: str
    name: str
    whistled: int
    reported_in: int
    reported_in_on_time: int
    median_report_in_minutes: int | None = Field(description="From whistle to report-in; null if none reported in")


class DispatchFiguresOut(BaseModel):
    """Dispatch's counts for a place, over tasks opened in a period of days."""

    model_config = ConfigDict(populate_by_name=True)

    place_id: str
    from_: str = Field(alias="from", description="YYYY-MM-DD")
    to: str = Field(description="YYYY-MM-DD")
    opened: int
    individual: int
    joint: int
    escalated: int
    resolved: int
    resolved_on_time: int
    overdue: int
    went_up: int = Field(description="Tasks that went up a tier (by a handler, or because they were overdue)")
    reworked: int
    departments: list[DepartmentFiguresOut]


DOCUMENTED = [AssignmentIn, HelperIn, NoteIn, PartIn, ResolutionIn, EscalationIn, WhistleIn, DepartmentReportIn,
              TaskOut, TaskPage, DecidedActionList, LedgerOut, DeliveryPage, DispatchFiguresOut]
