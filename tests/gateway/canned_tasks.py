"""Dispatch's answers as the fake upstream gives them: a task just opened in the pool (proto3's
empty strings and unset messages everywhere it can have them) and an escalated one with every field
set, a ledger, a delivery and figures."""
from __future__ import annotations

from datetime import UTC, datetime

from lianyi.dispatch.v1 import dispatch_service_pb2 as pb
from tests.gateway.canned import N1
from tests.gateway.canned_topics import at

TASK_ID = "task-0001"
CONCERN_ID = "concern-0001"
OPENED_AT = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
WHISTLED_AT = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
RESOLVED_AT = datetime(2026, 11, 8, 17, 0, tzinfo=UTC)


def opened(task_id: str = TASK_ID) -> pb.Task:
    """A concern's task just opened in the neighbourhood's pool: nobody has it yet."""
    return pb.Task(task_id=task_id, concern_id=CONCERN_ID, neighbourhood_id=N1, category="noise", state="open",
                   tier="individual", opened_at=at(OPENED_AT), deadline=at(DEADLINE), concern_ids=[CONCERN_ID])


OPENED_JSON = {
    "task_id": TASK_ID, "concern_id": CONCERN_ID, "neighbourhood_id": N1, "building_id": None, "household_id": None,
    "category": "noise", "urgency": None, "route": None, "merged_into": None, "received_at": None,
    "opened_at": "2026-11-03T09:00:00Z", "state": "open", "tier": "individual", "mode": None, "handler_id": None,
    "handler_name": None, "helpers": [], "decision_id": None, "action_id": None, "concern_ids": [CONCERN_ID],
    "description": None, "deadline": "2026-11-10T09:00:00Z", "overdue_at": None, "resolved_at": None,
    "result": None, "on_time": None, "rework_round": 0, "supervisor": None, "parts": [], "departments": [],
    "whistled_at": None, "history": [],
}


def escalated() -> pb.Task:
    """A decided action's task, escalated, whistled to a department, resolved late after a round of rework."""
    return pb.Task(
        task_id=TASK_ID, neighbourhood_id=N1, building_id="building-0003", category="occupied_green_space",
        received_at=at(OPENED_AT), route="direct", opened_at=at(OPENED_AT), urgency="urgent", state="resolved",
        tier="escalated", mode="fixed", handler_id="member-0001", handler_name="张楼长",
        helpers=[pb.Person(id="volunteer-0001", name="李志愿者")], decision_id="decision-0001",
        action_id="action-0001", concern_ids=["concern-0001", "concern-0002"], description="拆除违建阳光房",
        deadline=at(DEADLINE), overdue_at=at(DEADLINE), resolved_at=at(RESOLVED_AT), result="已拆除", on_time=False,
        rework_round=1, supervisor=pb.Person(id="member-0009", name="王书记"),
        parts=[pb.Part(body="community_party_committee", part="协调执法", result="已协调", recorded_at=at(WHISTLED_AT),
                       recorded_by="社区大党委"),
               pb.Part(body="property_company", part="配合清理")],
        departments=[pb.DepartmentCall(department_id="department-0001", name="城管局", whistled_at=at(WHISTLED_AT),
                                       report_in_due=at(DEADLINE), reported_in_at=at(WHISTLED_AT)),
                     pb.DepartmentCall(department_id="department-0002", name="自然资源局",
                                       whistled_at=at(WHISTLED_AT), report_in_due=at(DEADLINE))],
        history=[pb.TaskStep(at=at(OPENED_AT), step="opened", note="from decision-0001"),
                 pb.TaskStep(at=at(WHISTLED_AT), step="whistled", actor="镇干部", note="城管局, 自然资源局")],
        whistled_at=at(WHISTLED_AT))


def ledger() -> pb.Ledger:
    return pb.Ledger(member_id="member-0001", member_name="张楼长", next_page_token="p2", committed=3,
                     fulfilled_on_time=1, fulfilled_late=1, open=1, released=0, commitments=[
                         pb.Commitment(commitment_id="commitment-0001", task_id=TASK_ID, neighbourhood_id=N1,
                                       mode="claimed", committed_at=at(OPENED_AT), deadline=at(DEADLINE),
                                       state="fulfilled", fulfilled_at=at(RESOLVED_AT), on_time=True,
                                       rating="satisfied"),
                         pb.Commitment(commitment_id="commitment-0002", task_id="task-0002", neighbourhood_id=N1,
                                       mode="fixed", committed_at=at(OPENED_AT), deadline=at(DEADLINE),
                                       state="open")])


def delivery() -> pb.Delivery:
    return pb.Delivery(delivery_id="delivery-0001", task_id=TASK_ID, event_type="lianyi.dispatch.v1.TaskEscalated",
                       created_at=at(WHISTLED_AT), state="pending", next_attempt_at=at(DEADLINE), attempts=[
                           pb.DeliveryAttempt(number=1, at=at(WHISTLED_AT), status=0, error="connection refused",
                                              duration_ms=12),
                           pb.DeliveryAttempt(number=2, at=at(WHISTLED_AT), status=503, duration_ms=40)])


def figures(place_id: str) -> pb.DispatchFigures:
    return pb.DispatchFigures(
        place_id=place_id, from_day="2026-11-01", to_day="2026-11-30", opened=12, individual=8, joint=3, escalated=1,
        resolved=10, resolved_on_time=9, overdue=1, went_up=2, reworked=1, departments=[
            pb.DepartmentFigures(department_id="department-0001", name="城管局", whistled=2, reported_in=2,
                                 reported_in_on_time=1, median_report_in_minutes=95),
            pb.DepartmentFigures(department_id="department-0002", name="自然资源局", whistled=1)])
