"""Dispatch's routes as the gateway serves them: each sends its RPC what the caller asked (list and
report kinds as the proto's enums) and answers with the service's reply as JSON: times in RFC 3339,
what proto3 leaves empty as null. (Whose turn a step is, and the order of steps, are the service's.)"""
from __future__ import annotations

import grpc
import pytest

from lianyi.dispatch.v1 import dispatch_service_pb2 as pb
from lianyi.dispatch.v1 import events_pb2
from tests.gateway.answers import problem_of
from tests.gateway.callers import PLATFORM_KEY, bearer
from tests.gateway.canned import COUNTY, N1
from tests.gateway.canned_tasks import (
    CONCERN_ID,
    OPENED_AT,
    OPENED_JSON,
    TASK_ID,
    delivery,
    escalated,
    figures,
    ledger,
    opened,
)
from tests.gateway.canned_topics import at

MEMBER = bearer("member")
SECRETARY = bearer("party_secretary")
TOWNSHIP = bearer("township_admin")
TASK = f"/api/v1/tasks/{TASK_ID}"


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/json"
    return response.get_json()


# -- reading tasks --------------------------------------------------------------------------------

def test_a_task_just_opened_shows_what_is_unset_as_null(client, fake):
    fake.dispatch.GetTask.returns(opened())
    assert _ok(client.get(TASK, headers=MEMBER)) == OPENED_JSON
    (call,) = fake.calls
    assert call.request == pb.GetTaskRequest(task_id=TASK_ID)


def test_an_escalated_task_shows_its_helpers_parts_departments_and_history(client, fake):
    fake.dispatch.GetTask.returns(escalated())
    shown = _ok(client.get(TASK, headers=TOWNSHIP))
    assert shown == {
        **OPENED_JSON, "concern_id": None, "building_id": "building-0003", "category": "occupied_green_space",
        "urgency": "urgent", "route": "direct", "received_at": "2026-11-03T09:00:00Z", "state": "resolved",
        "tier": "escalated", "mode": "fixed", "handler_id": "member-0001", "handler_name": "张楼长",
        "helpers": [{"id": "volunteer-0001", "name": "李志愿者"}], "decision_id": "decision-0001",
        "action_id": "action-0001", "concern_ids": ["concern-0001", "concern-0002"], "description": "拆除违建阳光房",
        "overdue_at": "2026-11-10T09:00:00Z", "resolved_at": "2026-11-08T17:00:00Z", "result": "已拆除",
        "on_time": False, "rework_round": 1, "supervisor": {"id": "member-0009", "name": "王书记"},
        "parts": [{"body": "community_party_committee", "part": "协调执法", "result": "已协调",
                   "recorded_at": "2026-11-05T09:00:00Z", "recorded_by": "社区大党委"},
                  {"body": "property_company", "part": "配合清理", "result": None, "recorded_at": None,
                   "recorded_by": None}],
        "departments": [{"department_id": "department-0001", "name": "城管局", "whistled_at": "2026-11-05T09:00:00Z",
                         "report_in_due": "2026-11-10T09:00:00Z", "reported_in_at": "2026-11-05T09:00:00Z",
                         "result": None, "result_at": None},
                        {"department_id": "department-0002", "name": "自然资源局",
                         "whistled_at": "2026-11-05T09:00:00Z", "report_in_due": "2026-11-10T09:00:00Z",
                         "reported_in_at": None, "result": None, "result_at": None}],
        "whistled_at": "2026-11-05T09:00:00Z",
        "history": [{"at": "2026-11-03T09:00:00Z", "step": "opened", "actor": None, "note": "from decision-0001"},
                    {"at": "2026-11-05T09:00:00Z", "step": "whistled", "actor": "镇干部", "note": "城管局, 自然资源局"}],
    }


def test_a_concerns_task_is_asked_for_by_the_concerns_id(client, fake):
    fake.dispatch.GetTask.returns(pb.Task(concern_id=CONCERN_ID, neighbourhood_id=N1, state="waiting"))
    shown = _ok(client.get(f"/api/v1/concerns/{CONCERN_ID}/task", headers=SECRETARY))
    assert (shown["task_id"], shown["concern_id"], shown["state"], shown["tier"]) == (None, CONCERN_ID, "waiting",
                                                                                      None)
    (call,) = fake.calls
    assert call.request == pb.GetTaskRequest(concern_id=CONCERN_ID)


