"""/readyz says whether every service behind the gateway answers; /healthz only that the gateway runs."""
from __future__ import annotations


def test_the_gateway_is_ready_when_every_upstream_serves(client, fake):
    response = client.get("/readyz")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ready\n")


def test_the_gateway_is_not_ready_while_an_upstream_is_not_serving_but_stays_healthy(client, fake):
    fake.ready_error = RuntimeError("dispatch is NOT_SERVING")
    response = client.get("/readyz")
    assert (response.status_code, response.get_data(as_text=True)) == (503, "not ready: RuntimeError\n")
    assert client.get("/healthz").status_code == 200
