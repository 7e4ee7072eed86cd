"""Deliberation's gRPC entrypoint: translation only (who may call each RPC is in its proto)."""
from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from lianyi.deliberation.v1 import deliberation_service_pb2 as pb
from lianyi.deliberation.v1 import deliberation_service_pb2_grpc as pb_grpc
from lianyi.deliberation.v1 import events_pb2 as events_pb
from servicekit.enum_words import number, word
from servicekit.grpc_server import Registration
from services.deliberation.domain import PoolEntry
from services.deliberation.figures.domain import Figures
from services.deliberation.figures.handlers import FiguresReport
from services.deliberation.handlers import Deliberation
from services.deliberation.panels.domain import Candidate
from services.deliberation.panels.handlers import Panels
from services.deliberation.progress.domain import ActionProgress
from services.deliberation.topics import domain
from services.deliberation.topics.handlers import ActionInput, Topics
from services.deliberation.votes.domain import Tally, decimal_text
from services.deliberation.votes.handlers import Votes

STATE, CHOICE, TIER = "TOPIC_STATE", "VOTE_CHOICE", "HANDLING_TIER"
REASON, FATE = "REJECTION_REASON", "CONCERNS_FATE"


def _at(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _entry(entry: PoolEntry) -> pb.PoolEntry:
    return pb.PoolEntry(concern_id=entry.concern_id, neighbourhood_id=entry.neighbourhood_id,
                        category=entry.category, description=entry.description,
                        received_at=_at(entry.received_at), pooled_at=_at(entry.pooled_at))


def _tally(topic_id: str, tally: Tally) -> pb.Tally:
    return pb.Tally(topic_id=topic_id, yes_votes=tally.count.yes, no_votes=tally.count.no,
                    households=tally.count.households, quorum=decimal_text(tally.rule.quorum),
                    threshold=decimal_text(tally.rule.threshold), quorum_met=tally.quorum_met,
                    threshold_met=tally.threshold_met, closed=tally.closed, closes_at=_at(tally.closes_at),
                    closed_at=_at(tally.closed_at), closed_early=tally.closed_early)


def _panellist(member: Candidate) -> pb.Panellist:
    return pb.Panellist(member_id=member.member_id, name=member.name, member_kind=member.member_kind,
                        recent_panels=member.recent_panels)


def _opinion(opinion: domain.Opinion) -> pb.Opinion:
    return pb.Opinion(opinion_id=opinion.opinion_id, member_id=opinion.member_id, member_name=opinion.member_name,
                      text=opinion.text, given_at=_at(opinion.given_at), recorded_by=opinion.recorded_by)


def _action(action: domain.Action, progress: ActionProgress) -> pb.Action:
    return pb.Action(action_id=action.action_id, description=action.description,
                     tier=number(events_pb.HandlingTier, TIER, action.tier), owner_id=action.owner_id,
                     owner_name=action.owner_name, deadline=action.deadline.isoformat(),
                     resolved_at=_at(progress.resolved_at), on_time=progress.on_time,
                     rework_rounds=progress.rework_rounds, rating=progress.rating)


def _decision(decision: domain.Decision, view: domain.TopicView) -> pb.Decision:
    summary = view.decision_progress
    assert summary is not None
    return pb.Decision(
        decision_id=decision.decision_id, minutes=decision.minutes, resolution=decision.resolution,
        attendees=[pb.Attendee(body=a.body, name=a.name) for a in decision.attendees],
        actions=[_action(a, view.progress.get(a.action_id, ActionProgress(a.action_id))) for a in decision.actions],
        decided_at=_at(decision.decided_at),
        progress=pb.DecisionProgress(actions=summary.actions, resolved=summary.resolved, **summary.ratings))


def _topic(view: domain.TopicView) -> pb.Topic:
    topic = view.topic
    return pb.Topic(
        topic_id=topic.topic_id, neighbourhood_id=topic.neighbourhood_id, title=topic.title, summary=topic.summary,
        concern_ids=topic.concern_ids, state=number(pb.TopicState, STATE, topic.state),
        meeting_on=topic.meeting_on.isoformat() if topic.meeting_on else "",
        drafted_at=_at(topic.drafted_at), published_at=_at(topic.published_at),
        tally=_tally(topic.topic_id, view.tally) if view.tally else None,
        rejection_reason=number(events_pb.RejectionReason, REASON, topic.rejection_reason),
        concerns_fate=number(events_pb.ConcernsFate, FATE, topic.concerns_fate),
        panel=[_panellist(member) for member in topic.panel], opinions=[_opinion(o) for o in view.opinions],
        consensus=topic.consensus, decision=_decision(topic.decision, view) if topic.decision else None,
        history=[pb.HistoryEntry(step=h.step, at=_at(h.at), note=h.note, actor=h.actor) for h in view.history],
        your_vote=number(pb.VoteChoice, CHOICE, view.your_vote),
    )


def _figures(figures: Figures) -> pb.Figures:
    return pb.Figures(
        place_id=figures.place_id, period=figures.period, drafted=figures.drafted, published=figures.published,
        accepted=figures.accepted, rejected=figures.rejected,
        rejected_by_reason=[pb.RejectedCount(reason=number(events_pb.RejectionReason, REASON, reason), topics=n)
                            for reason, n in sorted(figures.rejected_by_reason.items())],
        votes=figures.votes, households=figures.households, turnout=figures.turnout, panels=figures.panels,
        opinions=figures.opinions, decisions=figures.decisions, proposals_adopted=figures.proposals_adopted)


class DeliberationServicer(pb_grpc.DeliberationServiceServicer):
    def __init__(self, deliberation: Deliberation, topics: Topics, votes: Votes, panels: Panels,
                 figures: FiguresReport):
        self.deliberation, self.topics, self.votes, self.panels = deliberation, topics, votes, panels
        self.figures = figures

    def ListPool(self, request, context):
        entries, next_token = self.deliberation.list_pool(
            request.neighbourhood_id, request.page_size, request.page_token
        )
        return pb.ListPoolResponse(entries=[_entry(e) for e in entries], next_page_token=next_token)

    def DraftTopic(self, request, context):
        return _topic(self.topics.draft(request.neighbourhood_id, request.title, request.summary,
                                        list(request.concern_ids), request.meeting_on))

    def WithdrawTopic(self, request, context):
        return _topic(self.topics.withdraw(request.topic_id))

    def PublishTopic(self, request, context):
        return _topic(self.topics.publish(request.topic_id))

    def GetTopic(self, request, context):
        return _topic(self.topics.get(request.topic_id))

    def ListTopics(self, request, context):
        states = [word(pb.TopicState, STATE, state) or "unspecified" for state in request.states]
        views, next_token = self.topics.list(request.neighbourhood_id, states, request.page_size, request.page_token)
        return pb.ListTopicsResponse(topics=[_topic(v) for v in views], next_page_token=next_token)

    def GetAgenda(self, request, context):
        views = self.topics.agenda(request.neighbourhood_id, request.month)
        return pb.Agenda(neighbourhood_id=request.neighbourhood_id, month=request.month,
                         topics=[_topic(v) for v in views])

    def CastVote(self, request, context):
        choice, cast_at, closes_at = self.votes.cast(request.topic_id, word(pb.VoteChoice, CHOICE, request.choice))
        return pb.Vote(topic_id=request.topic_id, choice=number(pb.VoteChoice, CHOICE, choice), cast_at=_at(cast_at),
                       closes_at=_at(closes_at))

    def GetTally(self, request, context):
        return _tally(request.topic_id, self.votes.tally(request.topic_id))

    def CloseVote(self, request, context):
        return _topic(self.votes.close_early(request.topic_id))

    def ReleaseConcerns(self, request, context):
        return _topic(self.topics.release(request.topic_id, word(events_pb.ConcernsFate, FATE, request.fate),
                                          request.reason))

    def GetPanelProposal(self, request, context):
        panellists, candidates = self.panels.propose(request.topic_id, request.size)
        return pb.PanelProposal(topic_id=request.topic_id, panellists=[_panellist(m) for m in panellists],
                                candidates=[_panellist(m) for m in candidates])

    def ConfirmPanel(self, request, context):
        return _topic(self.panels.confirm(request.topic_id, list(request.member_ids)))

    def AddOpinion(self, request, context):
        return _opinion(self.topics.add_opinion(request.topic_id, request.text, request.member_id))

    def RecordConsensus(self, request, context):
        return _topic(self.topics.record_consensus(request.topic_id, request.consensus))

    def RecordDecision(self, request, context):
        # A tier this code does not know is refused, not read as "none suggested".
        actions = [ActionInput(a.description, a.deadline, word(events_pb.HandlingTier, TIER, a.tier) or
                               ("unknown" if a.tier else ""), a.owner_id, a.owner_name) for a in request.actions]
        attendees = [domain.Attendee(a.body, a.name) for a in request.attendees]
        return _topic(self.topics.record_decision(request.topic_id, attendees, request.minutes, request.resolution,
                                                  actions))

    def GetFigures(self, request, context):
        return _figures(self.figures.figures(request.place_id, request.period))


def registration(servicer: DeliberationServicer) -> Registration:
    return Registration(
        service_name="lianyi.deliberation.v1.DeliberationService",
        servicer=servicer,
        add=pb_grpc.add_DeliberationServiceServicer_to_server,
    )
