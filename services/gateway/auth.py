"""Who is asking: bearer tokens for people, API keys for integrations, and each endpoint's roles.

The gateway decides coarsely (signed in? a role this endpoint serves?) and forwards the
principal to the services, which decide again with the data in hand (scope).
"""
from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, g, request

from lianyi.accounts.v1 import accounts_service_pb2 as accounts_pb
from servicekit import auth
from servicekit.auth import PUBLIC, Principal
from servicekit.caching import TtlCache
from servicekit.clock import Clock
from services.gateway.problems import ProblemError

INTERNAL_TOKEN_TTL = timedelta(seconds=60)
# A revoked key stops working within this long; checking it on every request would cost a call.
API_KEY_CACHE_TTL = timedelta(seconds=5)
OPEN311_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


class Credentials:
    """The app's clock and signing key, and what it remembers of credentials it checked or made."""

    def __init__(self, clock: Clock, signing_key: str, token_ttl: timedelta):
        self.clock, self.signing_key, self.token_ttl = clock, signing_key, token_ttl
        self.api_keys: TtlCache[str, Principal] = TtlCache(clock, API_KEY_CACHE_TTL)
        # A busy integration would otherwise sign the same internal token hundreds of times a
        # second: each is reused for half its life.
        self.internal_tokens: TtlCache[Principal, str] = TtlCache(clock, INTERNAL_TOKEN_TTL / 2)

    def install(self, app: Flask) -> None:
        app.extensions["lianyi.credentials"] = self


def credentials() -> Credentials:
    """The current app's credentials."""
    found: Credentials = current_app.extensions["lianyi.credentials"]
    return found


def principal_from_proto(message: Any) -> Principal:
    return Principal(subject=message.subject, role=message.role, scope=tuple(message.scope),
                     entity_id=message.entity_id, name=message.name)


def authenticate() -> Principal | None:
    """The principal behind this request, or None if it carries no credentials."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ProblemError(401, "use the header Authorization: Bearer <token>")
        known = credentials()
        return auth.verify(token.strip(), known.signing_key, audience=auth.API_AUDIENCE, now=known.clock.now())
    api_key = request.headers.get("X-Api-Key")
    if api_key is not None:
        return _api_key_principal(api_key)
    form_key = _open311_form_key()
    if form_key:
        return _api_key_principal(form_key)
    return None


def _open311_form_key() -> str:
    """GeoReport v2 puts the key in the POSTed form as api_key. Reading it here, before the rate
    limiter, keeps an integration that follows the spec from being throttled as anonymous."""
    if request.method != "POST" or not request.path.startswith("/open311/") or request.mimetype not in OPEN311_FORMS:
        return ""
    return (request.form.get("api_key") or "").strip()


def _api_key_principal(api_key: str) -> Principal:
    cache = credentials().api_keys
    digest = hashlib.sha256(api_key.encode()).hexdigest()
    principal = cache.get(digest)
    if principal is None:
        upstreams = current_app.extensions["lianyi.upstreams"]
        principal = principal_from_proto(upstreams.accounts.AuthenticateApiKey(
            accounts_pb.AuthenticateApiKeyRequest(api_key=api_key), **upstreams.call_options(anonymous=True)))
        cache.put(digest, principal)
    return principal


def internal_token(principal: Principal) -> str:
    """The short-lived signed principal forwarded to services in gRPC metadata."""
    known = credentials()
    token = known.internal_tokens.get(principal)
    if token is None:
        token = auth.sign(principal, known.signing_key, audience=auth.INTERNAL_AUDIENCE, now=known.clock.now(),
                          ttl=INTERNAL_TOKEN_TTL)
        known.internal_tokens.put(principal, token)
    return token


def bearer_token(principal: Principal) -> str:
    known = credentials()
    return auth.sign(principal, known.signing_key, audience=auth.API_AUDIENCE, now=known.clock.now(),
                     ttl=known.token_ttl)


def serves(rpc: str, *also: str, excluding: Iterable[str] = ()) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """An endpoint serves the roles its RPC declares in its proto (one declaration, read by the
    service and here): 401 without credentials, 403 for other roles. An RPC open to the public
    still needs credentials here; public views have endpoints of their own (Open311). Scope is
    the service's to check. `rpc` is the RPC's full name, e.g.
    "lianyi.intake.v1.IntakeService.SubmitConcern"; an endpoint that composes several RPCs names
    them all (`also`) and serves the roles every one of them serves; `excluding` names roles the
    RPC serves that this endpoint does not (it would show them what they may not see)."""
    allowed = frozenset.intersection(*(auth.rpc_roles(name) for name in (rpc, *also))) - frozenset(excluding)

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if g.get("auth_error") is not None:
                raise g.auth_error
            principal = g.get("principal")
            if principal is None:
                raise ProblemError(401, "sign in (Authorization: Bearer) or send an API key (X-Api-Key)")
            if PUBLIC not in allowed and principal.role not in allowed:
                raise ProblemError(403, f"a {principal.role} may not do this")
            return view(*args, **kwargs)

        guarded.allowed_roles = allowed  # type: ignore[attr-defined]
        return guarded

    return decorate
