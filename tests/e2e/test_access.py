"""Who may do what, over the wire: signing in, tokens, API keys, and every endpoint against every
role inside and outside its scope."""
from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from lianyi.accounts.v1 import accounts_service_pb2 as accounts_pb
from lianyi.accounts.v1.accounts_service_pb2_grpc import AccountsServiceStub
from tests.e2e.principals import county_admin
from tests.kafka_helpers import wait_for


def _account(credentials, username):
    return next(a for a in credentials["accounts"] if a["username"] == username)


def test_signing_in_gives_a_token_that_works_and_says_who_you_are(gateway, credentials):
    response = requests.post(f"{gateway}/api/v1/auth/token", timeout=10,
                             json={"username": "n1.secretary", "password": credentials["password"]})
    assert response.status_code == 200
    body = response.json()
    assert (body["token_type"], body["role"]) == ("Bearer", "party_secretary")
    assert body["scope"][-1] == credentials["neighbourhoods"]["N1"] and body["expires_in"] > 0
    pool = requests.get(f"{gateway}/api/v1/neighbourhoods/{credentials['neighbourhoods']['N1']}/pool", timeout=10,
                        headers={"Authorization": f"Bearer {body['access_token']}"})
    assert pool.status_code == 200


@pytest.mark.parametrize("username, password", [("n1.secretary", "wrong password"), ("nobody.here", "whatever")])
def test_a_wrong_name_or_password_is_refused_alike(gateway, username, password):
    response = requests.post(f"{gateway}/api/v1/auth/token", json={"username": username, "password": password},
                             timeout=10)
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "wrong username or password"


def test_a_revoked_api_key_stops_working_and_use_is_recorded(system, gateway, grpc_channel, credentials):
    accounts = AccountsServiceStub(grpc_channel("intake"))
    county = _account(credentials, "county.admin")["scope_id"]
    issued = accounts.IssueApiKey(accounts_pb.IssueApiKeyRequest(name=f"e2e {uuid.uuid4().hex[:6]}", scope_id=county),
                                  metadata=county_admin(system))
    url = f"{gateway}/api/v1/directory/entities/{county}"
    assert requests.get(url, headers={"X-Api-Key": issued.api_key}, timeout=10).status_code == 200
    with sqlite3.connect(system.var_dir / "intake.db") as db:
        used = db.execute("SELECT last_used_at FROM api_keys WHERE key_id = ?", (issued.key_id,)).fetchone()[0]
    assert used is not None

    accounts.RevokeApiKey(accounts_pb.RevokeApiKeyRequest(key_id=issued.key_id), metadata=county_admin(system))
    wait_for(lambda: requests.get(url, headers={"X-Api-Key": issued.api_key}, timeout=10).status_code == 401,
             timeout_s=15, message="the revoked key refused")
    forged = issued.api_key[:-4] + "abcd"
    assert requests.get(url, headers={"X-Api-Key": forged}, timeout=10).status_code == 401


# Every endpoint against every demo account, on things in neighbourhood N1 (幸福小区). n2/n5
# secretaries lead other neighbourhoods, so N1 is outside their scope. An online batch answers
# 200 with an outcome per message, so its column holds the first message's outcome. A visit is
# recorded without naming the member: members and building leaders visit themselves; anyone
# else must name the member who visited (so 422 here). Triage and merging each act on concerns
# raised for the call, so every caller meets a concern still waiting; a rule (and a setting) is
# deleted right after the county administrator (re)sets it. The setting set is the duplicate window
# at its default, so no other test sees a difference.
ENDPOINTS = ("submit concern", "read concern", "read pool", "read entity", "list entities", "create entity",
             "update entity", "import", "create account", "issue key", "revoke key", "read audit",
             "issue access code", "list categories", "online batch", "record visit", "visit coverage",
             "record talk", "list talks",
             "triage concern", "merge concerns", "similar concerns", "list concerns", "list rules", "set rule",
             "delete rule", "list settings", "read setting", "set setting", "clear setting")
