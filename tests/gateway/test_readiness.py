"""/readyz says the gateway can serve, listing each service behind it; /healthz only that it runs.
A service that is down does not make the gateway unready: its own endpoints answer 503 instead
(over real gRPC: tests/e2e/test_one_service_down.py)."""
from __future__ import annotations

import pytest

from tests.gateway.answers import problem_of

SERVICES = ("intake", "deliberation", "dispatch", "evaluation")


def test_the_gateway_is_ready_and_lists_every_upstream_serving(client, fake):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "upstreams": dict.fromkeys(SERVICES, "SERVING")}


@pytest.mark.parametrize("state", ["NOT_SERVING", "UNAVAILABLE", "DEADLINE_EXCEEDED"])
def test_the_gateway_stays_ready_while_an_upstream_is_down_and_says_which(client, fake, state):
    fake.states["dispatch"] = state
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["upstreams"] == {**dict.fromkeys(SERVICES, "SERVING"), "dispatch": state}
    assert client.get("/healthz").status_code == 200


def test_readiness_is_not_rate_limited(client, fake):
    assert all(client.get("/readyz").status_code == 200 for _ in range(30))


def test_the_public_port_answers_metrics_with_a_404_problem(client, fake):
    response = client.get("/metrics")
    problem_of(response, 404)
    assert "lianyi_" not in response.get_data(as_text=True)

