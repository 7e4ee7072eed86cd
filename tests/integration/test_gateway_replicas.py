"""Gateway replicas share their rate-limit counts through a real Redis: a client's requests add up
whichever replica (and whichever gunicorn worker in it) answers them; and a Redis that is down
leaves the API up, each replica counting in memory meanwhile.

Each replica is a gunicorn gateway of its own (tests/gateway_process.py): in one process the
limiter is a single object and would share its counts anyway. The counts live under a key prefix
of this test's own, removed afterwards, so runs at once or one after another never meet. Its
upstreams point nowhere: anonymous reads of /openapi.json need none."""
from __future__ import annotations

import os
import secrets
import socket
import uuid

import pytest
import requests

from localrun import processes
from tests.gateway_process import running_gateway

REDIS = ("127.0.0.1", 6379)
LIMIT = 6  # anonymous requests per client and route per minute, in this test


def _require_redis() -> None:
    try:
        socket.create_connection(REDIS, timeout=1).close()
    except OSError as exc:
        reason = f"no Redis on {REDIS[0]}:{REDIS[1]} ({exc}): the shared rate-limit counts are not tested"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI is set, so they must be)")
        pytest.skip(reason)


def _replica_env(storage: str, prefix: str, workers: int) -> dict[str, str]:
    nowhere = f"127.0.0.1:{processes.free_port()}"
    return {
        "LIANYI_AUTH_SIGNING_KEY": secrets.token_urlsafe(48),
        "LIANYI_GATEWAY_RATE_LIMIT_STORAGE": storage,
        "LIANYI_GATEWAY_RATE_LIMIT_KEY_PREFIX": prefix,
        "LIANYI_GATEWAY_PUBLIC_RATE": f"{LIMIT}/minute",
        "LIANYI_GATEWAY_PROXY_HOPS": "1",
        "LIANYI_GATEWAY_WORKERS": str(workers),
        "LIANYI_GATEWAY_THREADS": "2",
        **{f"LIANYI_{name}_GRPC_ADDR": nowhere for name in ("INTAKE", "DELIBERATION", "DISPATCH", "EVALUATION")},
    }


def _read_openapi(replica, client: str) -> int:
    """A request as the ingress (this test, from 127.0.0.1) forwards it: it appends whom it saw."""
    response = requests.get(f"{replica.url}/openapi.json", timeout=10, headers={"X-Forwarded-For": client})
    return response.status_code


@pytest.fixture
def key_prefix():
    """This test's own keys in the shared Redis, removed afterwards."""
    import redis

    _require_redis()
    prefix = f"lianyi-test-{uuid.uuid4().hex[:12]}"
    store = redis.Redis(*REDIS)
    yield prefix, store
    for key in store.scan_iter(match=f"*{prefix}*"):
        store.delete(key)
    store.close()


def test_two_replicas_add_up_one_clients_requests_in_redis(tmp_path, key_prefix):
    prefix, store = key_prefix
    env = _replica_env(f"redis://{REDIS[0]}:{REDIS[1]}/0", prefix, workers=2)
    with running_gateway(tmp_path / "a", env) as a, running_gateway(tmp_path / "b", env) as b:
        half = LIMIT // 2
        statuses = [_read_openapi(a, "203.0.113.1") for _ in range(half)]
        statuses += [_read_openapi(b, "203.0.113.1") for _ in range(LIMIT - half)]
        assert statuses == [200] * LIMIT
        assert _read_openapi(a, "203.0.113.1") == 429, "replica a counted replica b's requests"
        assert _read_openapi(b, "203.0.113.1") == 429
        assert _read_openapi(b, "203.0.113.2") == 200, "another client behind the same ingress counts apart"
    assert list(store.scan_iter(match=f"*{prefix}*")), "the counts were kept in Redis, under the test's prefix"


def test_a_replica_whose_redis_is_down_still_serves_and_limits_in_memory(tmp_path, key_prefix):
    prefix, _ = key_prefix
    down = f"redis://127.0.0.1:{processes.free_port()}/0"  # nothing listens there
    with running_gateway(tmp_path / "alone", _replica_env(down, prefix, workers=1)) as replica:
        statuses = [_read_openapi(replica, "203.0.113.1") for _ in range(LIMIT + 1)]
        assert statuses == [200] * LIMIT + [429]
