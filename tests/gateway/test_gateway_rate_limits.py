"""Public endpoints are rate-limited per client: 429 with Retry-After, and nothing else suffers.
The limiter keeps its counts in memory, as one gunicorn worker does; `fake` resets them."""
from __future__ import annotations

import grpc
import pytest

from lianyi.accounts.v1 import accounts_service_pb2 as accounts_pb
from tests.gateway.answers import problem_of
from tests.gateway.callers import PLATFORM_KEY
from tests.gateway.canned import N1, N1_PATH, categories, concern, entity
from tests.gateway.conftest import PUBLIC_LIMIT
from tests.gateway.fakes import FakeRpcError

PASSWORD = "lianyi-demo-2026"


def _sign_in(request):
    if request.password != PASSWORD:
        raise FakeRpcError(grpc.StatusCode.UNAUTHENTICATED, "wrong username or password")
    return accounts_pb.Principal(subject="account-1", role="party_secretary", scope=list(N1_PATH))


def test_signing_in_is_limited_per_client_with_retry_after(app, client, fake, monkeypatch):
    monkeypatch.setitem(app.config, "LIANYI_SIGN_IN_RATE", "3/minute")  # GatewaySettings.sign_in_rate
    fake.accounts.Authenticate.returns(_sign_in)
    attempts = [client.post("/api/v1/auth/token", json={"username": "n1.secretary", "password": "a wrong guess"})
                for _ in range(4)]
    assert [a.status_code for a in attempts] == [401, 401, 401, 429]
    problem_of(attempts[-1], 429)
    assert int(attempts[-1].headers["Retry-After"]) > 0
    right = client.post("/api/v1/auth/token", json={"username": "n1.secretary", "password": PASSWORD})
    assert right.status_code == 429, "even the right password waits once the limit is reached"
    assert len(fake.accounts.Authenticate.calls) == 3


def test_failed_credentials_count_against_the_limit_too(client, fake):
    statuses = [client.get("/api/v1/directory/entities", headers={"X-Api-Key": f"lk_guess{n}.secret"}).status_code
                for n in range(PUBLIC_LIMIT + 1)]
    assert statuses == [401] * PUBLIC_LIMIT + [429]


def test_anonymous_requests_are_limited_but_probes_and_signed_in_callers_are_not(client, platform):
    statuses = [client.get("/openapi.json").status_code for _ in range(PUBLIC_LIMIT + 1)]
    assert statuses == [200] * PUBLIC_LIMIT + [429]
    assert all(client.get("/healthz").status_code == 200 for _ in range(PUBLIC_LIMIT + 5))
    assert all(client.get("/openapi.json", headers=platform).status_code == 200 for _ in range(PUBLIC_LIMIT + 5))


@pytest.fixture
def open311_intake(fake):
    fake.intake.ListCategories.returns(categories())
    fake.directory.GetEntity.returns(entity("neighbourhood", N1, N1_PATH[:-1]))
    fake.intake.SubmitConcern.returns(concern())
    return fake


def test_open311_clients_sending_api_key_in_the_form_are_not_throttled_as_anonymous(client, open311_intake,
                                                                                    platform):
    form = {"api_key": PLATFORM_KEY, "service_code": "noise", "description": "夜里施工", "address_id": N1}
    statuses = [client.post("/open311/v2/requests.json", data=form).status_code for _ in range(PUBLIC_LIMIT + 2)]
    assert statuses == [200] * (PUBLIC_LIMIT + 2)
    guesses = [client.post("/open311/v2/requests.json", data={**form, "api_key": f"lk_guess{n}.secret"}).status_code
               for n in range(PUBLIC_LIMIT + 1)]
    assert guesses == [403] * PUBLIC_LIMIT + [429], "a wrong key is anonymous, and counted"
