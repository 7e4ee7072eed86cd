"""Time moved forward for the real processes (LocalSystem.move_clock): each test moves the clock
and shows that the gateway and the services followed it, together.

These run after every other test (marked moves_time; tests/conftest.py), on the same system,
and each holds whatever the tests before it moved the clock by: times are read from the local
run's clock and moves are relative. Tokens from the session's `sign_in` fixture may have expired
by now, so each test signs in afresh.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
import requests

from servicekit.config import SERVICES
from services.gateway.open311.formats import parse_w3c_datetime
from tests.kafka_helpers import wait_for

pytestmark = pytest.mark.moves_time

# Requests and moves take real time too; readings of "now" agree to within this.
SLACK = timedelta(seconds=30)
# What a worker thread counts when it stumbles (and retries): relay, timer runner, consumer.
STUMBLES = ("lianyi_relay_errors_total", "lianyi_timer_runner_errors_total", "lianyi_consumer_errors_total")


def _signed_in(gateway: str, **body) -> requests.Response:
    return requests.post(f"{gateway}/api/v1/auth/token", json=body, timeout=10)


def _bearer(gateway: str, username: str, password: str) -> dict:
    response = _signed_in(gateway, username=username, password=password)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_an_access_code_stops_signing_in_after_30_days_and_a_fresh_one_works(system, gateway, credentials):
    household, password = credentials["households_of_n1"]["H1-3-2"], credentials["password"]

    def issue() -> dict:
        response = requests.post(f"{gateway}/api/v1/access-codes", json={"household_id": household}, timeout=10,
                                 headers=_bearer(gateway, "n1.leader", password))
        assert response.status_code == 201, response.text
        return response.json()

    issued = issue()
    expires_at = datetime.fromisoformat(issued["expires_at"])
    # Intake stamped it on the moved clock, whatever earlier tests moved it by.
    assert abs(expires_at - (system.now() + timedelta(days=30))) < SLACK
    assert _signed_in(gateway, access_code=issued["access_code"]).status_code == 200

    system.move_clock(days=30, hours=-1)
    assert _signed_in(gateway, access_code=issued["access_code"]).status_code == 200, "an hour left"

    system.move_clock(hours=1, minutes=1)
    assert system.now() > expires_at
    refused = _signed_in(gateway, access_code=issued["access_code"])
    assert refused.status_code == 401
    assert "access code is not valid" in refused.json()["detail"]

    fresh = issue()
    assert _signed_in(gateway, access_code=fresh["access_code"]).status_code == 200


def test_a_bearer_token_expires_after_its_lifetime_and_signing_in_again_works(system, gateway, credentials):
    password, n1 = credentials["password"], credentials["neighbourhoods"]["N1"]
    signed_in = _signed_in(gateway, username="n1.secretary", password=password)
    assert signed_in.status_code == 200, signed_in.text
    lifetime = signed_in.json()["expires_in"]
    bearer = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}

    def read_pool(headers: dict) -> requests.Response:
        # Through the gateway to deliberation, which checks the token the gateway signs for it.
        return requests.get(f"{gateway}/api/v1/neighbourhoods/{n1}/pool", headers=headers, timeout=10)

    assert read_pool(bearer).status_code == 200
    # A minute before it expires the token still serves: the gateway signs deliberation's token
    # on the moved clock, and deliberation, on the same clock, finds it issued now, not in its future.
    system.move_clock(seconds=lifetime - 60)
    assert read_pool(bearer).status_code == 200

    system.move_clock(seconds=60)
    expired = read_pool(bearer)
    assert expired.status_code == 401
    assert expired.headers["Content-Type"] == "application/problem+json"
    assert expired.json()["detail"] == "the token has expired; sign in again"

    assert read_pool(_bearer(gateway, "n1.secretary", password)).status_code == 200


def test_open311_lists_by_default_only_what_was_received_in_the_last_90_days(system, gateway, credentials):
    key, n1 = credentials["api_key"]["api_key"], credentials["neighbourhoods"]["N1"]

    def post() -> str:
        response = requests.post(f"{gateway}/open311/v2/requests.json", timeout=10, data={
            "api_key": key, "service_code": "noise", "address_id": n1,
            "description": f"楼道里堆满杂物 {uuid.uuid4().hex[:8]}"})
        assert response.status_code == 200, response.text
        return response.json()[0]["service_request_id"]

    def listed(**params) -> dict[str, dict]:
        response = requests.get(f"{gateway}/open311/v2/requests.json", params=params, timeout=10)
        assert response.status_code == 200, response.text
        return {r["service_request_id"]: r for r in response.json()}

    earlier = post()
    assert earlier in listed()

    system.move_clock(days=90, minutes=1)
    later = post()
    now_listed = listed()
    assert earlier not in now_listed, "received more than 90 days ago"
    assert later in now_listed
    # Intake received it on the moved clock.
    assert abs(parse_w3c_datetime(now_listed[later]["requested_datetime"], "requested_datetime") - system.now()) < SLACK
    assert earlier in listed(service_request_id=earlier), "it still exists, outside the default window"


def _stumbles(system) -> dict[str, float]:
    """Each service's count of its workers' errors, from its /metrics."""
    counted = {}
    for service in SERVICES:
        text = requests.get(f"http://{system.addresses.http[service]}/metrics", timeout=10).text
        counted[service] = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                               if line.startswith(STUMBLES))
    return counted


def test_after_a_jump_of_weeks_events_still_flow_and_no_worker_stumbles(system, gateway, credentials):
    # The relay and the timer runner renew leases that expired weeks ago by the clock, and the
    # consumers stamp and check what they apply: the whole loop runs on, on the moved time.
    stumbled = _stumbles(system)
    moved_to = system.move_clock(weeks=3)
    admin = _bearer(gateway, "county.admin", credentials["password"])
    community = next(a["scope_id"] for a in credentials["accounts"] if a["username"] == "nanmen.admin")
    created = requests.post(f"{gateway}/api/v1/directory/entities", headers=admin, timeout=10, json={
        "kind": "neighbourhood", "name": f"跨越小区{uuid.uuid4().hex[:6]}", "parent_id": community})
    assert created.status_code == 201, created.text
    neighbourhood = created.json()["entity_id"]
    wait_for(lambda: requests.get(f"{gateway}/api/v1/neighbourhoods/{neighbourhood}/pool", headers=admin,
                                  timeout=10).status_code == 200, timeout_s=30, message="the directory event")

    submitted = requests.post(f"{gateway}/api/v1/concerns", headers=admin, timeout=10, json={
        "neighbourhood_id": neighbourhood, "channel": "online", "category": "blocked_hallway",
        "description": "楼道堆满杂物"})
    assert submitted.status_code == 201, submitted.text
    concern = submitted.json()["concern_id"]
    triaged = requests.post(f"{gateway}/api/v1/concerns/{concern}/triage", headers=admin, timeout=10,
                            json={"route": "deliberation", "note": ""})
    assert triaged.status_code == 200, triaged.text

    def pooled() -> dict | None:
        found = requests.get(f"{gateway}/api/v1/concerns/{concern}", headers=admin, timeout=10).json()
        return found if found["status"] == "in_deliberation" else None

    timeline = wait_for(pooled, timeout_s=30, message="deliberation's report in intake's timeline")["timeline"]
    assert [step["status"] for step in timeline] == ["received", "triaged", "in_deliberation"]
    # Stamped by intake and by deliberation, each on the moved clock.
    assert all(moved_to - SLACK < datetime.fromisoformat(step["at"]) <= system.now() for step in timeline)
    assert _stumbles(system) == stumbled
    assert system.exited() == {}
