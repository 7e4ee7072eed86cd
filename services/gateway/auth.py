"""Who is asking: bearer tokens for people, API keys for integrations, and each endpoint's roles.

The gateway decides coarsely (signed in? a role this endpoint serves?) and forwards the
principal to the services, which decide again with the data in hand (scope).
"""
from __future__ import annotations

import functools
import hashlib
import threading
import time
from datetime import timedelta

from flask import current_app, g, request

from lianyi.accounts.v1 import accounts_service_pb2 as accounts_pb
from servicekit import auth
from servicekit.auth import Principal
from servicekit.clock import SystemClock
from services.gateway.problems import ProblemError

INTERNAL_TOKEN_TTL = timedelta(seconds=60)
# A revoked key stops working within this long; checking it on every request would cost a call.
API_KEY_CACHE_SECONDS = 5.0
_clock = SystemClock()


class ApiKeyCache:
    def __init__(self):
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> Principal | None:
        with self._lock:
            entry = self._entries.get(digest)
        return entry[1] if entry and entry[0] > time.monotonic() else None

    def put(self, digest: str, principal: Principal) -> None:
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[digest] = (time.monotonic() + API_KEY_CACHE_SECONDS, principal)


def principal_from_proto(message) -> Principal:
    return Principal(subject=message.subject, role=message.role, scope=tuple(message.scope),
                     entity_id=message.entity_id, name=message.name)


def authenticate() -> Principal | None:
    """The principal behind this request, or None if it carries no credentials."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ProblemError(401, "use the header Authorization: Bearer <token>")
        return auth.verify(token.strip(), current_app.config["LIANYI_SIGNING_KEY"], audience=auth.API_AUDIENCE)
    api_key = request.headers.get("X-Api-Key")
    if api_key is not None:
        return _api_key_principal(api_key)
    form_key = _open311_form_key()
    if form_key:
        return _api_key_principal(form_key)
    return None


OPEN311_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _open311_form_key() -> str:
    """GeoReport v2 puts the key in the POSTed form as api_key. Reading it here, before the rate
    limiter, keeps an integration that follows the spec from being throttled as anonymous."""
    if request.method != "POST" or not request.path.startswith("/open311/") or request.mimetype not in OPEN311_FORMS:
        return ""
    return (request.form.get("api_key") or "").strip()


def _api_key_principal(api_key: str) -> Principal:
    cache: ApiKeyCache = current_app.extensions["lianyi.api_keys"]
    digest = hashlib.sha256(api_key.encode()).hexdigest()
    principal = cache.get(digest)
    if principal is None:
        upstreams = current_app.extensions["lianyi.upstreams"]
        principal = principal_from_proto(upstreams.accounts.AuthenticateApiKey(
            accounts_pb.AuthenticateApiKeyRequest(api_key=api_key), **upstreams.call_options(anonymous=True)))
        cache.put(digest, principal)
    return principal


_internal_tokens: dict[Principal, tuple[float, str]] = {}


def internal_token(principal: Principal) -> str:
    """The short-lived signed principal forwarded to services in gRPC metadata; reused for half
    its life, since a busy integration would otherwise sign the same token hundreds of times a
    second."""
    cached = _internal_tokens.get(principal)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    token = auth.sign(principal, current_app.config["LIANYI_SIGNING_KEY"], audience=auth.INTERNAL_AUDIENCE,
                      now=_clock.now(), ttl=INTERNAL_TOKEN_TTL)
    if len(_internal_tokens) > 10_000:
        _internal_tokens.clear()
    _internal_tokens[principal] = (time.monotonic() + INTERNAL_TOKEN_TTL.total_seconds() / 2, token)
    return token


def bearer_token(principal: Principal, ttl: timedelta) -> str:
    return auth.sign(principal, current_app.config["LIANYI_SIGNING_KEY"], audience=auth.API_AUDIENCE,
                     now=_clock.now(), ttl=ttl)


def serves_like(rpc_method):
    """An endpoint serves the roles its RPC declares (one declaration, at the service): 401
    without credentials, 403 for other roles. Scope is the service's to check."""
    allowed = frozenset(rpc_method.allowed_roles)

    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            if g.get("auth_error") is not None:
                raise g.auth_error
            principal = g.get("principal")
            if principal is None:
                raise ProblemError(401, "sign in (Authorization: Bearer) or send an API key (X-Api-Key)")
            if principal.role not in allowed:
                raise ProblemError(403, f"a {principal.role} may not do this")
            return view(*args, **kwargs)

        guarded.allowed_roles = allowed
        return guarded

    return decorate
