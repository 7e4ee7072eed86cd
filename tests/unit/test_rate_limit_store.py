"""Where the gateway's rate-limit counts live (services/gateway/limits.py): every Redis the limits
package reaches gets the short timeouts, so a silent store costs a request half a second before
it counts in memory, whichever way the URI names it. The storages are the limits package's own,
built from the URI as flask-limiter builds them; none of these needs a server to be built but
Cluster, which asks its nodes at once."""
import socket
import time

import limits.storage
import pytest
from redis.exceptions import RedisClusterException

from services.gateway.limits import STORE_TIMEOUT_S, storage_options

TIMEOUTS = {"socket_connect_timeout": STORE_TIMEOUT_S, "socket_timeout": STORE_TIMEOUT_S}


@pytest.mark.parametrize("uri", ["redis://127.0.0.1:1/0", "rediss://127.0.0.1:1/0",
                                 "redis+unix:///run/redis/redis.sock", "redis+sentinel://127.0.0.1:1/lianyi"])
def test_each_redis_connection_waits_at_most_the_store_timeout(uri):
    storage = limits.storage.storage_from_string(uri, **storage_options(uri))
    assert TIMEOUTS.items() <= storage.storage.connection_pool.connection_kwargs.items()


def test_sentinel_asks_its_sentinels_with_the_same_timeouts():
    uri = "redis+sentinel://127.0.0.1:1,127.0.0.1:2/lianyi"
    storage = limits.storage.storage_from_string(uri, **storage_options(uri))
    assert len(storage.sentinel.sentinels) == 2
    for sentinel in storage.sentinel.sentinels:
        assert TIMEOUTS.items() <= sentinel.connection_pool.connection_kwargs.items()


def test_cluster_takes_the_timeouts_and_gives_up_on_a_silent_node_within_them():
    # A node that accepts connections and never answers: without a read timeout, the cluster
    # client would wait for its first answer for ever.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        uri = f"redis+cluster://127.0.0.1:{silent.getsockname()[1]}"
        assert storage_options(uri) == TIMEOUTS
        started = time.monotonic()
        with pytest.raises(RedisClusterException):
            limits.storage.storage_from_string(uri, **storage_options(uri))
        assert time.monotonic() - started < 10 * STORE_TIMEOUT_S


@pytest.mark.parametrize("uri", ["memory://", "memcached://127.0.0.1:11211"])
def test_other_stores_get_no_redis_options(uri):
    assert storage_options(uri) == {}
