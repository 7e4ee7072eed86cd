"""Dispatch's gRPC entrypoint: translation only (who may call each RPC is in its proto)."""
from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from lianyi.dispatch.v1 import dispatch_service_pb2 as pb
from lianyi.dispatch.v1 import dispatch_service_pb2_grpc as pb_grpc
from lianyi.dispatch.v1 import events_pb2
from servicekit import auth
from servicekit.errors import InvalidArgument, NotFound
from servicekit.grpc_server import Registration
from services.contract import DEPARTMENT, INTEGRATION, sees_contacts
from services.dispatch import contract, ledger
from services.dispatch.domain import Concern, DecidedAction
from services.dispatch.figures import Figures, Reports
from services.dispatch.handlers import Dispatch
from services.dispatch.platform import storage as deliveries
from services.dispatch.platform.listing import Deliveries
from services.dispatch.tasks.domain import Person, Task
from services.dispatch.tasks.handlers import Tasks, TaskView
from services.dispatch.tasks.queries import TaskLists

_LISTS = {pb.TASK_LIST_UNSPECIFIED: "mine", pb.TASK_LIST_MINE: "mine", pb.TASK_LIST_POOL: "pool",
          pb.TASK_LIST_JOINT: "joint", pb.TASK_LIST_ESCALATED: "escalated", pb.TASK_LIST_OVERDUE: "overdue",
          pb.TASK_LIST_ALL: "all"}
_REPORT_KINDS = {events_pb2.DEPARTMENT_REPORT_KIND_REPORT_IN: contract.REPORT_IN,
                 events_pb2.DEPARTMENT_REPORT_KIND_PROGRESS: contract.PROGRESS,
                 events_pb2.DEPARTMENT_REPORT_KIND_RESULT: contract.RESULT}


def _at(moment: datetime | None) -> Timestamp | None:
    if moment is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def _person(person: Person | None) -> pb.Person | None:
    return pb.Person(id=person.id, name=person.name) if person else None


def _sees_households() -> bool:
    """The county platform hears of escalated matters, not of which household raised them."""
    principal = auth.current.get()
    return sees_contacts(principal) and (principal is None or principal.role != INTEGRATION)


def concern_to_proto(concern: Concern) -> pb.Task:
    """A concern with no task of its own (not routed direct): waiting."""
    return pb.Task(concern_id=concern.concern_id, neighbourhood_id=concern.neighbourhood_id,
                   household_id=concern.household_id if sees_contacts(auth.current.get()) else "",
                   category=concern.category, received_at=_at(concern.received_at), route=concern.route or "",
                   opened_at=_at(concern.opened_at), merged_into=concern.merged_into or "",
                   building_id=concern.building_id, urgency=concern.urgency, state=contract.WAITING,
                   concern_ids=[concern.concern_id])


def task_to_proto(view: TaskView, concern: Concern | None = None) -> pb.Task:
    task: Task = view.task
    message = pb.Task(
        task_id=task.task_id, neighbourhood_id=task.place.neighbourhood_id, category=task.category,
        household_id=task.household_id if _sees_households() else "",
        building_id=task.building_id, urgency=task.urgency, state=task.state, tier=task.tier, mode=task.mode,
        handler_id=task.handler.id if task.handler else "", handler_name=task.handler.name if task.handler else "",
        helpers=[_person(helper) for helper in task.helpers], decision_id=task.decision_id,
        action_id=task.action_id, concern_ids=task.concern_ids, description=task.description,
        deadline=_at(task.deadline), overdue_at=_at(task.overdue_at), resolved_at=_at(task.resolved_at),
        result=task.result, on_time=task.on_time, rework_round=task.rework_round,
        supervisor=_person(task.supervisor), opened_at=_at(task.opened_at), whistled_at=_at(task.whistled_at),
        parts=[pb.Part(body=part.body, part=part.part, result=part.result, recorded_at=_at(part.recorded_at),
                       recorded_by=part.recorded_by) for part in task.parts.values()],
        departments=[pb.DepartmentCall(department_id=call.department_id, name=call.name,
                                       whistled_at=_at(call.whistled_at), report_in_due=_at(call.report_in_due),
                                       reported_in_at=_at(call.reported_in_at), result=call.result,
                                       result_at=_at(call.result_at)) for call in task.departments.values()],
        history=[pb.TaskStep(at=_at(step.at), step=step.step, actor=step.actor, note=step.note)
                 for step in view.history],
    )
    if not task.decision_id:
        message.concern_id = task.task_id
    if concern is not None:
        message.received_at.CopyFrom(_at(concern.received_at))
        message.route, message.merged_into = concern.route or "", concern.merged_into or ""
    return message


