"""Handling (办事) over the wire, through the gateway, by the roles that take each step: a concern
triaged direct becomes its building leader's task (固定包办) or waits in the pool for a member to
claim it (自行领办, one of two at once); a joint task (集体合办) is resolved only once its three
bodies have recorded their parts; an escalated one (提级联办) is whistled to a county department
(吹哨), which reports in (报到) from its own account and through the county platform, and every
step reaches the platform's webhook signed, each delivery applied once."""
from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.e2e import handling
from tests.kafka_helpers import wait_for

WHISTLED = "lianyi.dispatch.v1.DepartmentsWhistled"


@pytest.fixture
def estate(gateway, credentials, sign_in) -> handling.Estate:
    community = next(a["scope_id"] for a in credentials["accounts"] if a["username"] == "nanmen.admin")
    return handling.build(gateway, sign_in("county.admin"), community)


def _ok(response: requests.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def _refused(response: requests.Response, status: int, says: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert says in response.json()["detail"], response.json()


def _raised_and_triaged(estate, raiser: dict, household_id: str, category: str, description: str) -> str:
    """A concern of the household, raised by `raiser` and triaged direct by the party secretary."""
    created = _ok(estate.call("POST", "/concerns", raiser, json={
        "neighbourhood_id": estate.neighbourhood_id, "household_id": household_id, "channel": "online",
        "category": category, "description": description}), 201)
    assert created["status"] == "received", "no rule routes it on arrival: it waits for triage"
    concern_id = created["concern_id"]
    _ok(estate.call("POST", f"/concerns/{concern_id}/triage", estate.secretary, json={"route": "direct"}))
    return concern_id


def _task_opens(estate, concern_id: str, headers: dict) -> dict:
    """The concern's task, once dispatch has heard it was routed direct."""
    def opened():
        response = estate.call("GET", f"/concerns/{concern_id}/task", headers)
        return response.status_code == 200 and response.json()["task_id"] and response.json()
    return wait_for(opened, timeout_s=30, message=f"{concern_id}'s task opened")


def _timeline_reaches(estate, concern_id: str, headers: dict, status: str) -> list[str]:
    """The concern's timeline as `headers` sees it, once it shows `status`."""
    def reached():
        concern = _ok(estate.call("GET", f"/concerns/{concern_id}", headers))
        steps = [step["status"] for step in concern["timeline"]]
        return concern["status"] == status and steps
    return wait_for(reached, timeout_s=30, message=f"{concern_id} {status} on its timeline")


def test_a_concern_in_a_led_building_is_its_leaders_task_from_triage_to_the_ledger(estate, platform):
    resident = estate.resident(0)  # a household of building 1, which members[1] leads
    concern_id = _raised_and_triaged(estate, resident, estate.led_households[0], "property_management",
                                     "1号楼楼道灯坏了一周")
    task = _task_opens(estate, concern_id, estate.leader)
    assert (task["task_id"], task["tier"], task["state"], task["mode"], task["handler_id"], task["building_id"]) == (
        concern_id, "individual", "in_handling", "fixed", estate.leader_id, estate.led_building)
    assert [step["step"] for step in task["history"]] == ["opened", "assigned"]
    # Nobody else's: it is not in the pool, and it is on the leader's own list.
    pool = _ok(estate.call("GET", "/tasks", estate.secretary, params={"list": "pool",
                                                                      "place_id": estate.neighbourhood_id}))
    assert concern_id not in [t["task_id"] for t in pool["tasks"]]
    mine = _ok(estate.call("GET", "/tasks", estate.leader, params={"list": "mine"}))
    assert [t["task_id"] for t in mine["tasks"]] == [concern_id]
    assert _timeline_reaches(estate, concern_id, resident, "in_handling") == ["received", "triaged", "in_handling"]

    helped = _ok(estate.call("POST", f"/tasks/{concern_id}/helpers", estate.leader,
                             json={"helper_id": estate.volunteer_id}))
    assert [h["id"] for h in helped["helpers"]] == [estate.volunteer_id]
    _refused(estate.call("POST", f"/tasks/{concern_id}/helpers", estate.leader,
                         json={"helper_id": estate.volunteer_id}), 409, "already helps")
    _refused(estate.call("POST", f"/tasks/{concern_id}/helpers", estate.claimants[0],
                         json={"helper_id": estate.members[4]}), 403, "handler or the party secretary")
    noted = _ok(estate.call("POST", f"/tasks/{concern_id}/notes", estate.leader, json={"note": "已报修, 明天换灯"}))
    assert noted["history"][-1]["step"] == "progress" and noted["history"][-1]["note"] == "已报修, 明天换灯"
    _refused(estate.call("POST", f"/tasks/{concern_id}/resolution", estate.claimants[0], json={"result": "好了"}),
             403, "handler or the party secretary")

    resolved = _ok(estate.call("POST", f"/tasks/{concern_id}/resolution", estate.leader,
                               json={"result": "已更换声控灯"}))
    assert (resolved["state"], resolved["result"], resolved["on_time"]) == ("resolved", "已更换声控灯", True)
    assert [step["step"] for step in resolved["history"]] == ["opened", "assigned", "helper_added", "progress",
                                                              "resolved"]
    _refused(estate.call("POST", f"/tasks/{concern_id}/resolution", estate.leader, json={"result": "again"}),
             409, "is resolved")

    # Where is my matter? The resident sees it handled, then resolved.
    assert _timeline_reaches(estate, concern_id, resident, "resolved") == [
        "received", "triaged", "in_handling", "resolved"]
    ledger = _ok(estate.call("GET", "/ledger", estate.leader))
    assert ledger["member_id"] == estate.leader_id
    (commitment,) = ledger["commitments"]
    assert (commitment["task_id"], commitment["mode"], commitment["state"], commitment["on_time"]) == (
        concern_id, "fixed", "fulfilled", True)
    assert (ledger["committed"], ledger["fulfilled_on_time"], ledger["fulfilled_late"], ledger["open"]) == (1, 1, 0, 0)
    # The party secretary reviews the same ledger; the helper took on no commitment.
    assert _ok(estate.call("GET", f"/members/{estate.leader_id}/ledger", estate.secretary))["fulfilled_on_time"] == 1


def test_a_task_without_a_leader_waits_in_the_pool_and_of_two_claims_at_once_one_wins(estate, platform):
    concern_id = _raised_and_triaged(estate, platform, estate.unled_households[0], "property_management",
                                     "2号楼电梯按钮失灵")
    task = _task_opens(estate, concern_id, estate.secretary)
    assert (task["tier"], task["state"], task["handler_id"], task["mode"]) == ("individual", "open", None, None)
    pool = _ok(estate.call("GET", "/tasks", estate.claimants[0], params={"list": "pool",
                                                                         "place_id": estate.neighbourhood_id}))
    assert [t["task_id"] for t in pool["tasks"]] == [concern_id]

    start = threading.Barrier(2)

    def claim(headers: dict) -> requests.Response:
        start.wait()
        return estate.call("POST", f"/tasks/{concern_id}/claim", headers)

    with ThreadPoolExecutor(2) as threads:
        answers = list(threads.map(claim, estate.claimants))
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    won = next(i for i, a in enumerate(answers) if a.status_code == 200)
    lost = answers[1 - won]
    assert lost.headers["Content-Type"] == "application/problem+json"
    assert "already been taken on by another member" in lost.json()["detail"]
    claimed = answers[won].json()
    assert (claimed["state"], claimed["mode"], claimed["handler_id"]) == ("in_handling", "claimed",
                                                                          estate.members[2 + won])
    assert [step["step"] for step in claimed["history"]] == ["opened", "claimed"]
    assert _ok(estate.call("GET", "/tasks", estate.claimants[1 - won], params={
        "list": "pool", "place_id": estate.neighbourhood_id}))["tasks"] == []
    (commitment,) = _ok(estate.call("GET", "/ledger", estate.claimants[won]))["commitments"]
    assert (commitment["task_id"], commitment["mode"], commitment["state"]) == (concern_id, "claimed", "open")
    assert _ok(estate.call("GET", "/ledger", estate.claimants[1 - won]))["committed"] == 0
    _refused(estate.call("POST", f"/tasks/{concern_id}/claim", estate.claimants[won]), 409, "already have")


def test_a_joint_task_is_resolved_only_once_its_three_bodies_have_recorded_their_parts(estate, platform):
    concern_id = _raised_and_triaged(estate, platform, estate.led_households[1], "noise", "楼上深夜装修噪音")
    task = _task_opens(estate, concern_id, estate.secretary)
    assert (task["tier"], task["state"], task["handler_id"], task["parts"]) == ("joint", "in_handling", None, [])
    joint = _ok(estate.call("GET", "/tasks", estate.owners, params={"list": "joint",
                                                                    "place_id": estate.neighbourhood_id}))
    assert [t["task_id"] for t in joint["tasks"]] == [concern_id]

    def resolve(headers):
        return estate.call("POST", f"/tasks/{concern_id}/resolution", headers, json={"result": "已协调, 夜间停工"})

    _refused(resolve(estate.secretary), 409, "party_org, owners_committee, property_company")
    _ok(estate.call("POST", f"/tasks/{concern_id}/parts", estate.secretary,
                    json={"part": "党支部上门调解", "result": "业主同意夜间停工"}))
    _refused(resolve(estate.secretary), 409, "owners_committee, property_company")
    _ok(estate.call("POST", f"/tasks/{concern_id}/parts", estate.owners, json={"part": "业委会发函提醒"}))
    _refused(resolve(estate.secretary), 409, "waiting for the part and result of: property_company")
    _refused(estate.call("POST", f"/tasks/{concern_id}/parts", estate.leader, json={"part": "我来"}), 403,
             "may not do this")
    noted = _ok(estate.call("POST", f"/tasks/{concern_id}/notes", estate.property, json={"note": "物业加强巡查"}))
    assert noted["history"][-1]["step"] == "progress"
    parted = _ok(estate.call("POST", f"/tasks/{concern_id}/parts", estate.property,
                             json={"part": "物业夜间巡查", "result": "22点后无施工"}))
    assert sorted(p["body"] for p in parted["parts"]) == ["owners_committee", "party_org", "property_company"]
    # Only the party secretary resolves a joint task, for the party organisation that leads it.
    _refused(resolve(estate.owners), 403, "may not do this")
    _refused(resolve(estate.leader), 403, "party secretary resolves a joint task")

    resolved = _ok(resolve(estate.secretary))
    assert (resolved["state"], resolved["on_time"]) == ("resolved", True)
    assert _timeline_reaches(estate, concern_id, platform, "resolved")[-2:] == ["in_handling", "resolved"]


def _department(estate, county: str, name: str) -> tuple[str, dict]:
    """A new county department and its own account."""
    created = _ok(estate.call("POST", "/directory/entities", estate.admin, json={
        "kind": "department", "name": f"{name}{uuid.uuid4().hex[:4]}", "parent_id": county}), 201)
    return created["entity_id"], estate.account_in("department", county, created["entity_id"])


def test_an_escalated_task_is_whistled_reported_on_resolved_and_delivered_to_the_platform(
        estate, gateway, credentials, sign_in, platform, platform_receiver):
    county = next(a["scope_id"] for a in credentials["accounts"] if a["username"] == "county.admin")
    township, community = sign_in("chengguan.admin"), sign_in("nanmen.admin")
    housing, housing_account = _department(estate, county, "城市综合执法局")
    other, other_account = _department(estate, county, "自然资源局")
    concern_id = _raised_and_triaged(estate, platform, estate.led_households[0], "illegal_construction",
                                     "顶楼违章加盖阳光房")
    task = _task_opens(estate, concern_id, township)
    assert (task["tier"], task["state"], task["departments"]) == ("escalated", "in_handling", [])
    assert _timeline_reaches(estate, concern_id, platform, "escalated")[-1] == "escalated"
    escalated = _ok(estate.call("GET", "/tasks", township, params={"list": "escalated"}))
    assert concern_id in [t["task_id"] for t in escalated["tasks"]]
    _refused(estate.call("GET", f"/tasks/{concern_id}", housing_account), 404, "no task")

    # The department reaches dispatch's replica in its own time: the whistle names it once it has.
    def whistled():
        response = estate.call("POST", f"/tasks/{concern_id}/whistle", township,
                               json={"department_ids": [housing], "note": "请执法局现场核查"})
        assert response.status_code in (200, 422), response.text
        return response.status_code == 200 and response.json()
    task = wait_for(whistled, timeout_s=30, message="the whistle to the new department")
    (call,) = task["departments"]
    assert (call["department_id"], call["reported_in_at"], call["result"]) == (housing, None, None)
    assert call["report_in_due"] and task["whistled_at"]
    _refused(estate.call("POST", f"/tasks/{concern_id}/whistle", community, json={"department_ids": [housing]}),
             403, "may not do this")

    # Only the department whistled sees the task and reports on it.
    _refused(estate.call("GET", f"/tasks/{concern_id}", other_account), 404, "no task")
    _refused(estate.call("POST", f"/tasks/{concern_id}/department-reports", other_account,
                         json={"kind": "report_in", "callback_id": "other-1"}), 404, "no task")
    _refused(estate.call("POST", f"/tasks/{concern_id}/department-reports", platform,
                         json={"department_id": other, "kind": "report_in", "callback_id": "other-2"}), 409,
             "not whistled to this task")
    reported = _ok(estate.call("POST", f"/tasks/{concern_id}/department-reports", housing_account,
                               json={"kind": "report_in", "note": "已接单", "callback_id": "own-report-in"}))
    assert reported["departments"][0]["reported_in_at"]
    mine = _ok(estate.call("GET", "/tasks", housing_account, params={"list": "mine"}))
    assert [t["task_id"] for t in mine["tasks"]] == [concern_id]

    callback = {"department_id": housing, "kind": "result", "note": "已责令拆除并复查",
                "callback_id": f"platform-{uuid.uuid4().hex[:8]}"}
    result = _ok(estate.call("POST", f"/tasks/{concern_id}/department-reports", platform, json=callback))
    assert result["departments"][0]["result"] == "已责令拆除并复查"
    again = _ok(estate.call("POST", f"/tasks/{concern_id}/department-reports", platform,
                            json={**callback, "note": "重复的回调"}))
    assert again["departments"] == result["departments"] and again["history"] == result["history"], \
        "the same callback again changes nothing"

    _refused(estate.call("POST", f"/tasks/{concern_id}/resolution", township, json={"result": "已拆除"}), 409,
             "community_party_committee")
    _ok(estate.call("POST", f"/tasks/{concern_id}/parts", community,
                    json={"part": "社区大党委协调执法", "result": "已拆除"}))
    resolved = _ok(estate.call("POST", f"/tasks/{concern_id}/resolution", township, json={"result": "违建已拆除"}))
    assert (resolved["state"], resolved["on_time"]) == ("resolved", True)
    assert [step["step"] for step in resolved["history"]] == [
        "opened", "whistled", "reported_in", "department_result", "part", "resolved"]
    assert _timeline_reaches(estate, concern_id, platform, "resolved")[-2:] == ["escalated", "resolved"]

    # Every step reached the platform, signed; the whistle's first answer was lost and its retry
    # carried the same key, applied once.
    admin = sign_in("county.admin")

    def all_delivered():
        page = _ok(estate.call("GET", "/platform/deliveries", admin, params={"task_id": concern_id}))
        deliveries = page["deliveries"]
        return len(deliveries) == 6 and all(d["state"] == "delivered" for d in deliveries) and deliveries
    deliveries = wait_for(all_delivered, timeout_s=60, message="the escalated task's six deliveries delivered")
    assert sorted(d["event_type"].rsplit(".", 1)[-1] for d in deliveries) == sorted([
        "TaskOpened", "DepartmentsWhistled", "DepartmentReported", "DepartmentReported", "PartRecorded",
        "TaskResolved"])
    received = platform_receiver.of_task(concern_id)
    assert set(received) == {d["delivery_id"] for d in deliveries}
    assert all(r.applied == 1 for r in received.values())
    for delivery in deliveries:
        statuses = [a["status"] for a in delivery["attempts"]]
        if delivery["event_type"] == WHISTLED:
            assert statuses == [503, 200] and received[delivery["delivery_id"]].attempts == [1, 2]
        else:
            assert statuses == [200] and received[delivery["delivery_id"]].attempts == [1]
    _refused(estate.call("GET", "/platform/deliveries", community), 403, "may not do this")
