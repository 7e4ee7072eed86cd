"""End-to-end fixtures: the whole system (broker and every process) on free loopback ports,
loaded with the demo county, and callers signed in as its accounts."""
from __future__ import annotations

import json
import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
import requests

from localrun.supervisor import Addresses, LocalSystem
from services.dispatch.platform.config import SECRET_VARIABLE, URL_VARIABLE
from tests.e2e.platform_receiver import PlatformReceiver
from tests.kafka_helpers import wait_for

# Small Kafka timings keep group joins (and rejoins after a kill) to a few seconds.
FAST_KAFKA = {
    "LIANYI_KAFKA_MAX_POLL_INTERVAL_MS": "2000",
    "LIANYI_KAFKA_SESSION_TIMEOUT_MS": "6000",
    "LIANYI_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
    "LIANYI_LOG_LEVEL": "INFO",
    # Tests sign in as many accounts from one address; tests/gateway checks the limits.
    "LIANYI_GATEWAY_SIGN_IN_RATE": "10000/minute",
    "LIANYI_GATEWAY_PUBLIC_RATE": "10000/minute",
}


def _only_system_in_this_run(tmp_path_factory) -> None:
    """The end-to-end tests share one system on one pytest-xdist worker (their xdist_group, and
    their order). If the grouping stops working (as with pytest 9.2, pytest-xdist#1386) a second
    worker would quietly start a second system: say so instead."""
    shared = tmp_path_factory.getbasetemp().parent  # one folder for every worker of this run
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        return
    try:
        with (shared / "e2e-system-worker").open("x") as claim:
            claim.write(worker)
    except FileExistsError:
        first = (shared / "e2e-system-worker").read_text()
        pytest.fail(f"the end-to-end tests run on {first} and {worker}: pytest-xdist's loadgroup is "
                    "not grouping them (see tests/conftest.py)", pytrace=False)


@pytest.fixture(scope="session")
def platform_receiver():
    """The county platform's webhook receiver the system delivers escalated tasks' steps to."""
    receiver = PlatformReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
def system(tmp_path_factory, platform_receiver) -> LocalSystem:
    # The clock moves only for tests marked moves_time, which run after the rest (tests/conftest.py).
    _only_system_in_this_run(tmp_path_factory)
    env = {**FAST_KAFKA, URL_VARIABLE: platform_receiver.url, SECRET_VARIABLE: platform_receiver.secret}
    local = LocalSystem(tmp_path_factory.mktemp("lianyi-var"), Addresses.free(), env, movable_clock=True)
    # Signatures are dated by the system's clock (moved by moves_time tests): the receiver checks them by it.
    platform_receiver.now = lambda: int(local.now().timestamp())
    try:
        local.start()
        yield local
    finally:
        local.stop()


@pytest.fixture(scope="session")
def gateway(system) -> str:
    return f"http://{system.addresses.gateway}"


@pytest.fixture(scope="session")
def credentials(system, gateway) -> dict:
    """The demo accounts, once the demo county has reached deliberation's replica."""
    demo = json.loads(system.credentials.read_text())
    n8 = demo["neighbourhoods"]["N8"]  # loaded last
    wait_for(lambda: requests.get(f"{gateway}/api/v1/neighbourhoods/{n8}/pool", timeout=10,
                                  headers={"X-Api-Key": demo["api_key"]["api_key"]}).status_code == 200,
             timeout_s=60, message="the demo county in deliberation's replica")
    return demo


@pytest.fixture(scope="session")
def sign_in(gateway, credentials):
    """`sign_in(username)` gives request headers carrying that demo account's bearer token."""
    cache: dict[str, dict] = {}

    def headers(username: str) -> dict:
        if username not in cache:
            response = requests.post(f"{gateway}/api/v1/auth/token", timeout=30,
                                     json={"username": username, "password": credentials["password"]})
            assert response.status_code == 200, response.text
            cache[username] = {"Authorization": f"Bearer {response.json()['access_token']}"}
        return cache[username]

    return headers


@pytest.fixture(scope="session")
def platform(credentials) -> dict:
    """Headers of the county government platform's integration (county-wide API key)."""
    return {"X-Api-Key": credentials["api_key"]["api_key"]}