def test_tasks_are_listed_by_list_place_states_tier_and_category_a_page_at_a_time(client, fake):
    fake.dispatch.ListTasks.returns(pb.ListTasksResponse(tasks=[opened(), escalated()], next_page_token="p2"))
    listed = _ok(client.get(f"/api/v1/tasks?list=overdue&place_id={N1}&state=open,in_handling&state=resolved"
                            "&tier=escalated&category=noise&page_size=2&page_token=p1", headers=SECRETARY))
    assert [(t["task_id"], t["state"]) for t in listed["tasks"]] == [(TASK_ID, "open"), (TASK_ID, "resolved")]
    assert listed["next_page_token"] == "p2"
    (call,) = fake.calls
    assert call.request == pb.ListTasksRequest(
        list=pb.TASK_LIST_OVERDUE, place_id=N1, states=["open", "in_handling", "resolved"], tier="escalated",
        category="noise", page_size=2, page_token="p1")


def test_tasks_listed_without_parameters_are_the_callers_own_from_the_first_page(client, fake):
    fake.dispatch.ListTasks.returns(pb.ListTasksResponse())
    assert _ok(client.get("/api/v1/tasks", headers=MEMBER)) == {"tasks": [], "next_page_token": None}
    (call,) = fake.calls
    assert call.request == pb.ListTasksRequest(list=pb.TASK_LIST_MINE, page_size=100)


@pytest.mark.parametrize("word, value", [("pool", pb.TASK_LIST_POOL), ("joint", pb.TASK_LIST_JOINT),
                                         ("escalated", pb.TASK_LIST_ESCALATED), ("all", pb.TASK_LIST_ALL)])
def test_each_list_goes_as_the_protos_task_list(client, fake, word, value):
    fake.dispatch.ListTasks.returns(pb.ListTasksResponse())
    _ok(client.get(f"/api/v1/tasks?list={word}", headers=SECRETARY))
    (call,) = fake.calls
    assert call.request.list == value


def test_a_decisions_actions_come_in_the_plans_order(client, fake):
    fake.dispatch.ListDecidedActions.returns(pb.ListDecidedActionsResponse(actions=[
        pb.DecidedAction(action_id="action-0001", decision_id="decision-0001", topic_id="topic-0001",
                         neighbourhood_id=N1, description="清理楼道", tier="joint", owner_id="property-0001",
                         deadline="2026-11-27", received_at=at(OPENED_AT)),
        pb.DecidedAction(action_id="action-0002", decision_id="decision-0001", topic_id="topic-0001",
                         neighbourhood_id=N1, description="张贴通知", owner_name="张楼长", deadline="2026-11-22")]))
    shown = _ok(client.get("/api/v1/decisions/decision-0001/actions", headers=SECRETARY))
    assert shown == {"actions": [
        {"action_id": "action-0001", "decision_id": "decision-0001", "topic_id": "topic-0001", "neighbourhood_id": N1,
         "description": "清理楼道", "tier": "joint", "owner_id": "property-0001", "owner_name": None,
         "deadline": "2026-11-27", "received_at": "2026-11-03T09:00:00Z"},
        {"action_id": "action-0002", "decision_id": "decision-0001", "topic_id": "topic-0001", "neighbourhood_id": N1,
         "description": "张贴通知", "tier": None, "owner_id": None, "owner_name": "张楼长", "deadline": "2026-11-22",
         "received_at": None}]}
    (call,) = fake.calls
    assert call.request == pb.ListDecidedActionsRequest(decision_id="decision-0001")


# -- steps ----------------------------------------------------------------------------------------

STEPS = [
    # (who, path after the task, body, the RPC, its request)
    ("member", "claim", None, "ClaimTask", pb.ClaimTaskRequest(task_id=TASK_ID)),
    ("party_secretary", "assignment", {"member_id": "member-0002"}, "AssignTask",
     pb.AssignTaskRequest(task_id=TASK_ID, member_id="member-0002")),
    ("building_leader", "helpers", {"helper_id": "volunteer-0001"}, "AddHelper",
     pb.AddHelperRequest(task_id=TASK_ID, helper_id="volunteer-0001")),
    ("property_company", "notes", {"note": "已联系住户\n明天清理"}, "NoteProgress",
     pb.NoteProgressRequest(task_id=TASK_ID, note="已联系住户\n明天清理")),
    ("owners_committee", "parts", {"part": "通知业主", "result": "已通知"}, "RecordPart",
     pb.RecordPartRequest(task_id=TASK_ID, part="通知业主", result="已通知")),
    ("owners_committee", "parts", {"part": "通知业主"}, "RecordPart",
     pb.RecordPartRequest(task_id=TASK_ID, part="通知业主")),
    ("member", "resolution", {"result": "已清理完毕"}, "ResolveTask",
     pb.ResolveTaskRequest(task_id=TASK_ID, result="已清理完毕")),
    ("community_admin", "escalation", {"reason": "需要执法部门"}, "EscalateTask",
     pb.EscalateTaskRequest(task_id=TASK_ID, reason="需要执法部门")),
    ("township_admin", "whistle", {"department_ids": ["department-0001", "department-0002"], "note": "请三日内报到"},
     "WhistleDepartments", pb.WhistleDepartmentsRequest(task_id=TASK_ID, department_ids=[
         "department-0001", "department-0002"], note="请三日内报到")),
    ("township_admin", "whistle", {"department_ids": ["department-0001"]}, "WhistleDepartments",
     pb.WhistleDepartmentsRequest(task_id=TASK_ID, department_ids=["department-0001"])),
    ("department", "department-reports", {"kind": "report_in", "callback_id": "own-1"}, "ReportForDepartment",
     pb.ReportForDepartmentRequest(task_id=TASK_ID, kind=events_pb2.DEPARTMENT_REPORT_KIND_REPORT_IN,
                                   callback_id="own-1")),
    ("integration", "department-reports", {"department_id": "department-0001", "kind": "result", "note": "已拆除",
                                           "callback_id": "platform-cb-9f2"}, "ReportForDepartment",
     pb.ReportForDepartmentRequest(task_id=TASK_ID, department_id="department-0001",
                                   kind=events_pb2.DEPARTMENT_REPORT_KIND_RESULT, note="已拆除",
                                   callback_id="platform-cb-9f2")),
]


