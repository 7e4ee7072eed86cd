"""Deliberation's events in and out: other services' payloads in deliberation's words, and
deliberation's own events as payloads. The only place here that knows protobuf event types."""
from __future__ import annotations

from datetime import UTC

from google.protobuf.message import Message

from lianyi.deliberation.v1 import events_pb2 as pb
from lianyi.dispatch.v1 import events_pb2 as dispatch_pb
from lianyi.evaluation.v1 import events_pb2 as evaluation_pb
from lianyi.events.v1.progress_pb2 import ConcernProgressed, ConcernStatus
from lianyi.intake.v1 import events_pb2
from servicekit import enum_words
from servicekit.errors import UndecodableEvent
from servicekit.unit_of_work import Outgoing
from services import readers
from services.deliberation import domain
from services.deliberation.progress import domain as progress
from services.deliberation.topics import domain as topics


def concern_routed(payload: events_pb2.ConcernReceived | events_pb2.ConcernTriaged) -> domain.ConcernRouted:
    """ConcernReceived (with a rule's triage, if any) or ConcernTriaged, as deliberation needs it."""
    route = readers.triage_route(payload)
    concern = payload.concern
    return domain.ConcernRouted(
        concern_id=concern.concern_id, neighbourhood_id=concern.neighbourhood_id, category=concern.category,
        description=concern.description, received_at=concern.received_at.ToDatetime(tzinfo=UTC),
        to_pool=route == events_pb2.ROUTE_DELIBERATION,
    )


def concerns_merged(payload: events_pb2.ConcernsMerged) -> domain.ConcernsMerged:
    return domain.ConcernsMerged(payload.survivor_id, tuple(payload.merged_ids))


def action_resolved(payload: dispatch_pb.TaskResolved) -> progress.ActionResolved:
    return progress.ActionResolved(payload.decision_id, payload.action_id,
                                   payload.resolved_at.ToDatetime(tzinfo=UTC), payload.on_time)


def action_reopened(payload: dispatch_pb.TaskReopened) -> progress.ActionReopened:
    return progress.ActionReopened(payload.decision_id, payload.action_id, payload.round)


def action_rated(payload: evaluation_pb.MatterRated) -> progress.ActionRated:
    """A rating this code does not know is not guessed at: the event waits in the DLQ."""
    rating = enum_words.word(evaluation_pb.Rating, "RATING", payload.rating)
    if rating not in progress.RATINGS:
        raise UndecodableEvent(f"unknown rating {payload.rating}")
    return progress.ActionRated(payload.decision_id, payload.action_id, rating,
                                payload.rated_at.ToDatetime(tzinfo=UTC))


def decided_action(action: topics.Action) -> pb.DecidedAction:
    return pb.DecidedAction(action_id=action.action_id, description=action.description,
                            tier=enum_words.number(pb.HandlingTier, "HANDLING_TIER", action.tier), owner_id=action.owner_id,
                            owner_name=action.owner_name, deadline=action.deadline.isoformat())


def _payload(event: object) -> Message | None:
    match event:
        case domain.ConcernPooled():
            return ConcernProgressed(concern_id=event.concern_id, status=ConcernStatus.CONCERN_STATUS_IN_DELIBERATION,
                                     note="in the neighbourhood's deliberation pool")
        case topics.ConcernMoved():
            return ConcernProgressed(concern_id=event.concern_id, note=event.note,
                                     status=enum_words.number(ConcernStatus, "CONCERN_STATUS", event.status))
        case topics.TopicDrafted():
            return pb.TopicDrafted(topic_id=event.topic_id, neighbourhood_id=event.neighbourhood_id, title=event.title,
                                   concern_ids=event.concern_ids,
                                   meeting_on=event.meeting_on.isoformat() if event.meeting_on else "")
        case topics.TopicWithdrawn():
            return pb.TopicWithdrawn(topic_id=event.topic_id, concern_ids=event.concern_ids)
        case topics.TopicPublished():
            published = pb.TopicPublished(topic_id=event.topic_id, title=event.title)
            published.vote_closes_at.FromDatetime(event.vote_closes_at)
            return published
        case topics.VoteClosed():
            return pb.VoteClosed(
                topic_id=event.topic_id, accepted=event.outcome.accepted,
                rejection_reason=enum_words.number(pb.RejectionReason, "REJECTION_REASON", event.outcome.rejection_reason),
                yes_votes=event.count.yes, no_votes=event.count.no, households=event.count.households,
                closed_early=event.closed_early, concerns=event.concerns)
        case topics.ConcernsReleased():
            return pb.ConcernsReleased(topic_id=event.topic_id, concern_ids=event.concern_ids, reason=event.reason,
                                       fate=enum_words.number(pb.ConcernsFate, "CONCERNS_FATE", event.fate))
        case topics.PanelConfirmed():
            return pb.PanelConfirmed(topic_id=event.topic_id, member_ids=event.member_ids)
        case topics.OpinionGiven():
            return pb.OpinionGiven(topic_id=event.topic_id, opinion_id=event.opinion_id, member_id=event.member_id)
        case topics.ConsensusRecorded():
            return pb.ConsensusRecorded(topic_id=event.topic_id, consensus=event.consensus)
        case topics.DecisionMade():
            made = pb.DecisionMade(decision_id=event.decision.decision_id, topic_id=event.topic_id,
                                   neighbourhood_id=event.neighbourhood_id, title=event.title,
                                   resolution=event.decision.resolution,
                                   actions=[decided_action(a) for a in event.decision.actions],
                                   concern_ids=event.concern_ids)
            made.decided_at.FromDatetime(event.decision.decided_at)
            return made
    return None


def outgoing(event: object) -> Outgoing | None:
    """Deliberation's domain events as they leave, on its own topic keyed by neighbourhood."""
    payload = _payload(event)
    return Outgoing(payload) if payload is not None else None
