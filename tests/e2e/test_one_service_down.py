"""One service down is that service's endpoints down, not the API: a second gateway over the
running system whose evaluation address is a loopback port nobody listens on stays ready (its
/readyz lists evaluation as UNAVAILABLE), answers evaluation's endpoints 503 problem+json naming
evaluation with Retry-After, and every other service's endpoints as usual."""
from __future__ import annotations

import pytest
import requests

from localrun import processes
from tests.gateway_process import running_gateway

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def without_evaluation(system, tmp_path_factory):
    closed = f"127.0.0.1:{processes.free_port()}"  # free: nothing listens there
    env = {**system.env(), "LIANYI_EVALUATION_GRPC_ADDR": closed, "LIANYI_GATEWAY_WORKERS": "1"}
    with running_gateway(tmp_path_factory.mktemp("gateway-without-evaluation"), env) as gateway:
        yield gateway


def test_the_gateway_is_ready_and_lists_evaluation_as_down(without_evaluation):
    response = requests.get(f"{without_evaluation.url}/readyz", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "upstreams": {
        "intake": "SERVING", "deliberation": "SERVING", "dispatch": "SERVING", "evaluation": "UNAVAILABLE"}}


def test_evaluations_endpoints_answer_503_naming_it(without_evaluation, credentials, sign_in):
    response = requests.get(f"{without_evaluation.url}/api/v1/matters", headers=sign_in("county.admin"), timeout=10,
                            params={"list": "place", "place_id": credentials["neighbourhoods"]["N1"]})
    assert response.status_code == 503, response.text
    assert response.headers["Content-Type"] == PROBLEM
    assert response.headers["Retry-After"] == "1"
    problem = response.json()
    assert problem["detail"] == "the evaluation service is unavailable; try again shortly"
    assert problem["correlation_id"] == response.headers["X-Correlation-Id"]


def test_the_other_services_endpoints_still_answer(without_evaluation, credentials, platform, sign_in):
    n1 = credentials["neighbourhoods"]["N1"]
    tasks = requests.get(f"{without_evaluation.url}/api/v1/tasks", params={"list": "all", "place_id": n1},
                         headers=platform, timeout=10)
    assert tasks.status_code == 200, tasks.text  # dispatch
    pool = requests.get(f"{without_evaluation.url}/api/v1/neighbourhoods/{n1}/pool", headers=platform, timeout=10)
    assert pool.status_code == 200, pool.text  # deliberation
    categories = requests.get(f"{without_evaluation.url}/api/v1/categories", headers=sign_in("n1.resident"),
                              timeout=10)
    assert categories.status_code == 200, categories.text  # intake