@pytest.mark.parametrize("who, step, body, rpc, sent", STEPS,
                         ids=[f"{s[1]} {i}" for i, s in enumerate(STEPS)])
def test_a_step_sends_its_rpc_what_the_caller_asked_and_answers_with_the_task(client, fake, who, step, body, rpc,
                                                                            sent):
    getattr(fake.dispatch, rpc).returns(opened())
    assert _ok(client.post(f"{TASK}/{step}", json=body, headers=bearer(who))) == OPENED_JSON
    (call,) = fake.calls
    assert (call.method, call.request) == (rpc, sent)


def test_the_county_platform_reports_for_a_department_with_its_api_key(client, fake, platform):
    fake.dispatch.ReportForDepartment.returns(escalated())
    body = {"department_id": "department-0001", "kind": "progress", "note": "已到现场", "callback_id": "cb-1"}
    assert _ok(client.post(f"{TASK}/department-reports", json=body, headers=platform))["task_id"] == TASK_ID
    assert [c.method for c in fake.calls] == ["AuthenticateApiKey", "ReportForDepartment"]
    assert fake.calls[-1].request.kind == events_pb2.DEPARTMENT_REPORT_KIND_PROGRESS
    assert PLATFORM_KEY not in str(fake.calls[-1].metadata)


# -- ledgers, deliveries, figures -----------------------------------------------------------------

LEDGER_JSON = {
    "member_id": "member-0001", "member_name": "张楼长", "next_page_token": "p2", "committed": 3,
    "fulfilled_on_time": 1, "fulfilled_late": 1, "open": 1, "released": 0, "commitments": [
        {"commitment_id": "commitment-0001", "task_id": TASK_ID, "neighbourhood_id": N1, "mode": "claimed",
         "committed_at": "2026-11-03T09:00:00Z", "deadline": "2026-11-10T09:00:00Z", "state": "fulfilled",
         "fulfilled_at": "2026-11-08T17:00:00Z", "on_time": True, "rating": "satisfied", "rework_rounds": 0},
        {"commitment_id": "commitment-0002", "task_id": "task-0002", "neighbourhood_id": N1, "mode": "fixed",
         "committed_at": "2026-11-03T09:00:00Z", "deadline": "2026-11-10T09:00:00Z", "state": "open",
         "fulfilled_at": None, "on_time": None, "rating": None, "rework_rounds": 0}]}


def test_the_callers_own_ledger_is_asked_for_without_a_member(client, fake):
    fake.dispatch.GetLedger.returns(ledger())
    assert _ok(client.get("/api/v1/ledger?from=2026-10-01&to=2026-12-31&page_size=2", headers=MEMBER)) == LEDGER_JSON
    (call,) = fake.calls
    assert call.request == pb.GetLedgerRequest(from_day="2026-10-01", to_day="2026-12-31", page_size=2)


def test_a_members_ledger_is_asked_for_by_the_member_over_all_days(client, fake):
    fake.dispatch.GetLedger.returns(ledger())
    assert _ok(client.get("/api/v1/members/member-0001/ledger?page_token=p2", headers=SECRETARY)) == LEDGER_JSON
    (call,) = fake.calls
    assert call.request == pb.GetLedgerRequest(member_id="member-0001", page_size=100, page_token="p2")


