"""Public endpoints are rate-limited per client: 429 with Retry-After, and nothing else suffers."""
from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from localrun import processes


@pytest.fixture
def strict_gateway(system):
    """A second gateway in front of the same services, with small limits and one worker (so the
    in-memory counts are exact)."""
    address = f"127.0.0.1:{processes.free_port()}"
    env = {**system.env(), "LIANYI_GATEWAY_HTTP_ADDR": address, "LIANYI_GATEWAY_WORKERS": "1",
           "LIANYI_GATEWAY_SIGN_IN_RATE": "3/minute", "LIANYI_GATEWAY_PUBLIC_RATE": "5/minute"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    gateway = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "python:services.gateway.gunicorn_conf",
         "services.gateway.app:create_app()"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        preexec_fn=processes.die_with_parent,
    )
    try:
        processes.wait_until_ready(f"http://{address}/readyz", 30, gateway)
        yield f"http://{address}"
    finally:
        processes.stop(gateway)


def test_signing_in_is_limited_per_client_with_retry_after(strict_gateway, credentials):
    attempts = [requests.post(f"{strict_gateway}/api/v1/auth/token", timeout=10,
                              json={"username": "n1.secretary", "password": "a wrong guess"}) for _ in range(4)]
    assert [a.status_code for a in attempts] == [401, 401, 401, 429]
    refused = attempts[-1]
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert int(refused.headers["Retry-After"]) > 0
    right = requests.post(f"{strict_gateway}/api/v1/auth/token", timeout=10,
                          json={"username": "n1.secretary", "password": credentials["password"]})
    assert right.status_code == 429, "even the right password waits once the limit is reached"


def test_failed_credentials_count_against_the_limit_too(strict_gateway):
    statuses = [requests.get(f"{strict_gateway}/api/v1/directory/entities", timeout=10,
                             headers={"X-Api-Key": f"lk_guess{n}.secret"}).status_code for n in range(6)]
    assert statuses == [401] * 5 + [429]


def test_anonymous_requests_are_limited_but_probes_and_signed_in_callers_are_not(strict_gateway, platform):
    statuses = [requests.get(f"{strict_gateway}/openapi.json", timeout=10).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    assert all(requests.get(f"{strict_gateway}/healthz", timeout=10).status_code == 200 for _ in range(10))
    assert all(requests.get(f"{strict_gateway}/openapi.json", headers=platform, timeout=10).status_code == 200
               for _ in range(10))


def test_open311_clients_sending_api_key_in_the_form_are_not_throttled_as_anonymous(strict_gateway, credentials):
    form = {"api_key": credentials["api_key"]["api_key"], "service_code": "noise", "description": "夜里施工",
            "address_id": credentials["neighbourhoods"]["N1"]}
    statuses = [requests.post(f"{strict_gateway}/open311/v2/requests.json", data=form, timeout=10).status_code
                for _ in range(7)]
    assert statuses == [200] * 7
    guesses = [requests.post(f"{strict_gateway}/open311/v2/requests.json", timeout=10,
                             data={**form, "api_key": f"lk_guess{n}.secret"}).status_code for n in range(6)]
    assert guesses == [403] * 5 + [429], "a wrong key is anonymous, and counted"
