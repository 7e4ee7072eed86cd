"""Whose address a rate limit counts: the peer's, unless proxies in front are trusted
(LIANYI_GATEWAY_PROXY_HOPS). Behind an ingress every request comes from the ingress, so without
the forwarded address all clients would share one count; with nothing in front, a client must not
choose its own address by writing X-Forwarded-For."""
from __future__ import annotations

import pytest

from tests.gateway.conftest import PUBLIC_LIMIT, build_app
from tests.gateway.fakes import FakeUpstreams

INGRESS = {"REMOTE_ADDR": "10.0.0.7"}  # the peer every request behind the ingress comes from


@pytest.fixture(scope="module")
def behind_an_ingress():
    """The gateway as production runs it: one proxy (the ingress) in front."""
    return build_app(proxy_hops=1)


@pytest.fixture
def ingress_client(behind_an_ingress, fake):
    behind_an_ingress.extensions["lianyi.upstreams"] = FakeUpstreams()
    return behind_an_ingress.test_client()


def _read_openapi(client, forwarded_for: str | None = None, environ: dict | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.get("/openapi.json", headers=headers, environ_base=environ or {}).status_code


def test_behind_one_proxy_two_clients_have_separate_counts(ingress_client):
    first = [_read_openapi(ingress_client, "203.0.113.1", INGRESS) for _ in range(PUBLIC_LIMIT + 1)]
    assert first == [200] * PUBLIC_LIMIT + [429]
    assert _read_openapi(ingress_client, "203.0.113.2", INGRESS) == 200, "another client, the same ingress"


def test_behind_one_proxy_what_a_client_forged_before_the_ingress_is_not_read(ingress_client):
    # The ingress appends the address it saw; whatever the client sent stays to the left of it.
    limited = [_read_openapi(ingress_client, f"198.51.100.{n}, 203.0.113.1", INGRESS)
               for n in range(PUBLIC_LIMIT + 1)]
    assert limited == [200] * PUBLIC_LIMIT + [429]


def test_with_no_trusted_proxy_a_forged_forwarded_for_changes_nothing(client):
    """The local run's default (0 hops): the peer is the client, whatever the header says."""
    statuses = [_read_openapi(client, f"203.0.113.{n}") for n in range(PUBLIC_LIMIT + 1)]
    assert statuses == [200] * PUBLIC_LIMIT + [429]
    assert _read_openapi(client, "203.0.113.200", {"REMOTE_ADDR": "192.0.2.8"}) == 200, "another peer counts apart"
