"""The tables of endpoints.py are the whole gateway: every route the app registers is in one (or
named as no endpoint, with why), the public endpoints serve callers without credentials, and the
routes that are no endpoint ask no service."""
from __future__ import annotations

from urllib.parse import urlsplit

import grpc
import pytest

from servicekit import auth
from tests.gateway.endpoints import ENDPOINTS, NOT_ENDPOINTS, OPEN311_REQUEST, PUBLIC

# What werkzeug adds to every rule by itself.
IMPLIED_METHODS = {"HEAD", "OPTIONS"}


def _endpoint(app, method: str, path: str) -> str:
    """The Flask endpoint a request goes to."""
    endpoint, _ = app.url_map.bind("localhost").match(urlsplit(path).path, method=method)
    return endpoint


def test_every_route_the_app_registers_is_in_a_table(app):
    requests = [*ENDPOINTS.values(), OPEN311_REQUEST, *PUBLIC.values()]
    tabled = {(_endpoint(app, method, path), method) for method, path, *_ in requests}
    registered = {(rule.endpoint, method) for rule in app.url_map.iter_rules() if rule.endpoint not in NOT_ENDPOINTS
                  for method in rule.methods - IMPLIED_METHODS}
    assert registered - tabled == set(), "routes no table says who may call"
    assert NOT_ENDPOINTS.keys() <= {rule.endpoint for rule in app.url_map.iter_rules()}, "routes the app lost"


@pytest.mark.parametrize("endpoint", PUBLIC)
def test_a_public_endpoint_serves_a_caller_without_credentials_and_names_nobody(client, fake, endpoint):
    method, path, body, first_rpc = PUBLIC[endpoint]
    # Failing every call shows the request reached the service, whatever it would answer.
    fake.answer_everything(grpc.StatusCode.FAILED_PRECONDITION, "reached the service")
    response = client.open(path, method=method, json=body)
    # The fake's refusal as each API answers it (Open311 as its spec says); 200 if nothing was asked.
    reached = 200 if first_rpc is None else 400 if path.startswith("/open311/") else 409
    assert response.status_code == reached, response.get_data(as_text=True)
    assert [call.method for call in fake.calls[:1]] == ([first_rpc] if first_rpc else [])
    assert [call for call in fake.calls if auth.PRINCIPAL_HEADER in call.metadata] == []


@pytest.mark.parametrize("endpoint", NOT_ENDPOINTS)
def test_a_route_that_is_no_endpoint_asks_no_service(client, fake, endpoint):
    path, _why = NOT_ENDPOINTS[endpoint]
    assert _endpoint(client.application, "GET", path) == endpoint
    response = client.get(path)
    assert response.status_code < 500, response.get_data(as_text=True)
    assert fake.calls == []
