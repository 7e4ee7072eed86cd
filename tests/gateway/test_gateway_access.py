"""Who gets past the gateway: no credentials is 401, a bad token is 401, a role the endpoint does
not serve is 403, each before any service is asked; a role it serves reaches the service, which
is told who is asking. (Scope is each service's to check: tests/e2e/test_access.py.)"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest

from servicekit import auth
from services.contract import ROLES
from tests.gateway.answers import problem_of
from tests.gateway.callers import SIGNING_KEY, bearer, token
from tests.gateway.canned import N1, TALK

ENDPOINTS = {
    "submit concern": ("POST", "/api/v1/concerns", {"neighbourhood_id": N1, "channel": "online", "category": "noise",
                                                   "description": "夜间噪音"}),
    "read concern": ("GET", "/api/v1/concerns/concern-0001", None),
    "read pool": ("GET", f"/api/v1/neighbourhoods/{N1}/pool", None),
    "read entity": ("GET", f"/api/v1/directory/entities/{N1}", None),
    "list entities": ("GET", f"/api/v1/directory/entities?within={N1}", None),
    "create entity": ("POST", "/api/v1/directory/entities", {"kind": "venue", "name": "议事点", "parent_id": N1}),
    "update entity": ("PATCH", f"/api/v1/directory/entities/{N1}", {"name": "幸福小区"}),
    "import": ("POST", "/api/v1/directory/import", {"rows": [
        {"kind": "venue", "external_id": "V-1", "parent_external_id": "N1", "name": "临时议事点"}]}),
    "create account": ("POST", "/api/v1/accounts", {"username": "resident.x", "password": "a long enough password",
                                                    "role": "resident", "scope_id": N1}),
    "issue key": ("POST", "/api/v1/api-keys", {"name": "county platform", "scope_id": N1}),
    "revoke key": ("DELETE", "/api/v1/api-keys/key-0001", None),
    "read audit": ("GET", "/api/v1/audit", None),
    "issue access code": ("POST", "/api/v1/access-codes", {"household_id": "household-0001"}),
    "list categories": ("GET", "/api/v1/categories", None),
    "online batch": ("POST", "/api/v1/concerns/online-batches", {"source": "wechat:业主群", "messages": [
        {"source_message_id": "m-1", "neighbourhood_id": N1, "text": "垃圾分类点满了"}]}),
    "record visit": ("POST", "/api/v1/visits", {"household_id": "household-0001", "visited_on": "2026-11-01"}),
    "visit coverage": ("GET", f"/api/v1/neighbourhoods/{N1}/visit-coverage?from=2026-11-01&to=2026-11-30", None),
    "record talk": ("POST", "/api/v1/talk-sessions", TALK),
    "list talks": ("GET", f"/api/v1/neighbourhoods/{N1}/talk-sessions", None),
    "triage concern": ("POST", "/api/v1/concerns/concern-0001/triage", {"route": "direct"}),
    "merge concerns": ("POST", "/api/v1/concerns/concern-0001/merge", {"concern_ids": ["concern-0002"]}),
    "similar concerns": ("GET", "/api/v1/concerns/concern-0001/similar", None),
    "list concerns": ("GET", f"/api/v1/neighbourhoods/{N1}/concerns?status=received", None),
    "list rules": ("GET", f"/api/v1/triage-rules?scope_id={N1}", None),
    "set rule": ("PUT", "/api/v1/triage-rules", {"scope_id": N1, "category": "noise", "route": "direct"}),
    "delete rule": ("DELETE", "/api/v1/triage-rules/rule-0001", None),
}

EVERYONE = frozenset(ROLES)
STAFF = {"member", "building_leader", "party_secretary"}
ADMINS = {"community_admin", "township_admin", "county_admin"}
PARTNERS = {"owners_committee", "property_company"}
# The roles each endpoint serves (those of the RPC it calls).
SERVES = {
    "submit concern": EVERYONE - PARTNERS - {"department"},
    "read concern": EVERYONE - PARTNERS - {"department"},
    "read pool": EVERYONE - {"department", "resident"},
    "read entity": EVERYONE - {"resident"},
    "list entities": EVERYONE - {"resident"},
    "create entity": ADMINS,
    "update entity": ADMINS,
    "import": ADMINS | {"integration"},
    "create account": ADMINS,
    "issue key": {"county_admin"},
    "revoke key": {"county_admin"},
    "read audit": {"county_admin"},
    "issue access code": ADMINS | {"building_leader", "party_secretary"},
    "list categories": EVERYONE,
    "online batch": ADMINS | {"party_secretary", "integration"},
    "record visit": ADMINS | STAFF,
    "visit coverage": EVERYONE - PARTNERS - {"department", "resident"},
    "record talk": ADMINS | STAFF,
    "list talks": ADMINS | STAFF,
    "triage concern": ADMINS | {"party_secretary"},
    "merge concerns": ADMINS | {"party_secretary"},
    "similar concerns": EVERYONE - PARTNERS - {"department", "resident"},
    "list concerns": EVERYONE - PARTNERS - {"department", "resident"},
    "list rules": EVERYONE - PARTNERS - {"department", "resident"},
    "set rule": ADMINS | {"party_secretary"},
    "delete rule": ADMINS | {"party_secretary"},
}


def _call(client, endpoint: str, headers: dict):
    method, path, body = ENDPOINTS[endpoint]
    return client.open(path, method=method, json=body, headers=headers)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_endpoint_refuses_a_caller_without_credentials(client, fake, endpoint):
    response = _call(client, endpoint, {})
    problem_of(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert fake.calls == []


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_endpoint_serves_exactly_its_roles_and_tells_the_service_who_asks(client, fake, endpoint):
    # Whatever the service would make of it, answering 409 shows the request reached it.
    fake.answer_everything(grpc.StatusCode.FAILED_PRECONDITION, "reached the service")
    outcomes = {}
    for role in sorted(EVERYONE):
        asked_before = len(fake.calls)
        response = _call(client, endpoint, bearer(role))
        asked = fake.calls[asked_before:]
        if response.status_code == 403 and not asked:
            outcomes[role] = "refused"
        elif response.status_code == 409 and len(asked) == 1:
            forwarded = auth.verify(asked[0].metadata[auth.PRINCIPAL_HEADER], SIGNING_KEY,
                                    audience=auth.INTERNAL_AUDIENCE, now=datetime.now(UTC))
            outcomes[role] = "served" if forwarded.role == role else f"served as {forwarded.role}"
        else:
            outcomes[role] = f"{response.status_code} after {len(asked)} calls"
    assert outcomes == {role: "served" if role in SERVES[endpoint] else "refused" for role in sorted(EVERYONE)}


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
