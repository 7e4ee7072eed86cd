"""Rate limits on the public edge: per client address, for requests without credentials (signing
in, the OpenAPI document, anything refused as unauthenticated). Exceeding one answers 429 with
Retry-After. Signed-in callers are accountable and are not throttled here. The rates and where
the counts live are GatewaySettings (servicekit/config.py): in memory, each gunicorn worker counts
alone; in Redis, every worker of every replica adds to the same count. The client address is the
peer's, or behind an ingress the one its proxies forwarded (proxy_hops, app.py)."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, g, request
from flask_limiter import Limiter

from servicekit.config import GatewaySettings

OPS_PATHS = ("/healthz", "/readyz")
# How long a request waits for the shared store before counting in memory instead.
STORE_TIMEOUT_S = 0.5
# The limits package's Redis storages and their schemes (limits.storage: RedisStorage,
# RedisSentinelStorage, RedisClusterStorage; the valkey ones need a client that is not installed,
# so GatewaySettings refuses them).
_REDIS_SCHEMES = frozenset({"redis", "rediss", "redis+unix", "redis+sentinel", "redis+cluster"})


def _client() -> str:
    return request.remote_addr or "unknown"


# Views are decorated with this at import; its settings and storage attach in `install`.
limiter = Limiter(_client, headers_enabled=True, strategy="moving-window")


@limiter.request_filter
def _exempt() -> bool:
    """Probes and scrapers are never refused; signed-in callers are accountable and skip the
    limiter's work entirely, except when signing in again (guessing is what that limit stops)."""
    if request.path in OPS_PATHS:
        return True
    return g.get("principal") is not None and request.endpoint != "sessions.issue_token"


def install(app: Flask, settings: GatewaySettings) -> None:
    app.config["RATELIMIT_DEFAULT"] = settings.public_rate
    app.config["RATELIMIT_STORAGE_URI"] = settings.rate_limit_storage
    app.config["RATELIMIT_KEY_PREFIX"] = settings.rate_limit_key_prefix
    # A store that is down or silent must not take the public API with it: each gunicorn worker
    # counts in memory meanwhile (limits per worker rather than shared) and tries the store again.
    app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = True
    app.config["RATELIMIT_STORAGE_OPTIONS"] = storage_options(settings.rate_limit_storage)
    app.config["LIANYI_SIGN_IN_RATE"] = settings.sign_in_rate
    limiter.init_app(app)


def storage_options(uri: str) -> dict[str, Any]:
    """The limits storage's options for `uri`: for every Redis the limits package reaches (one
    server, TLS, a Unix socket, Sentinel, Cluster), a short wait to connect and to answer, so a
    silent store costs a request STORE_TIMEOUT_S before it counts in memory, not the OS's TCP
    timeouts. Sentinel takes them twice: for the master's connections (the options) and for the
    sentinels' own (sentinel_kwargs), which are asked first where the master is."""
    scheme = urlsplit(uri).scheme
    if scheme not in _REDIS_SCHEMES:
        return {}
    timeouts = {"socket_connect_timeout": STORE_TIMEOUT_S, "socket_timeout": STORE_TIMEOUT_S}
    if scheme.endswith("+sentinel"):
        return {**timeouts, "sentinel_kwargs": dict(timeouts)}
    return timeouts


def sign_in_limit() -> str:
    """Guessing passwords is the attack this stops: few tries per address."""
    rate: str = current_app.config["LIANYI_SIGN_IN_RATE"]
    return rate