def test_deliveries_show_each_attempt_a_status_of_none_as_null(client, fake):
    fake.dispatch.ListDeliveries.returns(pb.ListDeliveriesResponse(deliveries=[delivery()]))
    listed = _ok(client.get(f"/api/v1/platform/deliveries?task_id={TASK_ID}&state=pending",
                            headers=bearer("county_admin", (COUNTY,))))
    assert listed == {"next_page_token": None, "deliveries": [{
        "delivery_id": "delivery-0001", "task_id": TASK_ID, "event_type": "lianyi.dispatch.v1.TaskEscalated",
        "created_at": "2026-11-05T09:00:00Z", "state": "pending", "delivered_at": None,
        "next_attempt_at": "2026-11-10T09:00:00Z", "attempts": [
            {"number": 1, "at": "2026-11-05T09:00:00Z", "status": None, "error": "connection refused",
             "duration_ms": 12},
            {"number": 2, "at": "2026-11-05T09:00:00Z", "status": 503, "error": None, "duration_ms": 40}]}]}
    (call,) = fake.calls
    assert call.request == pb.ListDeliveriesRequest(task_id=TASK_ID, state="pending", page_size=100)


def test_dispatch_figures_name_the_period_and_leave_no_median_where_none_reported_in(client, fake):
    fake.dispatch.GetDispatchFigures.returns(figures(COUNTY))
    shown = _ok(client.get(f"/api/v1/dispatch-figures?place_id={COUNTY}&from=2026-11-01&to=2026-11-30",
                           headers=bearer("county_admin", (COUNTY,))))
    assert shown == {
        "place_id": COUNTY, "from": "2026-11-01", "to": "2026-11-30", "opened": 12, "individual": 8, "joint": 3,
        "escalated": 1, "resolved": 10, "resolved_on_time": 9, "overdue": 1, "went_up": 2, "reworked": 1,
        "departments": [
            {"department_id": "department-0001", "name": "城管局", "whistled": 2, "reported_in": 2,
             "reported_in_on_time": 1, "median_report_in_minutes": 95},
            {"department_id": "department-0002", "name": "自然资源局", "whistled": 1, "reported_in": 0,
             "reported_in_on_time": 0, "median_report_in_minutes": None}]}
    (call,) = fake.calls
    assert call.request == pb.GetDispatchFiguresRequest(place_id=COUNTY, from_day="2026-11-01", to_day="2026-11-30")


# -- refusals -------------------------------------------------------------------------------------

def test_a_claim_someone_else_won_is_a_409_with_the_services_reason(client, fake):
    reason = f"task {TASK_ID} is handled by another member"
    fake.dispatch.ClaimTask.fails(grpc.StatusCode.ALREADY_EXISTS, reason)
    assert problem_of(client.post(f"{TASK}/claim", headers=MEMBER), 409)["detail"] == reason
    assert [c.method for c in fake.calls] == ["ClaimTask"]


READS = [
    ("GetTask", TASK),
    ("GetTask", f"/api/v1/concerns/{CONCERN_ID}/task"),
    ("ListDecidedActions", "/api/v1/decisions/decision-0001/actions"),
    ("GetLedger", "/api/v1/members/member-0404/ledger"),
    ("GetDispatchFigures", "/api/v1/dispatch-figures?place_id=nowhere&from=2026-11-01&to=2026-11-30"),
]


@pytest.mark.parametrize("rpc, path", READS, ids=[r[1].split("?")[0] for r in READS])
def test_what_dispatch_does_not_find_is_a_404_with_its_reason(client, fake, rpc, path):
    getattr(fake.dispatch, rpc).fails(grpc.StatusCode.NOT_FOUND, "no such thing in your scope")
    assert problem_of(client.get(path, headers=SECRETARY), 404)["detail"] == "no such thing in your scope"


@pytest.mark.parametrize("code, status", [
    (grpc.StatusCode.NOT_FOUND, 404), (grpc.StatusCode.ALREADY_EXISTS, 409),
    (grpc.StatusCode.FAILED_PRECONDITION, 409), (grpc.StatusCode.PERMISSION_DENIED, 403),
    (grpc.StatusCode.INVALID_ARGUMENT, 422),
])
@pytest.mark.parametrize("who, step, body, rpc, sent", STEPS[::2], ids=[s[1] for s in STEPS[::2]])
def test_a_steps_refusal_reaches_the_caller_as_one_problem(client, fake, code, status, who, step, body, rpc, sent):
    getattr(fake.dispatch, rpc).fails(code, "the service's own words")
    response = client.post(f"{TASK}/{step}", json=body, headers=bearer(who))
    assert problem_of(response, status)["detail"] == "the service's own words"
    assert [c.method for c in fake.calls] == [rpc]