EXPECTED = {
    "county.admin":    (201, 200, 200, 200, 200, 201, 200, 200, 201, 201, 204, 200, 201, 200, "created", 422, 200, 201, 200,
                        200, 200, 200, 200, 200, 200, 204,
                        200, 200, 200, 204),
    "chengguan.admin": (201, 200, 200, 200, 200, 201, 200, 200, 201, 403, 403, 403, 201, 200, "created", 422, 200, 201, 200,
                        200, 200, 200, 200, 200, 200, 204,
                        200, 200, 200, 204),
    "nanmen.admin":    (201, 200, 200, 200, 200, 201, 200, 200, 201, 403, 403, 403, 201, 200, "created", 422, 200, 201, 200,
                        200, 200, 200, 200, 200, 200, 204,
                        200, 200, 200, 204),
    "n1.secretary":    (201, 200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 403, 201, 200, "created", 422, 200, 201, 200,
                        200, 200, 200, 200, 200, 200, 204,
                        200, 200, 200, 204),
    "n1.member":       (201, 200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403, 201, 200, 201, 200,
                        403, 403, 200, 200, 200, 403, 403,
                        200, 200, 403, 403),
    "n1.leader":       (201, 200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 403, 201, 200, 403, 201, 200, 201, 200,
                        403, 403, 200, 200, 200, 403, 403,
                        200, 200, 403, 403),
    "n1.owners":       (403, 403, 200, 200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403, 403,
                        403, 403, 403, 403, 403, 403, 403,
                        403, 403, 403, 403),
    "n1.property":     (403, 403, 200, 200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403, 403,
                        403, 403, 403, 403, 403, 403, 403,
                        403, 403, 403, 403),
    "n1.resident":     (201, 200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403, 403,
                        403, 403, 403, 403, 403, 403, 403,
                        403, 403, 403, 403),
    "n2.secretary":    (422, 404, 404, 404, 404, 403, 403, 403, 403, 403, 403, 403, 404, 200, "rejected", 422, 404, 422, 404,
                        404, 404, 404, 404, 404, 404, 404,
                        404, 404, 404, 404),
    "n5.secretary":    (422, 404, 404, 404, 404, 403, 403, 403, 403, 403, 403, 403, 404, 200, "rejected", 422, 404, 422, 404,
                        404, 404, 404, 404, 404, 404, 404,
                        404, 404, 404, 404),
    "dept.housing":    (403, 403, 403, 200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403, 403,
                        403, 403, 403, 403, 403, 403, 403,
                        403, 403, 403, 403),
    "platform":        (201, 200, 200, 200, 200, 403, 403, 200, 403, 403, 403, 403, 403, 200, "created", 403, 200, 403, 403,
                        403, 403, 200, 200, 200, 403, 403,
                        200, 200, 403, 403),
    "anonymous":       (401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401,
                        401, 401, 401, 401, 401, 401, 401,
                        401, 401, 401, 401),
}


@pytest.fixture(scope="module")
def n1_concern(gateway, credentials, platform) -> str:
    """A concern of the N1 resident's own household, raised by the county platform."""
    resident = _account(credentials, "n1.resident")
    response = requests.post(f"{gateway}/api/v1/concerns", headers=platform, timeout=10, json={
        "neighbourhood_id": credentials["neighbourhoods"]["N1"], "household_id": resident["entity_id"],
        "channel": "door_visit", "category": "blocked_hallway", "description": "楼道堆满杂物"})
    assert response.status_code == 201, response.text
    return response.json()["concern_id"]


@pytest.fixture(scope="module")
def n1_key(system, grpc_channel, credentials) -> str:
    """An API key scoped to N1, for the revoke column."""
    issued = AccountsServiceStub(grpc_channel("intake")).IssueApiKey(
        accounts_pb.IssueApiKeyRequest(name="N1 notice board", scope_id=credentials["neighbourhoods"]["N1"]),
        metadata=county_admin(system))
    return issued.key_id


