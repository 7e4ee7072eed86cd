"""End-to-end fixtures: the whole system (broker and every process) on free loopback ports."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
import requests

from servicekit.supervisor import Addresses, LocalSystem

# Small Kafka timings keep group joins (and rejoins after a kill) to a few seconds.
FAST_KAFKA = {
    "LIANYI_KAFKA_MAX_POLL_INTERVAL_MS": "2000",
    "LIANYI_KAFKA_SESSION_TIMEOUT_MS": "6000",
    "LIANYI_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
    "LIANYI_LOG_LEVEL": "INFO",
}


@pytest.fixture(scope="session")
def system(tmp_path_factory) -> LocalSystem:
    local = LocalSystem(tmp_path_factory.mktemp("lianyi-var"), Addresses.free(), FAST_KAFKA)
    try:
        local.start()
        yield local
    finally:
        local.stop()


@pytest.fixture(scope="session")
def gateway(system) -> str:
    return f"http://{system.addresses.gateway}"


@pytest.fixture
def neighbourhood() -> str:
    """A neighbourhood id no other test uses, so counts are this test's alone."""
    return f"nb-{uuid.uuid4().hex[:10]}"


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


def post_concerns(gateway: str, bodies: list[dict], workers: int = 8) -> list[str]:
    """POST every body concurrently; returns the created concern ids (all must be 201)."""
    local = __import__("threading").local()

    def post(body: dict) -> str:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        response = session.post(f"{gateway}/api/v1/concerns", json=body, timeout=30)
        assert response.status_code == 201, response.text
        return response.json()["concern_id"]

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(post, bodies))


def pool_ids(gateway: str, neighbourhood: str) -> list[str]:
    """Every concern id in the neighbourhood's pool, following page tokens."""
    ids, token = [], ""
    while True:
        params = {"page_size": 500, **({"page_token": token} if token else {})}
        response = requests.get(f"{gateway}/api/v1/neighbourhoods/{neighbourhood}/pool", params=params, timeout=10)
        response.raise_for_status()
        page = response.json()
        ids += [entry["concern_id"] for entry in page["entries"]]
        token = page["next_page_token"]
        if not token:
            return ids
