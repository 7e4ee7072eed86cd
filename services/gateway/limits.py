"""Rate limits on the public edge: per client address, for requests without credentials (signing
in, the OpenAPI document, anything refused as unauthenticated). Exceeding one answers 429 with
Retry-After. Signed-in callers are accountable and are not throttled here.

Counts live in `LIANYI_GATEWAY_RATE_LIMIT_STORAGE` (memory:// by default, which is per gunicorn
worker; a redis:// URI shares them across workers and replicas).
"""
from __future__ import annotations

import os

from flask import Flask, g, request
from flask_limiter import Limiter

OPS_PATHS = ("/healthz", "/readyz", "/metrics")


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


def install(app: Flask) -> None:
    env = os.environ.get
    app.config["RATELIMIT_DEFAULT"] = env("LIANYI_GATEWAY_PUBLIC_RATE", "120/minute")
    app.config["RATELIMIT_STORAGE_URI"] = env("LIANYI_GATEWAY_RATE_LIMIT_STORAGE", "memory://")
    limiter.init_app(app)


def sign_in_limit() -> str:
    """Guessing passwords is the attack this stops: few tries per address."""
    return os.environ.get("LIANYI_GATEWAY_SIGN_IN_RATE", "10/minute")