@pytest.mark.parametrize("who", list(EXPECTED))
def test_every_endpoint_serves_exactly_the_roles_and_scopes_it_should(gateway, credentials, sign_in, platform,
                                                                      n1_concern, n1_key, n1_people, who):
    headers = {} if who == "anonymous" else platform if who == "platform" else sign_in(who)
    n1 = credentials["neighbourhoods"]["N1"]
    api = f"{gateway}/api/v1"
    today = datetime.now(UTC).date().isoformat()

    def call(method, path, **kwargs):
        return requests.request(method, api + path, headers=headers, timeout=10, **kwargs).status_code

    def first_outcome(response):
        return response.json()["outcomes"][0]["outcome"] if response.status_code == 200 else response.status_code

    def fresh_concern() -> str:
        """A concern in N1 waiting for triage (no rule routes non-urgent noise), raised by the platform."""
        response = requests.post(f"{api}/concerns", headers=platform, timeout=10, json={
            "neighbourhood_id": n1, "channel": "online", "category": "noise", "description": f"夜间噪音 {who}"})
        assert response.status_code == 201, response.text
        return response.json()["concern_id"]

    # Manual is what no rule at all means for urgent noise, so the rule changes no other test's routing.
    rule = {"scope_id": n1, "category": "noise", "urgency": "urgent", "route": "manual"}

    def county_sets(wanted: dict) -> str:
        response = requests.put(f"{api}/triage-rules", headers=sign_in("county.admin"), json=wanted, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["rule_id"]

    window = "/settings/intake.duplicates.window_days"

    def county_sets_window() -> str:
        response = requests.put(api + window, headers=sign_in("county.admin"), json={"scope_id": n1, "value": 30},
                                timeout=10)
        assert response.status_code == 200, response.text
        return window

    calls = {
        "submit concern": lambda: call("POST", "/concerns", json={
            "neighbourhood_id": n1, "channel": "online", "category": "noise", "description": "夜间噪音"}),
        "read concern": lambda: call("GET", f"/concerns/{n1_concern}"),
        "read pool": lambda: call("GET", f"/neighbourhoods/{n1}/pool"),
        "read entity": lambda: call("GET", f"/directory/entities/{n1}"),
        "list entities": lambda: call("GET", "/directory/entities", params={"within": n1}),
        "create entity": lambda: call("POST", "/directory/entities", json={
            "kind": "venue", "name": f"议事点{uuid.uuid4().hex[:4]}", "parent_id": n1}),
        "update entity": lambda: call("PATCH", f"/directory/entities/{n1}", json={"name": "幸福小区"}),
        "import": lambda: call("POST", "/directory/import", json={
            "rows": [{"kind": "venue", "external_id": "V-E2E", "parent_external_id": "N1", "name": "临时议事点"}]}),
        "create account": lambda: call("POST", "/accounts", json={
            "username": f"resident.{uuid.uuid4().hex[:8]}", "password": "a long enough password", "role": "resident",
            "scope_id": n1, "entity_id": _account(credentials, "n1.resident")["entity_id"]}),
        "issue key": lambda: call("POST", "/api-keys", json={"name": "e2e", "scope_id": n1}),
        "revoke key": lambda: call("DELETE", f"/api-keys/{n1_key}"),
        "read audit": lambda: call("GET", "/audit"),
        # 3号楼101室: in building 3, which n1.leader leads
        "issue access code": lambda: call("POST", "/access-codes",
                                          json={"household_id": credentials["households_of_n1"]["H1-3-1"]}),
        "list categories": lambda: call("GET", "/categories"),
        "online batch": lambda: first_outcome(requests.post(f"{api}/concerns/online-batches", headers=headers,
                                                            timeout=10, json={"source": f"wechat:{who}", "messages": [
            {"source_message_id": uuid.uuid4().hex, "neighbourhood_id": n1, "text": "垃圾分类点满了"}]})),
        "record visit": lambda: call("POST", "/visits", json={
            "household_id": credentials["households_of_n1"]["H1-2-1"], "visited_on": today, "notes": "上门走访"}),
        "visit coverage": lambda: call("GET", f"/neighbourhoods/{n1}/visit-coverage",
                                       params={"from": today, "to": today}),
        "record talk": lambda: call("POST", "/talk-sessions", json={
            "venue_id": n1_people["venue"], "held_on": today, "host_ids": [n1_people["volunteer"]], "attendance": 3,
            "entries": [{"text": "记录"}]}),
        "list talks": lambda: call("GET", f"/neighbourhoods/{n1}/talk-sessions"),
        "triage concern": lambda: call("POST", f"/concerns/{fresh_concern()}/triage", json={"route": "direct"}),
        "merge concerns": lambda: call("POST", f"/concerns/{fresh_concern()}/merge",
                                       json={"concern_ids": [fresh_concern()]}),
        "similar concerns": lambda: call("GET", f"/concerns/{n1_concern}/similar"),
        "list concerns": lambda: call("GET", f"/neighbourhoods/{n1}/concerns", params={"status": "received"}),
        "list rules": lambda: call("GET", "/triage-rules", params={"scope_id": n1}),
        "set rule": lambda: call("PUT", "/triage-rules", json=rule),
        "delete rule": lambda: call("DELETE", f"/triage-rules/{county_sets(rule)}"),
        "list settings": lambda: call("GET", "/settings", params={"scope_id": n1}),
        "read setting": lambda: call("GET", window, params={"scope_id": n1}),
        "set setting": lambda: call("PUT", window, json={"scope_id": n1, "value": 30}),
        "clear setting": lambda: call("DELETE", county_sets_window(), params={"scope_id": n1}),
    }
    got = {endpoint: calls[endpoint]() for endpoint in ENDPOINTS}
    assert got == dict(zip(ENDPOINTS, EXPECTED[who], strict=True))


@pytest.mark.parametrize("who, status", [
    ("county.admin", 200), ("chengguan.admin", 404), ("nanmen.admin", 404), ("n5.secretary", 200),
])
def test_administrators_see_only_their_own_part_of_the_county(gateway, credentials, sign_in, who, status):
    n5 = credentials["neighbourhoods"]["N5"]  # in 海滨镇, outside 城关镇 and 南门社区
    response = requests.get(f"{gateway}/api/v1/directory/entities/{n5}", headers=sign_in(who), timeout=10)
    assert response.status_code == status


def test_an_administrator_cannot_create_an_account_above_their_own_scope(gateway, credentials, sign_in):
    county = _account(credentials, "county.admin")["scope_id"]
    response = requests.post(f"{gateway}/api/v1/accounts", headers=sign_in("nanmen.admin"), timeout=10, json={
        "username": f"usurper.{uuid.uuid4().hex[:6]}", "password": "a long enough password",
        "role": "county_admin", "scope_id": county})
    assert response.status_code == 404


def test_something_outside_scope_looks_exactly_like_something_that_does_not_exist(gateway, sign_in, n1_concern):
    outsider = sign_in("n5.secretary")
    hidden = requests.get(f"{gateway}/api/v1/concerns/{n1_concern}", headers=outsider, timeout=10).json()
    missing_id = "01a20000-0000-7000-8000-000000000000"
    missing = requests.get(f"{gateway}/api/v1/concerns/{missing_id}", headers=outsider, timeout=10).json()
    assert (hidden["status"], hidden["detail"].replace(n1_concern, "?")) == \
        (missing["status"], missing["detail"].replace(missing_id, "?"))


def test_the_audit_log_records_who_changed_what_under_which_correlation_id(gateway, credentials, sign_in):
    admin = sign_in("county.admin")
    correlation = f"audit-{uuid.uuid4().hex[:8]}"
    created = requests.post(f"{gateway}/api/v1/directory/entities", timeout=10,
                            headers={**admin, "X-Correlation-Id": correlation},
                            json={"kind": "venue", "name": "老年协会说事点", "parent_id": credentials["neighbourhoods"]["N1"]})
    assert created.status_code == 201
    since = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    page = requests.get(f"{gateway}/api/v1/audit", headers=admin, timeout=10,
                        params={"action": "directory.entity_created", "since": since, "page_size": 500}).json()
    (entry,) = [e for e in page["entries"] if e["correlation_id"] == correlation]
    assert (entry["role"], entry["target_kind"], entry["target_id"]) == (
        "county_admin", "venue", created.json()["entity_id"])
    assert entry["actor"] and entry["recorded_at"]


@pytest.mark.parametrize("params, status", [
    ({"service": "deliberation"}, 200),
])
def test_audit_queries_are_checked(gateway, sign_in, params, status):
    response = requests.get(f"{gateway}/api/v1/audit", headers=sign_in("county.admin"), params=params, timeout=10)
    assert response.status_code == status


def _code(gateway, sign_in, household_id, issuer="n1.leader"):
    response = requests.post(f"{gateway}/api/v1/access-codes", headers=sign_in(issuer), timeout=10,
                             json={"household_id": household_id})
    return response


def _resident_token(gateway, code):
    return requests.post(f"{gateway}/api/v1/auth/token", json={"access_code": code}, timeout=10)


def test_a_household_signs_in_with_the_code_its_building_leader_gave_it(gateway, credentials, sign_in):
    households = credentials["households_of_n1"]
    issued = _code(gateway, sign_in, households["H1-3-2"])
    assert issued.status_code == 201
    code = issued.json()["access_code"]
    signed_in = _resident_token(gateway, code.lower().replace("-", " "))  # as typed by a person
    assert signed_in.status_code == 200 and signed_in.json()["role"] == "resident"
    resident = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    concern = requests.post(f"{gateway}/api/v1/concerns", headers=resident, timeout=10, json={
        "neighbourhood_id": credentials["neighbourhoods"]["N1"], "channel": "online", "category": "noise",
        "description": "楼下夜宵摊太吵"})
    assert concern.status_code == 201 and concern.json()["household_id"] == households["H1-3-2"]

    reissued = _code(gateway, sign_in, households["H1-3-2"], issuer="n1.secretary").json()["access_code"]
    assert _resident_token(gateway, code).status_code == 401, "the earlier code stops working"
    assert _resident_token(gateway, reissued).status_code == 200


def test_a_building_leader_issues_codes_only_for_the_buildings_they_lead(gateway, credentials, sign_in):
    not_theirs = credentials["households_of_n1"]["H1-1-1"]  # building 1 is led by another member
    assert _code(gateway, sign_in, not_theirs).status_code == 404
    assert _code(gateway, sign_in, not_theirs, issuer="n1.secretary").status_code == 201


# Every handling (办事) endpoint against every demo account. Each step is taken on a task that does
# not exist, so a role the step's RPC serves meets the service (404: no such task, in any scope)
# and any other role the gateway's refusal (403) first; reads are of N1's things (a department and
# the platform list only what was whistled to them or escalated, and never read a waiting
# concern's task). An administrator has no ledger of their own (403: they are no member), and a
# building leader reads only their own: the two 403s that are the service's, not the gateway's.
DISPATCH_ENDPOINTS = ("list tasks", "read task", "concern's task", "decided actions", "claim", "assign",
                      "add helper", "note", "part", "resolve", "escalate", "whistle", "department report",
                      "own ledger", "member ledger", "deliveries", "figures")
DISPATCH_EXPECTED = {
    "county.admin":    (200, 404, 200, 404, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 200, 200),
    "chengguan.admin": (200, 404, 200, 404, 403, 403, 403, 404, 403, 404, 403, 404, 403, 403, 200, 200, 200),
    "nanmen.admin":    (200, 404, 200, 404, 403, 403, 403, 404, 404, 404, 404, 403, 403, 403, 200, 403, 200),
    "n1.secretary":    (200, 404, 200, 404, 404, 404, 404, 404, 404, 404, 404, 403, 403, 200, 200, 403, 200),
    "n1.member":       (200, 404, 200, 404, 404, 403, 404, 404, 403, 404, 404, 403, 403, 200, 200, 403, 403),
    "n1.leader":       (200, 404, 200, 404, 404, 403, 404, 404, 403, 404, 404, 403, 403, 200, 403, 403, 403),
    "n1.owners":       (200, 404, 200, 403, 403, 403, 403, 404, 404, 403, 403, 403, 403, 403, 403, 403, 403),
    "n1.property":     (200, 404, 200, 403, 403, 403, 403, 404, 404, 403, 403, 403, 403, 403, 403, 403, 403),
    "n1.resident":     (403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403),
    "n2.secretary":    (404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 403, 403, 200, 404, 403, 404),
    "n5.secretary":    (404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 403, 403, 200, 404, 403, 404),
    "dept.housing":    (200, 404, 404, 403, 403, 403, 403, 403, 403, 403, 403, 403, 404, 403, 403, 403, 403),
    "platform":        (200, 404, 404, 403, 403, 403, 403, 403, 403, 403, 403, 403, 404, 403, 403, 403, 403),
    "anonymous":       (401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401),
}


@pytest.mark.parametrize("who", list(DISPATCH_EXPECTED))
def test_every_handling_endpoint_serves_exactly_the_roles_its_rpc_declares(gateway, credentials, sign_in, platform,
                                                                           n1_concern, who):
    headers = {} if who == "anonymous" else platform if who == "platform" else sign_in(who)
    n1, api = credentials["neighbourhoods"]["N1"], f"{gateway}/api/v1"
    missing = "01a20000-0000-7000-8000-00000000d15a"  # no task, decision or department has this id
    n1_member = _account(credentials, "n1.member")["entity_id"]
    today = datetime.now(UTC).date().isoformat()
    refusals: dict[str, str] = {}

    def call(endpoint, method, path, **kwargs):
        response = requests.request(method, api + path, headers=headers, timeout=10, **kwargs)
        if response.status_code == 403:
            refusals[endpoint] = response.json()["detail"]
        return response.status_code

    task = f"/tasks/{missing}"
    calls = {
        "list tasks": ("GET", "/tasks", {"params": {"list": "all", "place_id": n1}}),
        "read task": ("GET", task, {}),
        "concern's task": ("GET", f"/concerns/{n1_concern}/task", {}),
        "decided actions": ("GET", f"/decisions/{missing}/actions", {}),
        "claim": ("POST", f"{task}/claim", {}),
        "assign": ("POST", f"{task}/assignment", {"json": {"member_id": n1_member}}),
        "add helper": ("POST", f"{task}/helpers", {"json": {"helper_id": n1_member}}),
        "note": ("POST", f"{task}/notes", {"json": {"note": "进展"}}),
        "part": ("POST", f"{task}/parts", {"json": {"part": "我们的部分", "result": "结果"}}),
        "resolve": ("POST", f"{task}/resolution", {"json": {"result": "办结"}}),
        "escalate": ("POST", f"{task}/escalation", {"json": {"reason": "解决不了"}}),
        "whistle": ("POST", f"{task}/whistle", {"json": {"department_ids": [missing]}}),
        "department report": ("POST", f"{task}/department-reports", {"json": {
            "department_id": _account(credentials, "dept.housing")["entity_id"], "kind": "report_in",
            "callback_id": f"access-{who}"}}),
        "own ledger": ("GET", "/ledger", {}),
        "member ledger": ("GET", f"/members/{n1_member}/ledger", {}),
        "deliveries": ("GET", "/platform/deliveries", {}),
        "figures": ("GET", "/dispatch-figures", {"params": {"place_id": n1, "from": today, "to": today}}),
    }
    got = {endpoint: call(endpoint, method, path, **kwargs) for endpoint, (method, path, kwargs) in calls.items()}
    assert got == dict(zip(DISPATCH_ENDPOINTS, DISPATCH_EXPECTED[who], strict=True))
    role = "integration" if who == "platform" else next((a["role"] for a in credentials["accounts"]
                                                         if a["username"] == who), "")
    the_services = {"member ledger": "a member reads only their own ledger"} if who == "n1.leader" else \
        {"own ledger": "only a member has a ledger of their own; name the member_id to read"} if role.endswith(
            "_admin") else {}
    assert refusals == {endpoint: the_services.get(endpoint, f"a {role} may not do this") for endpoint in refusals}


# Every rating (评事) endpoint against every demo account, on a matter that does not exist: a role
# the RPC serves meets the service (404; staff rating without naming the household the rating was
# given for, 422 first), any other the gateway's refusal (403).
MATTER_ENDPOINTS = ("list matters", "read matter", "rate")
MATTER_EXPECTED = {
    "county.admin": (200, 404, 403), "chengguan.admin": (200, 404, 403), "nanmen.admin": (200, 404, 403),
    "n1.secretary": (200, 404, 422), "n1.member": (200, 404, 422), "n1.leader": (200, 404, 422),
    "n1.owners": (403, 403, 403), "n1.property": (403, 403, 403), "n1.resident": (200, 404, 404),
    "n2.secretary": (200, 404, 422), "n5.secretary": (200, 404, 422), "dept.housing": (403, 403, 403),
    "platform": (403, 403, 403), "anonymous": (401, 401, 401),
}


@pytest.mark.parametrize("who", list(MATTER_EXPECTED))
def test_every_rating_endpoint_serves_exactly_the_roles_its_rpc_declares(gateway, credentials, sign_in, platform,
                                                                         who):
    headers = {} if who == "anonymous" else platform if who == "platform" else sign_in(who)
    api, missing = f"{gateway}/api/v1", "01a20000-0000-7000-8000-00000000d15b"
    calls = {"list matters": ("GET", "/matters", {"params": {"list": "mine"}}),
             "read matter": ("GET", f"/matters/{missing}", {}),
             "rate": ("POST", f"/matters/{missing}/rating", {"json": {"rating": "satisfied"}})}
    got = {endpoint: requests.request(method, api + path, headers=headers, timeout=10, **kwargs).status_code
           for endpoint, (method, path, kwargs) in calls.items()}
    assert got == dict(zip(MATTER_ENDPOINTS, MATTER_EXPECTED[who], strict=True))
