"""Evaluation's answers as the fake upstream gives them: a matter just resolved, awaiting its rating
(proto3's empty strings, unspecified rating and unset times everywhere it can have them), and one
rated unsatisfied in person, under rework, with every field set."""
from __future__ import annotations

from datetime import UTC, datetime

from lianyi.evaluation.v1 import evaluation_service_pb2 as pb
from lianyi.evaluation.v1 import events_pb2
from tests.gateway.canned import N1
from tests.gateway.canned_topics import at

TASK_ID = "task-0001"
RESOLVED_AT = datetime(2026, 11, 8, 17, 0, tzinfo=UTC)
RATING_DUE = datetime(2026, 11, 15, 17, 0, tzinfo=UTC)
REMINDED_AT = datetime(2026, 11, 13, 9, 0, tzinfo=UTC)
RATED_AT = datetime(2026, 11, 9, 10, 30, tzinfo=UTC)


def awaiting(task_id: str = TASK_ID) -> pb.Matter:
    """A concern's task just resolved: its household has yet to rate it."""
    return pb.Matter(task_id=task_id, neighbourhood_id=N1, concern_ids=["concern-0001"],
                     household_ids=["household-0001"], round=1, state="awaiting_rating", result="已清理完毕",
                     resolved_at=at(RESOLVED_AT), rating_due=at(RATING_DUE))


AWAITING_JSON = {
    "task_id": TASK_ID, "neighbourhood_id": N1, "decision_id": None, "action_id": None,
    "concern_ids": ["concern-0001"], "household_ids": ["household-0001"], "round": 1, "state": "awaiting_rating",
    "result": "已清理完毕", "resolved_at": "2026-11-08T17:00:00Z", "rating_due": "2026-11-15T17:00:00Z",
    "rating": None, "comment": None, "rated_at": None, "in_person": False, "recorded_by": None,
    "supervisor_id": None, "supervisor_name": None, "reminded_at": None,
}


def reworking() -> pb.Matter:
    """A decided action's task rated unsatisfied in person (a building leader recorded it), reminded
    before, and sent back for rework under the party secretary."""
    return pb.Matter(
        task_id=TASK_ID, neighbourhood_id=N1, decision_id="decision-0001", action_id="action-0001",
        concern_ids=["concern-0001", "concern-0002"], household_ids=["household-0001", "household-0002"], round=2,
        state="reworking", result="已拆除", resolved_at=at(RESOLVED_AT), rating_due=at(RATING_DUE),
        rating=events_pb2.RATING_UNSATISFIED, comment="只拆了一半\n还有杂物", rated_at=at(RATED_AT), in_person=True,
        recorded_by="张楼长", supervisor_id="member-0009", supervisor_name="王书记", reminded_at=at(REMINDED_AT))


REWORKING_JSON = {
    **AWAITING_JSON, "decision_id": "decision-0001", "action_id": "action-0001",
    "concern_ids": ["concern-0001", "concern-0002"], "household_ids": ["household-0001", "household-0002"],
    "round": 2, "state": "reworking", "result": "已拆除", "rating": "unsatisfied", "comment": "只拆了一半\n还有杂物",
    "rated_at": "2026-11-09T10:30:00Z", "in_person": True, "recorded_by": "张楼长", "supervisor_id": "member-0009",
    "supervisor_name": "王书记", "reminded_at": "2026-11-13T09:00:00Z",
}
