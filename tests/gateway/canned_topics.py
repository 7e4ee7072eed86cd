"""Deliberation's answers as the fake upstream gives them: a topic just drafted (proto3's empty
strings and unset messages everywhere it can have them) and one decided (every field set)."""
from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from lianyi.deliberation.v1 import deliberation_service_pb2 as pb
from lianyi.deliberation.v1 import events_pb2
from tests.gateway.canned import N1

T1 = "topic-0001"
CONCERN_IDS = ["concern-0001", "concern-0002"]
DRAFTED_AT = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
PUBLISHED_AT = datetime(2026, 11, 4, 9, 0, tzinfo=UTC)
CLOSES_AT = datetime(2026, 11, 11, 9, 0, tzinfo=UTC)
DECIDED_AT = datetime(2026, 11, 20, 19, 30, tzinfo=UTC)
PANEL = [pb.Panellist(member_id=f"member-000{i}", name=f"党员{i}", member_kind=kind, recent_panels=i % 2)
         for i, kind in enumerate(("serving", "retired_cadre", "floating", "serving", "retired_cadre"), start=1)]


def at(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def tally(**fields) -> pb.Tally:
    """A closed vote that accepted the topic, unless `fields` say otherwise."""
    return pb.Tally(**{"topic_id": T1, "yes_votes": 61, "no_votes": 12, "households": 120, "quorum": "0.5",
                       "threshold": "0.6", "quorum_met": True, "threshold_met": True, "closed": True,
                       "closes_at": at(CLOSES_AT), "closed_at": at(CLOSES_AT), **fields})


def draft(topic_id: str = T1) -> pb.Topic:
    """DraftTopic's answer: nothing after drafting set."""
    return pb.Topic(topic_id=topic_id, neighbourhood_id=N1, title="楼道堆物清理", concern_ids=CONCERN_IDS,
                    state=pb.TOPIC_STATE_DRAFTED, drafted_at=at(DRAFTED_AT),
                    history=[pb.HistoryEntry(step="drafted", at=at(DRAFTED_AT), note="from 2 concern(s)",
                                             actor="王书记")])


def decided() -> pb.Topic:
    """A topic through the whole cycle with every field set (your_vote as a household that voted
    yes sees it)."""
    topic = draft()
    topic.MergeFrom(pb.Topic(
        summary="3号楼楼道堆满杂物，影响消防通道", state=pb.TOPIC_STATE_DECIDED, meeting_on="2026-11-20",
        published_at=at(PUBLISHED_AT), tally=tally(), panel=PANEL, consensus="一周内清理，物业设置临时存放点",
        opinions=[pb.Opinion(opinion_id="opinion-0001", member_id="member-0001", member_name="党员1",
                             text="先通知再清理", given_at=at(DECIDED_AT), recorded_by="王书记")],
        decision=pb.Decision(
            decision_id="decision-0001", resolution="清理楼道，设置临时存放点", decided_at=at(DECIDED_AT),
            attendees=[pb.Attendee(body="party_org", name="王书记"), pb.Attendee(body="owners_committee"),
                       pb.Attendee(body="property_company", name="李经理")],
            actions=[pb.Action(action_id="action-0001", description="清理3号楼楼道",
                               tier=events_pb2.HANDLING_TIER_JOINT, owner_id="property-0001", deadline="2026-11-27",
                               resolved_at=at(DECIDED_AT), on_time=True, rework_rounds=1, rating="satisfied"),
                     pb.Action(action_id="action-0002", description="张贴通知", owner_name="张楼长",
                               deadline="2026-11-22")],
            progress=pb.DecisionProgress(actions=2, resolved=1, satisfied=1)),
        history=[pb.HistoryEntry(step="vote_closed", at=at(CLOSES_AT), note="accepted: 61 yes, 12 no of 120")],
        your_vote=pb.VOTE_CHOICE_YES))
    return topic


def rejected(reason: int = events_pb2.REJECTION_REASON_QUORUM_MISSED,
             fate: int = events_pb2.CONCERNS_FATE_UNSPECIFIED) -> pb.Topic:
    topic = draft()
    topic.MergeFrom(pb.Topic(state=pb.TOPIC_STATE_REJECTED, published_at=at(PUBLISHED_AT),
                             tally=tally(yes_votes=30, no_votes=5, quorum_met=False), rejection_reason=reason,
                             concerns_fate=fate))
    return topic
