"""Who is calling: the principal, its role and scope, the signed token that carries it, and who
may call each RPC.

The gateway authenticates people and integrations and forwards the principal to services as a
short-lived signed token in gRPC metadata; every service verifies it and decides for itself
(defence in depth). Scope is a path in the directory: a principal may see what lies below it.
Roles are opaque names here; services/contract.py says which exist, and each RPC's proto
declares which may call it (option lianyi.access.v1.access).
"""
from __future__ import annotations

import contextvars
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import jwt
import jwt.types
from google.protobuf import descriptor_pool

from lianyi.access.v1 import access_pb2
from servicekit.errors import PermissionDenied, Unauthenticated

PRINCIPAL_HEADER = "x-lianyi-principal"
INTERNAL_AUDIENCE = "lianyi-internal"
API_AUDIENCE = "lianyi-api"
_ALGORITHM = "HS256"


@dataclass(frozen=True)
class Principal:
    subject: str  # account id, or api key id
    role: str
    # The directory path of the subtree this principal belongs to, county first.
    scope: tuple[str, ...]
    # The person's own entity (a member, a resident's household), where there is one.
    entity_id: str = ""
    name: str = field(default="", compare=False)

    def covers(self, scope_path: Iterable[str]) -> bool:
        """True if the thing at `scope_path` (its ancestors and itself) lies within our scope."""
        path = tuple(scope_path)
        return bool(self.scope) and path[: len(self.scope)] == self.scope


def sign(principal: Principal, key: str, *, audience: str, now: datetime, ttl: timedelta) -> str:
    """A signed, expiring token for `principal`."""
    claims = {
        "sub": principal.subject, "role": principal.role, "scope": list(principal.scope),
        "ent": principal.entity_id, "name": principal.name, "aud": audience,
        "iat": int(now.timestamp()), "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, key, algorithm=_ALGORITHM)


def verify(token: str, key: str, *, audience: str, now: datetime) -> Principal:
    """The principal in a token, or Unauthenticated if it is forged, expired or malformed."""
    return verify_with_expiry(token, key, audience=audience, now=now)[0]


# Tokens are signed by one process and checked by another, whose clocks may differ a little.
_ISSUED_LEEWAY_S = 30


def verify_with_expiry(token: str, key: str, *, audience: str, now: datetime) -> tuple[Principal, float]:
    """The principal in a token and when the token expires (POSIX seconds). Time is `now` (the
    injectable clock's), not the library's own reading of the wall clock."""
    options: jwt.types.Options = {"require": ["sub", "role", "scope", "exp", "aud", "iat"], "verify_exp": False,
                                  "verify_iat": False, "verify_nbf": False}
    try:
        claims = jwt.decode(token, key, algorithms=[_ALGORITHM], audience=audience, options=options)
    except jwt.PyJWTError:
        raise Unauthenticated("the token is not valid") from None
    if not all(isinstance(claims[name], int) for name in ("exp", "iat")) or \
            claims["iat"] > now.timestamp() + _ISSUED_LEEWAY_S:
        raise Unauthenticated("the token is not valid")
    if claims["exp"] <= now.timestamp():
        raise Unauthenticated("the token has expired; sign in again")
    if not isinstance(claims["role"], str) or not isinstance(claims["scope"], list):
        raise Unauthenticated("the token is not valid")
    principal = Principal(subject=claims["sub"], role=claims["role"], scope=tuple(claims["scope"]),
                          entity_id=claims.get("ent", ""), name=claims.get("name", ""))
    return principal, float(claims["exp"])


# The principal of the call being served (set by the gRPC interceptor).
current: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("principal", default=None)

PUBLIC = "public"


def rpc_roles(method: str) -> frozenset[str]:
    """Who may call an RPC, as its proto declares: `method` is its full name, e.g.
    "lianyi.intake.v1.IntakeService.SubmitConcern" (its generated module must be imported).
    An RPC that declares nobody raises TypeError: refused by default is not enough, say so."""
    try:
        descriptor = descriptor_pool.Default().FindMethodByName(method)
    except KeyError:
        raise TypeError(f"no RPC {method}; is its generated module imported?") from None
    # The generated stub types the extension as a plain field descriptor; it is the option's.
    declared: access_pb2.Access = descriptor.GetOptions().Extensions[access_pb2.access]  # type: ignore[index]
    roles = frozenset(declared.roles)
    if not roles:
        raise TypeError(f"{method} does not declare who may call it (option lianyi.access.v1.access)")
    return roles


def caller() -> Principal:
    """The authenticated principal of the current call (raises if there is none)."""
    principal = current.get()
    if principal is None:
        raise Unauthenticated("this call needs a signed-in caller")
    return principal


def in_scope(scope_path: Iterable[str]) -> bool:
    """True if the current caller may see what is at `scope_path`. Only the gRPC boundary sets a
    caller, and every lianyi RPC but signing in requires one; code called in-process without a
    caller (set-up, tests) is trusted."""
    principal = current.get()
    return principal is None or principal.covers(scope_path)


def check_role(allowed: frozenset[str], principal: Principal | None) -> None:
    if PUBLIC in allowed:
        return
    if principal is None:
        raise Unauthenticated("this call needs a signed-in caller")
    if principal.role not in allowed:
        raise PermissionDenied(f"a {principal.role} may not do this")
