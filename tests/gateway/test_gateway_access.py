"""Who gets past the gateway: no credentials is 401 (403 at Open311, as its spec says), a bad token
is 401, a role the endpoint does not serve is 403, each before any service is asked; a role it
serves reaches the service, which is told who is asking. (Scope is each service's to check:
tests/e2e/test_access.py. The endpoints and their roles: endpoints.py.)"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest

from servicekit import auth
from tests.gateway.answers import open311_errors, problem_of
from tests.gateway.callers import SIGNING_KEY, bearer, token
from tests.gateway.endpoints import (
    ENDPOINTS,
    EVERYONE,
    OPEN311_FORM_KEY,
    OPEN311_REQUEST,
    OPEN311_REQUEST_SERVES,
    SERVES,
)


def _call(client, endpoint: str, headers: dict):
    method, path, body = ENDPOINTS[endpoint]
    return client.open(path, method=method, json=body, headers=headers)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_endpoint_refuses_a_caller_without_credentials(client, fake, endpoint):
    response = _call(client, endpoint, {})
    problem_of(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert fake.calls == []


def _forwarded_role(call) -> str:
    """The role a call told the service it was made for."""
    if auth.PRINCIPAL_HEADER not in call.metadata:
        return "nobody"
    return auth.verify(call.metadata[auth.PRINCIPAL_HEADER], SIGNING_KEY, audience=auth.INTERNAL_AUDIENCE,
                       now=datetime.now(UTC)).role


def _who_was_served(fake, send, reached: int) -> dict[str, str]:
    """Each role's request: refused (403, before any service is asked), or served (answered with
    `reached`, the status of the fake's refusal, after asking services as that role)."""
    # Whatever the service would make of it, failing every call shows the request reached it.
    fake.answer_everything(grpc.StatusCode.FAILED_PRECONDITION, "reached the service")
    outcomes = {}
    for role in sorted(EVERYONE):
        asked_before = len(fake.calls)
        response = send(bearer(role))
        asked = fake.calls[asked_before:]
        forwarded = {_forwarded_role(call) for call in asked}
        if response.status_code == 403 and not asked:
            outcomes[role] = "refused"
        elif response.status_code == reached and asked:
            # Every call (listing settings asks each service) carries the caller.
            outcomes[role] = "served" if forwarded == {role} else f"served as {sorted(forwarded)}"
        else:
            outcomes[role] = f"{response.status_code} after {len(asked)} calls"
    return outcomes


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_endpoint_serves_exactly_its_roles_and_tells_the_service_who_asks(client, fake, endpoint):
    outcomes = _who_was_served(fake, lambda headers: _call(client, endpoint, headers), reached=409)
    assert outcomes == {role: "served" if role in SERVES[endpoint] else "refused" for role in sorted(EVERYONE)}


def _open311_request(client, headers: dict, form: dict | None = None):
    method, path, fields = OPEN311_REQUEST
    return client.open(path, method=method, data={**fields, **(form or {})}, headers=headers)


def test_open311s_service_request_refuses_a_caller_without_credentials_as_the_spec_says(client, fake):
    response = _open311_request(client, {})
    assert response.status_code == 403
    assert open311_errors(response, "json") == [(403, "api_key is required to create a service request")]
    assert fake.calls == []


def test_open311s_service_request_serves_exactly_those_who_may_submit_a_concern(client, fake):
    # The gateway's own headers: the spec's api_key form field is always an integration's key.
    outcomes = _who_was_served(fake, lambda headers: _open311_request(client, headers), reached=400)
    assert outcomes == {role: "served" if role in OPEN311_REQUEST_SERVES else "refused" for role in sorted(EVERYONE)}


def test_open311s_service_request_takes_the_api_key_from_the_form(client, fake, platform):
    fake.answer_everything(grpc.StatusCode.FAILED_PRECONDITION, "reached the service")
    assert _open311_request(client, {}, OPEN311_FORM_KEY).status_code == 400
    assert [(call.method, _forwarded_role(call)) for call in fake.calls] == [
        ("AuthenticateApiKey", "nobody"), ("ListCategories", "integration")]


def _tampered(signed: str) -> str:
    return signed[:-3] + ("AAA" if not signed.endswith("AAA") else "BBB")


def _expired() -> str:
    return token("county_admin", now=datetime.now(UTC) - timedelta(hours=2))


@pytest.mark.parametrize("header", [
    pytest.param(lambda: f"Bearer {_expired()}", id="expired"),
    pytest.param(lambda: f"Bearer {_tampered(token('county_admin'))}", id="tampered"),
    pytest.param(lambda: f"Bearer {token('county_admin', audience=auth.INTERNAL_AUDIENCE)}", id="internal audience"),
    pytest.param(lambda: f"Bearer {token('county_admin', key='another-signing-key-0123456789abcdef')}",
                 id="signed with another key"),
    pytest.param(lambda: f"Basic {token('county_admin')}", id="not a bearer"),
])
def test_bad_tokens_are_refused(client, fake, header):
    response = client.get("/api/v1/directory/entities", headers={"Authorization": header()})
    problem_of(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert fake.calls == []


def test_an_api_key_the_accounts_service_does_not_know_is_refused(client, fake):
    response = client.get("/api/v1/directory/entities", headers={"X-Api-Key": "lk_guess.secret"})
    assert problem_of(response, 401)["detail"] == "the API key is not valid"
    assert [c.method for c in fake.calls] == ["AuthenticateApiKey"]
