"""Dispatch reads deliberation's DecisionMade in its own words (services/dispatch/events.py): each
action of the plan with its tier, owner and deadline; a value it cannot take is undecodable (the
DLQ's business), never guessed at."""
from datetime import UTC, date, datetime

import pytest

from lianyi.deliberation.v1 import events_pb2 as pb
from servicekit import envelope, topics
from servicekit.consumer import Subscription
from servicekit.errors import UndecodableEvent
from servicekit.events import Place
from services.dispatch import domain, events

AT = datetime(2026, 11, 20, 19, 30, tzinfo=UTC)


def _decision(*actions: pb.DecidedAction, **fields) -> pb.DecisionMade:
    values = {"decision_id": "d-1", "topic_id": "t-1", "neighbourhood_id": "nb-1", "title": "楼道鞋柜",
              "resolution": "一周内清理楼道", "concern_ids": ["c-1", "c-2"]}
    values.update(fields)
    decision = pb.DecisionMade(actions=list(actions), **values)
    decision.decided_at.FromDatetime(AT)
    return decision


def _action(action_id: str = "a-1", **fields) -> pb.DecidedAction:
    values = {"description": "通知住户自行搬离鞋柜", "deadline": "2026-11-27"}
    values.update(fields)
    return pb.DecidedAction(action_id=action_id, **values)


def test_a_decision_reads_as_dispatchs_decision_with_its_plan_in_order():
    decided = events.decision_made(_decision(
        _action("a-1", tier=pb.HANDLING_TIER_INDIVIDUAL, owner_id="m-1", owner_name="李楼长"),
        _action("a-2", tier=pb.HANDLING_TIER_JOINT, deadline="2026-12-01"),
        _action("a-3", tier=pb.HANDLING_TIER_ESCALATED, owner_name="城关镇"),
        _action("a-4")))
    assert decided == domain.DecisionMade(
        decision_id="d-1", topic_id="t-1", neighbourhood_id="nb-1", title="楼道鞋柜", resolution="一周内清理楼道",
        concern_ids=("c-1", "c-2"), decided_at=AT, actions=(
            domain.PlannedAction("a-1", "通知住户自行搬离鞋柜", "individual", "m-1", "李楼长", date(2026, 11, 27)),
            domain.PlannedAction("a-2", "通知住户自行搬离鞋柜", "joint", "", "", date(2026, 12, 1)),
            domain.PlannedAction("a-3", "通知住户自行搬离鞋柜", "escalated", "", "城关镇", date(2026, 11, 27)),
            domain.PlannedAction("a-4", "通知住户自行搬离鞋柜", "", "", "", date(2026, 11, 27)),
        ))


def test_the_kept_actions_carry_their_decision_and_place_in_the_plan():
    decided = events.decision_made(_decision(_action("a-1"), _action("a-2", tier=pb.HANDLING_TIER_JOINT)))
    received = datetime(2026, 11, 20, 19, 31, tzinfo=UTC)
    kept = domain.actions_of(decided, received)
    assert [(a.action_id, a.position, a.tier) for a in kept] == [("a-1", 0, ""), ("a-2", 1, "joint")]
    assert {(a.decision_id, a.topic_id, a.neighbourhood_id, a.received_at) for a in kept} == {
        ("d-1", "t-1", "nb-1", received)}


@pytest.mark.parametrize("payload, problem", [
    (_decision(_action("a-1"), _action("a-2", tier=7)), r"actions\[1\]: unknown handling tier 7"),
    (_decision(_action(deadline="")), r"actions\[0\]\.deadline is not a date \(YYYY-MM-DD\): ''"),
    (_decision(_action(deadline="2026-11-31")), "is not a date"),
    (_decision(_action(deadline="20261127")), "is not a date"),
    (_decision(_action(deadline="2026-11-27T00:00")), "is not a date"),
    (_decision(_action(action_id="")), r"actions\[0\] has no action_id"),
    (_decision(_action(), decision_id=""), "decision has no decision_id"),
    (_decision(_action(), neighbourhood_id=""), "decision has no neighbourhood_id"),
])
def test_a_value_dispatch_cannot_take_is_undecodable(payload, problem):
    with pytest.raises(UndecodableEvent, match=problem):
        events.decision_made(payload)


def test_an_unknown_tier_is_undecodable_as_the_consumer_reads_it():
    """So the consumer sends the event to the DLQ instead of keeping a tier it guessed."""
    subscription = Subscription(topics.DELIBERATION, pb.DecisionMade, events.decision_made, lambda uow, run: None)
    sealed = envelope.seal(_decision(_action(tier=9)), producer="deliberation", place=Place("nb-1"), occurred_at=AT)
    with pytest.raises(UndecodableEvent, match="unknown handling tier 9"):
        subscription.inbound(sealed)
