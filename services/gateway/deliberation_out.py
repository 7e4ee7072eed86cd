"""Deliberation's answers as the API shows them: enums as words, and proto3's empty strings and
unset messages as null."""
from __future__ import annotations

from datetime import UTC, datetime

from services.gateway import deliberation_words as words
from services.gateway.deliberation_schemas import (
    ActionOut,
    AttendeeOut,
    DecisionOut,
    DecisionProgressOut,
    HistoryEntryOut,
    OpinionOut,
    PanellistOut,
    TallyOut,
    TopicOut,
    VoteOut,
)


def _at(stamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def tally_out(tally) -> TallyOut:
    return TallyOut(topic_id=tally.topic_id, yes_votes=tally.yes_votes, no_votes=tally.no_votes,
                    households=tally.households, quorum=tally.quorum, threshold=tally.threshold,
                    quorum_met=tally.quorum_met, threshold_met=tally.threshold_met, closed=tally.closed,
                    closes_at=_at(tally.closes_at),
                    closed_at=_at(tally.closed_at) if tally.HasField("closed_at") else None,
                    closed_early=tally.closed_early)


def vote_out(vote) -> VoteOut:
    return VoteOut(topic_id=vote.topic_id, choice=words.CHOICES.word(vote.choice), cast_at=_at(vote.cast_at),
                   closes_at=_at(vote.closes_at))


def panellists_out(panellists) -> list[PanellistOut]:
    return [PanellistOut(member_id=p.member_id, name=p.name, member_kind=p.member_kind,
                         recent_panels=p.recent_panels) for p in panellists]


def opinion_out(opinion) -> OpinionOut:
    return OpinionOut(opinion_id=opinion.opinion_id, member_id=opinion.member_id, member_name=opinion.member_name,
                      text=opinion.text, given_at=_at(opinion.given_at), recorded_by=opinion.recorded_by or None)


def _decision_out(decision) -> DecisionOut:
    return DecisionOut(
        decision_id=decision.decision_id,
        attendees=[AttendeeOut(body=a.body, name=a.name or None) for a in decision.attendees],
        minutes=decision.minutes or None,
        resolution=decision.resolution,
        actions=[ActionOut(action_id=a.action_id, description=a.description, tier=words.TIERS.word(a.tier),
                           owner_id=a.owner_id or None, owner_name=a.owner_name or None, deadline=a.deadline,
                           resolved_at=_at(a.resolved_at) if a.HasField("resolved_at") else None,
                           on_time=a.on_time if a.HasField("resolved_at") else None,
                           rework_rounds=a.rework_rounds, rating=a.rating or None)
                 for a in decision.actions],
        decided_at=_at(decision.decided_at),
        progress=DecisionProgressOut(
            actions=decision.progress.actions, resolved=decision.progress.resolved,
            ratings={"satisfied": decision.progress.satisfied,
                     "basically_satisfied": decision.progress.basically_satisfied,
                     "unsatisfied": decision.progress.unsatisfied}),
    )


def topic_out(topic) -> TopicOut:
    return TopicOut(
        topic_id=topic.topic_id,
        neighbourhood_id=topic.neighbourhood_id,
        title=topic.title,
        summary=topic.summary,
        concern_ids=list(topic.concern_ids),
        state=words.STATES.word(topic.state),
        meeting_on=topic.meeting_on or None,
        drafted_at=_at(topic.drafted_at),
        published_at=_at(topic.published_at) if topic.HasField("published_at") else None,
        tally=tally_out(topic.tally) if topic.HasField("tally") else None,
        rejection_reason=words.REJECTION_REASONS.word(topic.rejection_reason),
        concerns_fate=words.FATES.word(topic.concerns_fate),
        panel=panellists_out(topic.panel),
        opinions=[opinion_out(o) for o in topic.opinions],
        consensus=topic.consensus or None,
        decision=_decision_out(topic.decision) if topic.HasField("decision") else None,
        history=[HistoryEntryOut(step=h.step, at=_at(h.at), note=h.note, actor=h.actor or None)
                 for h in topic.history],
        your_vote=words.CHOICES.word(topic.your_vote),
    )


def topic_json(topic) -> dict:
    """A topic as a JSON answer."""
    return topic_out(topic).model_dump(mode="json")
