"""Gateway replicas share their rate-limit counts through a real Redis: a client's requests add up
whichever replica (and whichever gunicorn worker in it) answers them; and a Redis that is down
leaves the API up, each gunicorn worker counting in memory meanwhile.

Each replica is a gunicorn gateway of its own (tests/gateway_process.py): in one process the
limiter is a single object and would share its counts anyway. The counts live under a key prefix
of this test's own, removed afterwards, in a Redis the test starts itself on a free port. Its
upstreams point nowhere: anonymous reads of /openapi.json need none."""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest
import redis
import requests

from localrun import processes
from tests.gateway_process import running_gateway

LIMIT = 6  # anonymous requests per client and route per minute, in this test


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory) -> Iterator[tuple[str, int]]:
    """A Redis of this test's own (Debian's `redis-server`, which .ci/run installs), on a free
    loopback port, keeping nothing on disk; stopped afterwards."""
    binary = shutil.which("redis-server")
    if binary is None:
        reason = "redis-server is not installed (apt-get install redis-server): the shared rate-limit counts are not tested"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI is set, so they must be)")
        pytest.skip(reason)
    directory = tmp_path_factory.mktemp("redis")
    address = ("127.0.0.1", processes.free_port())
    process = subprocess.Popen(
        [binary, "--bind", address[0], "--port", str(address[1]), "--dir", str(directory), "--save", "",
         "--appendonly", "no", "--logfile", str(directory / "redis.log")],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
        preexec_fn=processes.die_with_parent)
    try:
        client = redis.Redis(*address, socket_timeout=1)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = directory / "redis.log"
                    raise AssertionError(f"redis-server did not start:\n{log.read_text() if log.exists() else ''}") \
                        from None
                time.sleep(0.05)
        client.close()
        yield address
    finally:
        processes.stop(process)


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
def key_prefix(redis_server):
    """This test's own keys, removed afterwards (the Redis is the module's)."""
    prefix = f"lianyi-test-{uuid.uuid4().hex[:12]}"
    store = redis.Redis(*redis_server)
    yield prefix, store
    for key in store.scan_iter(match=f"*{prefix}*"):
        store.delete(key)
    store.close()


def test_two_replicas_add_up_one_clients_requests_in_redis(tmp_path, redis_server, key_prefix):
    prefix, store = key_prefix
    env = _replica_env(f"redis://{redis_server[0]}:{redis_server[1]}/0", prefix, workers=2)
    with running_gateway(tmp_path / "a", env) as a, running_gateway(tmp_path / "b", env) as b:
        half = LIMIT // 2
        statuses = [_read_openapi(a, "203.0.113.1") for _ in range(half)]
        statuses += [_read_openapi(b, "203.0.113.1") for _ in range(LIMIT - half)]
        assert statuses == [200] * LIMIT
        assert _read_openapi(a, "203.0.113.1") == 429, "replica a counted replica b's requests"
        assert _read_openapi(b, "203.0.113.1") == 429
        assert _read_openapi(b, "203.0.113.2") == 200, "another client behind the same ingress counts apart"
    assert list(store.scan_iter(match=f"*{prefix}*")), "the counts were kept in Redis, under the test's prefix"


def test_a_replica_whose_redis_is_down_still_serves_and_limits_in_memory(tmp_path):
    prefix = f"lianyi-test-{uuid.uuid4().hex[:12]}"
    down = f"redis://127.0.0.1:{processes.free_port()}/0"  # nothing listens there
    with running_gateway(tmp_path / "alone", _replica_env(down, prefix, workers=1)) as replica:
        statuses = [_read_openapi(replica, "203.0.113.1") for _ in range(LIMIT + 1)]
        assert statuses == [200] * LIMIT + [429]
