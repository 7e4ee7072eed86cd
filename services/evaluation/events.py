"""Evaluation's events in and out: other services' payloads in evaluation's words, and its own
events as payloads. The only place here that knows protobuf event types."""
from __future__ import annotations

from datetime import UTC, date, datetime

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from lianyi.deliberation.v1 import events_pb2 as deliberation_pb2
from lianyi.dispatch.v1 import events_pb2 as dispatch_pb2
from lianyi.evaluation.v1 import events_pb2 as evaluation_pb2
from lianyi.events.v1 import progress_pb2
from lianyi.intake.v1 import events_pb2
from servicekit.errors import UndecodableEvent
from servicekit.unit_of_work import Outgoing
from services.evaluation import domain
from services.evaluation.annual import domain as annual
from services.evaluation.matters import domain as matters
from services.evaluation.rates import domain as rates
from services.evaluation.reviews import domain as reviews

RATING_ENUM = {matters.SATISFIED: evaluation_pb2.RATING_SATISFIED,
               matters.BASICALLY_SATISFIED: evaluation_pb2.RATING_BASICALLY_SATISFIED,
               matters.UNSATISFIED: evaluation_pb2.RATING_UNSATISFIED}
RATING_WORD = {number: word for word, number in RATING_ENUM.items()}
_STATUS = {matters.RATED_STATUS: progress_pb2.CONCERN_STATUS_RATED,
           matters.ARCHIVED_STATUS: progress_pb2.CONCERN_STATUS_ARCHIVED}


def concern_received(payload: events_pb2.ConcernReceived) -> domain.ConcernReceived:
    concern = payload.concern
    return domain.ConcernReceived(concern.neighbourhood_id, concern.received_at.ToDatetime(tzinfo=UTC),
                                  concern.concern_id, concern.household_id)


def concerns_merged(payload: events_pb2.ConcernsMerged) -> domain.ConcernsMerged:
    return domain.ConcernsMerged(payload.survivor_id, tuple(payload.merged_ids))


def task_resolved(payload: dispatch_pb2.TaskResolved) -> matters.Resolution:
    """A resolved task as a round of its matter (dispatch counts rework rounds from 0; a matter's
    rounds count resolutions from 1)."""
    if not payload.task_id or not payload.neighbourhood_id or payload.round < 0:
        raise UndecodableEvent("a resolution without its task, its neighbourhood or a round")
    return matters.Resolution(
        task_id=payload.task_id, neighbourhood_id=payload.neighbourhood_id, decision_id=payload.decision_id,
        action_id=payload.action_id, concern_ids=tuple(payload.concern_ids), household_ids=(),
        result=payload.result, resolved_at=payload.resolved_at.ToDatetime(tzinfo=UTC), round=payload.round + 1,
        handler_id=payload.handler_id, concerns_resolved=payload.concerns_resolved, on_time=payload.on_time)


def _stamp(stamp: Timestamp) -> datetime | None:
    return stamp.ToDatetime(tzinfo=UTC) if stamp.seconds or stamp.nanos else None


def commitment_made(payload: dispatch_pb2.TaskAssigned) -> reviews.Committed:
    """A member's commitment (承诺)."""
    if not payload.task_id or not payload.handler_id or not payload.HasField("assigned_at"):
        raise UndecodableEvent("a commitment without its task, its member or when it was made")
    return reviews.Committed(task_id=payload.task_id, neighbourhood_id=payload.neighbourhood_id,
                             member_id=payload.handler_id, member_name=payload.handler_name,
                             committed_at=payload.assigned_at.ToDatetime(tzinfo=UTC),
                             deadline=_stamp(payload.deadline))


def commitment_released(payload: dispatch_pb2.TaskEscalated) -> reviews.Released:
    """Up a tier, the member's commitment is released (as dispatch's ledger keeps it)."""
    if not payload.task_id:
        raise UndecodableEvent("an escalation without its task")
    return reviews.Released(payload.task_id, _stamp(payload.escalated_at))


def commitment_reopened(payload: dispatch_pb2.TaskReopened) -> reviews.Reopened:
    if not payload.task_id:
        raise UndecodableEvent("a reopening without its task")
    return reviews.Reopened(payload.task_id, payload.round, _stamp(payload.deadline))


def action_reopened(payload: dispatch_pb2.TaskReopened) -> annual.ActionReopened | None:
    """A decided action's task back in rework (None: a concern's own task, no decided action)."""
    if not payload.action_id:
        return None
    if payload.round < 1:
        raise UndecodableEvent("a reopening without its round")
    return annual.ActionReopened(payload.action_id, payload.round)


def door_visit_recorded(payload: events_pb2.DoorVisitRecorded) -> reviews.Visited:
    if not payload.visit_id or not payload.member_id or not payload.neighbourhood_id:
        raise UndecodableEvent("a door visit without its id, its member or its neighbourhood")
    try:
        day = date.fromisoformat(payload.visited_on)
    except ValueError:
        raise UndecodableEvent(f"a door visit on no day: {payload.visited_on[:20]!r}") from None
    return reviews.Visited(payload.visit_id, payload.neighbourhood_id, payload.member_id, payload.household_id, day)


def decision_made(payload: deliberation_pb2.DecisionMade) -> annual.Decided:
    """A joint meeting's decision: its actions, to count as implemented when resolved."""
    if not payload.decision_id or not payload.neighbourhood_id or not payload.HasField("decided_at"):
        raise UndecodableEvent("a decision without its id, its neighbourhood or when it was made")
    return annual.Decided(payload.decision_id, payload.neighbourhood_id, payload.decided_at.ToDatetime(tzinfo=UTC),
                          tuple(a.action_id for a in payload.actions if a.action_id))