def decided_action_to_proto(action: DecidedAction) -> pb.DecidedAction:
    message = pb.DecidedAction(
        action_id=action.action_id, decision_id=action.decision_id, topic_id=action.topic_id,
        neighbourhood_id=action.neighbourhood_id, description=action.description, tier=action.tier,
        owner_id=action.owner_id, owner_name=action.owner_name, deadline=action.deadline.isoformat(),
    )
    message.received_at.FromDatetime(action.received_at)
    return message


def _commitment(commitment: ledger.Commitment) -> pb.Commitment:
    return pb.Commitment(
        commitment_id=commitment.commitment_id, task_id=commitment.task_id,
        neighbourhood_id=commitment.neighbourhood_id, mode=commitment.mode, committed_at=_at(commitment.committed_at),
        deadline=_at(commitment.deadline), state=commitment.state, fulfilled_at=_at(commitment.fulfilled_at),
        on_time=commitment.on_time, rating=commitment.rating, rework_rounds=commitment.rework_rounds)


def _figures(figures: Figures) -> pb.DispatchFigures:
    return pb.DispatchFigures(
        place_id=figures.place_id, from_day=figures.start.isoformat() if figures.start else "",
        to_day=figures.end.isoformat() if figures.end else "", **figures.counts,
        departments=[pb.DepartmentFigures(
            department_id=d.department_id, name=d.name, whistled=d.whistled, reported_in=d.reported_in,
            reported_in_on_time=d.reported_in_on_time, median_report_in_minutes=d.median_report_in_minutes)
            for d in figures.departments])


def _delivery(delivery: deliveries.Delivery) -> pb.Delivery:
    return pb.Delivery(
        delivery_id=delivery.delivery_id, task_id=delivery.task_id, event_type=delivery.event_type,
        created_at=_at(delivery.created_at), state="delivered" if delivery.delivered_at else "pending",
        delivered_at=_at(delivery.delivered_at),
        next_attempt_at=None if delivery.delivered_at else _at(delivery.next_attempt_at),
        attempts=[pb.DeliveryAttempt(number=attempt.number, at=_at(attempt.at), status=attempt.status,
                                     error=attempt.error, duration_ms=attempt.duration_ms)
                  for attempt in delivery.history])


