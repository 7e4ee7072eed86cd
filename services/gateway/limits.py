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


def _exempt() -> bool:
    # Probes and scrapers must never be refused; callers with credentials are accountable.
    return request.path in OPS_PATHS or g.get("principal") is not None


# Views are decorated with this at import; its settings and storage attach in `install`.
limiter = Limiter(_client, default_limits_exempt_when=_exempt, headers_enabled=True, strategy="moving-window")


def install(app: Flask) -> None:
    env = os.environ.get
    app.config["RATELIMIT_DEFAULT"] = env("LIANYI_GATEWAY_PUBLIC_RATE", "120/minute")
    app.config["RATELIMIT_STORAGE_URI"] = env("LIANYI_GATEWAY_RATE_LIMIT_STORAGE", "memory://")
    limiter.init_app(app)


def sign_in_limit() -> str:
    """Guessing passwords is the attack this stops: few tries per address."""
    return os.environ.get("LIANYI_GATEWAY_SIGN_IN_RATE", "10/minute")