@pytest.fixture
def neighbourhood(gateway, credentials, sign_in, platform) -> str:
    """A new neighbourhood in the demo county's 南门社区, known to every service's replica, so
    counts in it are this test's alone."""
    community = next(a["scope_id"] for a in credentials["accounts"] if a["username"] == "nanmen.admin")
    response = requests.post(f"{gateway}/api/v1/directory/entities", headers=sign_in("county.admin"), timeout=30,
                             json={"kind": "neighbourhood", "name": f"测试小区{uuid.uuid4().hex[:6]}",
                                   "parent_id": community})
    assert response.status_code == 201, response.text
    neighbourhood_id = response.json()["entity_id"]
    wait_for(lambda: requests.get(f"{gateway}/api/v1/neighbourhoods/{neighbourhood_id}/pool", headers=platform,
                                  timeout=10).status_code == 200, timeout_s=30,
             message="the new neighbourhood in deliberation's replica")
    wait_for(lambda: requests.get(f"{gateway}/api/v1/tasks", params={"list": "all", "place_id": neighbourhood_id},
                                  headers=platform, timeout=10).status_code == 200, timeout_s=30,
             message="the new neighbourhood in dispatch's replica")
    county_admin = sign_in("county.admin")
    wait_for(lambda: requests.get(f"{gateway}/api/v1/matters", params={"list": "place", "place_id": neighbourhood_id},
                                  headers=county_admin, timeout=10).status_code == 200, timeout_s=30,
             message="the new neighbourhood in evaluation's replica")
    return neighbourhood_id


@pytest.fixture
def pooling_neighbourhood(neighbourhood, gateway, sign_in) -> str:
    """A new neighbourhood whose routing table sends every concern to the deliberation pool on
    arrival (a rule for any category, set by its community's administrator)."""
    response = requests.put(f"{gateway}/api/v1/triage-rules", headers=sign_in("nanmen.admin"), timeout=10,
                            json={"scope_id": neighbourhood, "category": "*", "route": "deliberation"})
    assert response.status_code == 200, response.text
    return neighbourhood


@pytest.fixture(scope="session")
def grpc_channel(system):
    channels = {}

    def channel_to(service: str) -> grpc.Channel:
        if service not in channels:
            channels[service] = grpc.insecure_channel(system.addresses.grpc[service])
        return channels[service]

    yield channel_to
    for channel in channels.values():
        channel.close()


def submission(neighbourhood: str, n: int = 0, **fields) -> dict:
    body = {"neighbourhood_id": neighbourhood, "channel": "online", "category": "noise",
            "description": f"第{n}号: 夜里楼上有噪音"}
    body.update(fields)
    return body


def post_concerns(gateway: str, bodies: list[dict], headers: dict, workers: int = 8) -> list[str]:
    """POST every body concurrently; returns the created concern ids (all must be 201)."""
    local = threading.local()

    def post(body: dict) -> str:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        response = session.post(f"{gateway}/api/v1/concerns", json=body, headers=headers, timeout=30)
        assert response.status_code == 201, response.text
        return response.json()["concern_id"]

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(post, bodies))


def pool_ids(gateway: str, neighbourhood: str, headers: dict) -> list[str]:
    """Every concern id in the neighbourhood's pool, following page tokens."""
    ids, token = [], ""
    while True:
        params = {"page_size": 500, **({"page_token": token} if token else {})}
        response = requests.get(f"{gateway}/api/v1/neighbourhoods/{neighbourhood}/pool", params=params,
                                headers=headers, timeout=10)
        response.raise_for_status()
        page = response.json()
        ids += [entry["concern_id"] for entry in page["entries"]]
        token = page["next_page_token"]
        if not token:
            return ids


def wait_for_pool(gateway, neighbourhood, expected: set[str], headers, timeout_s=60) -> list[str]:
    wait_for(lambda: set(pool_ids(gateway, neighbourhood, headers)) >= expected, timeout_s=timeout_s,
             interval_s=0.2, message=f"{len(expected)} concerns in {neighbourhood}'s pool")
    return pool_ids(gateway, neighbourhood, headers)


@pytest.fixture(scope="session")
def n1_people(gateway, credentials, sign_in) -> dict:
    """Ids of a venue, volunteer, member and resident of the demo neighbourhood N1."""
    n1 = credentials["neighbourhoods"]["N1"]

    def first(kind):
        listed = requests.get(f"{gateway}/api/v1/directory/entities", headers=sign_in("county.admin"), timeout=10,
                              params={"kind": kind, "within": n1}).json()
        return listed["entities"][0]["entity_id"]

    return {kind: first(kind) for kind in ("venue", "volunteer", "member", "resident")}
