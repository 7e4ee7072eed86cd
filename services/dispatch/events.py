"""Dispatch's events in and out: other services' payloads in dispatch's words, and dispatch's own
events as payloads. The only place here that knows protobuf event types."""
from __future__ import annotations

import re
from datetime import UTC, date

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from lianyi.deliberation.v1 import events_pb2 as deliberation_pb2
from lianyi.dispatch.v1 import events_pb2 as dispatch_pb2
from lianyi.evaluation.v1 import events_pb2 as evaluation_pb2
from lianyi.events.v1 import progress_pb2
from lianyi.events.v1.progress_pb2 import ConcernProgressed
from lianyi.intake.v1 import events_pb2
from servicekit.errors import UndecodableEvent
from servicekit.unit_of_work import Outgoing
from services import readers
from services.dispatch import contract, domain
from services.dispatch.tasks import domain as tasks

_URGENCIES = {events_pb2.URGENCY_UNSPECIFIED: "normal", events_pb2.URGENCY_NORMAL: "normal",
              events_pb2.URGENCY_URGENT: "urgent"}

_TIERS = {deliberation_pb2.HANDLING_TIER_UNSPECIFIED: "", deliberation_pb2.HANDLING_TIER_INDIVIDUAL: contract.INDIVIDUAL,
          deliberation_pb2.HANDLING_TIER_JOINT: contract.JOINT, deliberation_pb2.HANDLING_TIER_ESCALATED: contract.ESCALATED}
# Exactly YYYY-MM-DD, as deliberation writes a deadline (date.fromisoformat alone takes 20261130 too).
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def concern_routed(payload: events_pb2.ConcernReceived | events_pb2.ConcernTriaged) -> domain.ConcernRouted:
    """ConcernReceived (with a rule's triage, if any) or ConcernTriaged, as dispatch needs it."""
    route = readers.triage_route(payload)
    concern = payload.concern
    if concern.urgency not in _URGENCIES:
        raise UndecodableEvent(f"unknown urgency {concern.urgency}")
    return domain.ConcernRouted(
        concern_id=concern.concern_id, neighbourhood_id=concern.neighbourhood_id, building_id=concern.building_id,
        household_id=concern.household_id, category=concern.category, urgency=_URGENCIES[concern.urgency],
        received_at=concern.received_at.ToDatetime(tzinfo=UTC), direct=route == events_pb2.ROUTE_DIRECT,
    )


def concerns_merged(payload: events_pb2.ConcernsMerged) -> domain.ConcernsMerged:
    return domain.ConcernsMerged(payload.survivor_id, tuple(payload.merged_ids))


def decision_made(payload: deliberation_pb2.DecisionMade) -> domain.DecisionMade:
    """A joint meeting's decision with its plan, as dispatch needs it. A value dispatch cannot take
    (a tier it does not know, a deadline that is no date, an action without an id) is not guessed
    at: the event is undecodable, and waits in the DLQ."""
    for name in ("decision_id", "neighbourhood_id"):
        if not getattr(payload, name):
            raise UndecodableEvent(f"decision has no {name}")
    return domain.DecisionMade(
        decision_id=payload.decision_id, topic_id=payload.topic_id, neighbourhood_id=payload.neighbourhood_id,
        title=payload.title, resolution=payload.resolution, concern_ids=tuple(payload.concern_ids),
        actions=tuple(_planned(i, action) for i, action in enumerate(payload.actions)),
        decided_at=payload.decided_at.ToDatetime(tzinfo=UTC),
    )


def _planned(i: int, action: deliberation_pb2.DecidedAction) -> domain.PlannedAction:
    if not action.action_id:
        raise UndecodableEvent(f"actions[{i}] has no action_id")
    if action.tier not in _TIERS:
        raise UndecodableEvent(f"actions[{i}]: unknown handling tier {action.tier}")
    return domain.PlannedAction(action_id=action.action_id, description=action.description, tier=_TIERS[action.tier],
                                owner_id=action.owner_id, owner_name=action.owner_name,
                                deadline=_day(action.deadline, f"actions[{i}].deadline"))


def _day(text: str, what: str) -> date:
    try:
        if _DAY.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise UndecodableEvent(f"{what} is not a date (YYYY-MM-DD): {text[:40]!r}")


_RATINGS = {evaluation_pb2.RATING_SATISFIED: "satisfied", evaluation_pb2.RATING_BASICALLY_SATISFIED: "basically_satisfied",
            evaluation_pb2.RATING_UNSATISFIED: "unsatisfied"}


def rework_requested(payload: evaluation_pb2.ReworkRequested) -> domain.ReworkAsked:
    if not payload.task_id:
        raise UndecodableEvent("rework names no task_id")
    return domain.ReworkAsked(payload.task_id, payload.supervisor_id, payload.supervisor_name, payload.reason)


def matter_rated(payload: evaluation_pb2.MatterRated) -> domain.Rated:
    if payload.rating not in _RATINGS or not payload.task_id:
        raise UndecodableEvent(f"a rating dispatch cannot take: rating {payload.rating}, task {payload.task_id!r}")
    return domain.Rated(payload.task_id, _RATINGS[payload.rating], payload.rated_at.ToDatetime(tzinfo=UTC))


# -- what dispatch says --------------------------------------------------------------------------

TIER_ENUM = {contract.INDIVIDUAL: deliberation_pb2.HANDLING_TIER_INDIVIDUAL,
             contract.JOINT: deliberation_pb2.HANDLING_TIER_JOINT,
             contract.ESCALATED: deliberation_pb2.HANDLING_TIER_ESCALATED}