def panel_confirmed(payload: deliberation_pb2.PanelConfirmed) -> reviews.PanelServed:
    if not payload.topic_id:
        raise UndecodableEvent("a panel without its topic")
    return reviews.PanelServed(payload.topic_id, tuple(m for m in payload.member_ids if m))


def _at(moment: datetime | None) -> Timestamp | None:
    if moment is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def payload_of(event: object) -> Message | None:
    if isinstance(event, matters.ConcernMoved):
        return progress_pb2.ConcernProgressed(concern_id=event.concern_id, status=_STATUS[event.status],
                                              note=event.note)
    matter = getattr(event, "matter", None)
    if not isinstance(matter, matters.Matter):
        return None
    ids = {"task_id": matter.task_id, "neighbourhood_id": matter.place.neighbourhood_id}
    match event:
        case matters.MatterRated():
            return evaluation_pb2.MatterRated(rating_id=matter.rating_id, **ids, decision_id=matter.decision_id,
                                              action_id=matter.action_id, concern_ids=matter.concern_ids,
                                              rating=RATING_ENUM[matter.rating], rated_at=_at(matter.rated_at),
                                              round=matter.round, in_person=matter.in_person)
        case matters.ReworkRequested(rework_id=rework_id):
            supervisor = matter.supervisor or matters.Supervisor("", "")
            return evaluation_pb2.ReworkRequested(rework_id=rework_id, **ids, rating_id=matter.rating_id,
                                                  supervisor_id=supervisor.id, supervisor_name=supervisor.name,
                                                  # Not the household's comment: dispatch's history is read
                                                  # by bodies and departments; staff read it on the matter.
                                                  reason=f"rated unsatisfied (round {matter.round})",
                                                  requested_at=_at(matter.rated_at))
        case matters.MatterArchived():
            return evaluation_pb2.MatterArchived(**ids, concern_ids=matter.concern_ids, round=matter.round,
                                                 unrated=matter.state == matters.CLOSED_UNRATED,
                                                 archived_at=_at(matter.closed_at))
        case matters.RatingReminded():
            return evaluation_pb2.RatingReminded(**ids, round=matter.round, rating_due=_at(matter.rating_due))
    return None


def outgoing(event: object) -> Outgoing | None:
    """Evaluation's domain events as they leave, on its own topic keyed by neighbourhood."""
    payload = payload_of(event)
    return Outgoing(payload) if payload is not None else None


# -- the rates' facts (services/evaluation/rates/) ---------------------------------------------------

def _moment(payload: Message, name: str) -> datetime | None:
    return getattr(payload, name).ToDatetime(tzinfo=UTC) if payload.HasField(name) else None


def _task_of(payload: Message) -> str:
    task_id = getattr(payload, "task_id", "")
    if not task_id:
        raise UndecodableEvent(f"a {type(payload).__name__} without its task")
    return str(task_id)


def _required(payload: Message, name: str) -> datetime:
    moment = _moment(payload, name)
    if moment is None:
        raise UndecodableEvent(f"a {type(payload).__name__} without {name}")
    return moment


def task_opened(payload: dispatch_pb2.TaskOpened) -> rates.Opened:
    if not payload.neighbourhood_id:
        raise UndecodableEvent("a TaskOpened without its neighbourhood")
    return rates.Opened(_task_of(payload), payload.neighbourhood_id, _required(payload, "opened_at"),
                        _moment(payload, "deadline"))


def task_assigned(payload: dispatch_pb2.TaskAssigned) -> rates.Assigned:
    """Assigned or claimed (whether it acted on the task is the rates' to say: see TaskFacts.first_act)."""
    return rates.Assigned(_task_of(payload), payload.handler_id, _required(payload, "assigned_at"))


def progress_noted(payload: dispatch_pb2.TaskProgressNoted) -> rates.Acted:
    return rates.Acted(_task_of(payload), _required(payload, "noted_at"))


def part_recorded(payload: dispatch_pb2.PartRecorded) -> rates.Acted:
    return rates.Acted(_task_of(payload))  # when the event occurred: the payload has no time


def task_escalated(payload: dispatch_pb2.TaskEscalated) -> rates.Escalated:
    """Up a tier: no member's any more; sent up by a person it was acted on, for being overdue not."""
    return rates.Escalated(_task_of(payload), _required(payload, "escalated_at"), by_person=not payload.overdue)


def departments_whistled(payload: dispatch_pb2.DepartmentsWhistled) -> rates.Whistled:
    return rates.Whistled(_task_of(payload), tuple(d for d in payload.department_ids if d),
                          _moment(payload, "report_in_due"))


def department_reported(payload: dispatch_pb2.DepartmentReported) -> rates.Reported:
    if not payload.department_id:
        raise UndecodableEvent("a DepartmentReported without its department")
    return rates.Reported(_task_of(payload), payload.department_id, _required(payload, "reported_at"))


def task_reopened(payload: dispatch_pb2.TaskReopened) -> rates.Reopened:
    return rates.Reopened(_task_of(payload), payload.round)


def matter_rated(payload: evaluation_pb2.MatterRated) -> rates.Rated:
    if payload.rating not in RATING_WORD or payload.round < 1:
        raise UndecodableEvent("a MatterRated without a rating or a round")
    return rates.Rated(_task_of(payload), payload.round, RATING_WORD[payload.rating])


def matter_archived(payload: evaluation_pb2.MatterArchived) -> rates.Rated | None:
    """Closed unrated: the round counts as unrated. Archived after a rating: nothing new."""
    return rates.Rated(_task_of(payload), payload.round, rates.UNRATED) if payload.unrated else None