class DispatchServicer(pb_grpc.DispatchServiceServicer):
    def __init__(self, dispatch: Dispatch, tasks: Tasks, lists: TaskLists, reports: Reports, sent: Deliveries):
        self.dispatch, self.tasks, self.lists, self.reports, self.sent = dispatch, tasks, lists, reports, sent

    def GetTask(self, request: pb.GetTaskRequest, context: object) -> pb.Task:
        if request.task_id and request.concern_id:
            raise InvalidArgument("give concern_id or task_id, not both")
        if request.task_id:
            return task_to_proto(self.tasks.get(request.task_id))
        if not request.concern_id:
            raise InvalidArgument("concern_id or task_id is required")
        principal = auth.current.get()
        if principal is not None and principal.role in (DEPARTMENT, INTEGRATION):
            # They see tasks, never concerns waiting in a neighbourhood: one refusal for both.
            try:
                return task_to_proto(self.tasks.get(request.concern_id))
            except NotFound:
                raise NotFound(f"dispatch has no concern {request.concern_id[:64]}") from None
        concern = self.dispatch.concern(request.concern_id)
        if concern.opened_at is None:
            return concern_to_proto(concern)
        try:
            return task_to_proto(self.tasks.get(concern.concern_id), concern)
        except NotFound:  # opened before tasks existed, in a place the replica lacked (migration 0012)
            return concern_to_proto(concern)

    def ListDecidedActions(self, request: pb.ListDecidedActionsRequest, context: object
                           ) -> pb.ListDecidedActionsResponse:
        actions = self.dispatch.list_decided_actions(request.decision_id)
        return pb.ListDecidedActionsResponse(actions=[decided_action_to_proto(action) for action in actions])

    def ListTasks(self, request: pb.ListTasksRequest, context: object) -> pb.ListTasksResponse:
        if request.list not in _LISTS:
            raise InvalidArgument(f"unknown list {request.list}")
        found, token = self.lists.list(_LISTS[request.list], request.place_id, list(request.states), request.tier,
                                       request.category, request.page_size, request.page_token)
        return pb.ListTasksResponse(tasks=[task_to_proto(TaskView(task)) for task in found], next_page_token=token)

    def ClaimTask(self, request: pb.ClaimTaskRequest, context: object) -> pb.Task:
        return task_to_proto(self.tasks.claim(request.task_id))

    def AssignTask(self, request: pb.AssignTaskRequest, context: object) -> pb.Task:
        return task_to_proto(self.tasks.assign(request.task_id, request.member_id))

    def AddHelper(self, request: pb.AddHelperRequest, context: object) -> pb.Task:
        return task_to_proto(self.tasks.add_helper(request.task_id, request.helper_id))

    def NoteProgress(self, request: pb.NoteProgressRequest, context: object) -> pb.Task:
        return task_to_proto(self.tasks.note_progress(request.task_id, request.note))

    def RecordPart(self, request: pb.RecordPartRequest, context: object) -> pb.Task:
        return task_to_proto(self.tasks.record_part(request.task_id, request.part, request.result))

    def ResolveTask(self, request: pb.ResolveTaskRequest, context: object) -> pb.Task:
        return task_to_proto(self.tasks.resolve(request.task_id, request.result))

    def EscalateTask(self, request: pb.EscalateTaskRequest, context: object) -> pb.Task:
        return task_to_proto(self.tasks.escalate(request.task_id, request.reason))

    def WhistleDepartments(self, request: pb.WhistleDepartmentsRequest, context: object) -> pb.Task:
        return task_to_proto(self.tasks.whistle(request.task_id, list(request.department_ids), request.note))

    def ReportForDepartment(self, request: pb.ReportForDepartmentRequest, context: object) -> pb.Task:
        if request.kind not in _REPORT_KINDS:
            raise InvalidArgument(f"kind must be one of {', '.join(contract.REPORT_KINDS)}")
        return task_to_proto(self.tasks.report_for_department(
            request.task_id, request.department_id, _REPORT_KINDS[request.kind], request.note, request.callback_id))

    def GetLedger(self, request: pb.GetLedgerRequest, context: object) -> pb.Ledger:
        member_id, name, page, totals, token = self.reports.ledger(
            request.member_id, request.from_day, request.to_day, request.page_size, request.page_token)
        return pb.Ledger(member_id=member_id, member_name=name, commitments=[_commitment(c) for c in page],
                         next_page_token=token, **totals)

    def ListDeliveries(self, request: pb.ListDeliveriesRequest, context: object) -> pb.ListDeliveriesResponse:
        found, token = self.sent.list(request.task_id, request.state, request.page_size, request.page_token)
        return pb.ListDeliveriesResponse(deliveries=[_delivery(d) for d in found], next_page_token=token)

    def GetDispatchFigures(self, request: pb.GetDispatchFiguresRequest, context: object) -> pb.DispatchFigures:
        return _figures(self.reports.figures(request.place_id, request.from_day, request.to_day))


def registration(servicer: DispatchServicer) -> Registration:
    return Registration(
        service_name="lianyi.dispatch.v1.DispatchService",
        servicer=servicer,
        add=pb_grpc.add_DispatchServiceServicer_to_server,
    )