MODE_ENUM = {contract.FIXED: dispatch_pb2.ASSIGNMENT_MODE_FIXED, contract.CLAIMED: dispatch_pb2.ASSIGNMENT_MODE_CLAIMED}
REPORT_ENUM = {contract.REPORT_IN: dispatch_pb2.DEPARTMENT_REPORT_KIND_REPORT_IN,
               contract.PROGRESS: dispatch_pb2.DEPARTMENT_REPORT_KIND_PROGRESS,
               contract.RESULT: dispatch_pb2.DEPARTMENT_REPORT_KIND_RESULT}
_STATUS = {"in_handling": progress_pb2.CONCERN_STATUS_IN_HANDLING, "escalated": progress_pb2.CONCERN_STATUS_ESCALATED,
           "resolved": progress_pb2.CONCERN_STATUS_RESOLVED, "reopened": progress_pb2.CONCERN_STATUS_REOPENED}


def _at(moment: object) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)  # type: ignore[arg-type]
    return stamp


def payload_of(event: object) -> Message | None:
    """A task's domain event as its payload on lianyi.dispatch.v1 (None: not a task's event)."""
    if isinstance(event, tasks.ConcernMoved):
        return ConcernProgressed(concern_id=event.concern_id, status=_STATUS[event.status], note=event.note)
    task = getattr(event, "task", None)
    if not isinstance(task, tasks.Task):
        return None
    ids = {"task_id": task.task_id, "neighbourhood_id": task.place.neighbourhood_id}
    handler_id = task.handler.id if task.handler else ""
    match event:
        case tasks.TaskOpened():
            return dispatch_pb2.TaskOpened(**ids, tier=TIER_ENUM[task.tier], decision_id=task.decision_id,
                                           action_id=task.action_id, concern_ids=task.concern_ids,
                                           category=task.category, opened_at=_at(task.opened_at),
                                           deadline=_at(task.deadline))
        case tasks.TaskAssigned(handler=handler, mode=mode, at=at):
            return dispatch_pb2.TaskAssigned(**ids, handler_id=handler.id, handler_name=handler.name,
                                             mode=MODE_ENUM[mode], assigned_at=_at(at),
                                             deadline=_at(task.deadline))
        case tasks.HelperAdded(helper=helper):
            return dispatch_pb2.HelperAdded(**ids, helper_id=helper.id, helper_name=helper.name)
        case tasks.TaskProgressNoted(note=note, at=at):
            return dispatch_pb2.TaskProgressNoted(**ids, note=note, noted_at=_at(at))
        case tasks.PartRecorded(part=part):
            return dispatch_pb2.PartRecorded(**ids, body=part.body, part=part.part, result=part.result)
        case tasks.TaskEscalated(from_tier=from_tier, reason=reason, overdue=overdue, at=at):
            return dispatch_pb2.TaskEscalated(**ids, from_tier=TIER_ENUM[from_tier], to_tier=TIER_ENUM[task.tier],
                                              reason=reason, overdue=overdue, concern_ids=task.concern_ids,
                                              category=task.category, escalated_at=_at(at),
                                              deadline=_at(task.deadline))
        case tasks.DepartmentsWhistled(departments=calls, note=note):
            return dispatch_pb2.DepartmentsWhistled(**ids, department_ids=[call.department_id for call in calls],
                                                    note=note, whistled_at=_at(calls[0].whistled_at),
                                                    report_in_due=_at(calls[0].report_in_due))
        case tasks.DepartmentReported(department_id=department_id, kind=kind, note=note, at=at):
            return dispatch_pb2.DepartmentReported(**ids, department_id=department_id, kind=REPORT_ENUM[kind],
                                                   note=note, reported_at=_at(at))
        case tasks.DepartmentReportInLate(department_id=department_id, due=due):
            return dispatch_pb2.DepartmentReportInLate(**ids, department_id=department_id, report_in_due=_at(due))
        case tasks.TaskReminded():
            return dispatch_pb2.TaskReminded(**ids, handler_id=handler_id, deadline=_at(task.deadline))
        case tasks.TaskOverdue():
            return dispatch_pb2.TaskOverdue(**ids, handler_id=handler_id, deadline=_at(task.deadline))
        case tasks.TaskResolved(concerns_resolved=concerns_resolved):
            return dispatch_pb2.TaskResolved(**ids, decision_id=task.decision_id, action_id=task.action_id,
                                             concern_ids=task.concern_ids, result=task.result,
                                             resolved_at=_at(task.resolved_at), on_time=task.on_time,
                                             tier=TIER_ENUM[task.tier], handler_id=handler_id,
                                             round=task.rework_round, concerns_resolved=concerns_resolved)
        case tasks.TaskReopened():
            supervisor = task.supervisor or tasks.Person("", "")
            return dispatch_pb2.TaskReopened(**ids, decision_id=task.decision_id, action_id=task.action_id,
                                             concern_ids=task.concern_ids, round=task.rework_round,
                                             supervisor_id=supervisor.id, supervisor_name=supervisor.name,
                                             deadline=_at(task.deadline))
    return None


def outgoing(event: object) -> Outgoing | None:
    """Dispatch's domain events as they leave, on its own topic keyed by neighbourhood."""
    payload = payload_of(event)
    return Outgoing(payload) if payload is not None else None
