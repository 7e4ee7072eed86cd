"""Who is calling: the principal, its role and scope, and the signed token that carries it.

The gateway authenticates people and integrations and forwards the principal to services as a
short-lived signed token in gRPC metadata; every service verifies it and decides for itself
(defence in depth). Scope is a path in the directory: a principal may see what lies below it.
"""
from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import jwt

from servicekit.errors import NotFound, PermissionDenied, Unauthenticated

ROLES = (
    "resident", "member", "building_leader", "party_secretary", "owners_committee", "property_company",
    "community_admin", "township_admin", "department", "county_admin", "integration",
)
# Role groups that many calls share; each RPC still names its own list.
NEIGHBOURHOOD_STAFF = ("member", "building_leader", "party_secretary")
PARTNERS = ("owners_committee", "property_company")
ADMINS = ("community_admin", "township_admin", "county_admin")

# Roles whose work needs residents' contact details (handling their matters); everyone else
# sees them masked. A resident only ever sees their own household's.
CONTACT_ROLES = frozenset(("resident", *NEIGHBOURHOOD_STAFF, *ADMINS, "integration"))

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


def verify(token: str, key: str, *, audience: str, now: datetime | None = None) -> Principal:
    """The principal in a token, or Unauthenticated if it is forged, expired or malformed."""
    return verify_with_expiry(token, key, audience=audience, now=now)[0]


def verify_with_expiry(token: str, key: str, *, audience: str, now: datetime | None = None
                       ) -> tuple[Principal, float]:
    """The principal in a token and when the token expires (POSIX seconds)."""
    options = {"require": ["sub", "role", "scope", "exp", "aud"]}
    try:
        claims = jwt.decode(token, key, algorithms=[_ALGORITHM], audience=audience, options=options,
                            leeway=0)
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the token has expired; sign in again") from None
    except jwt.PyJWTError:
        raise Unauthenticated("the token is not valid") from None
    if now is not None and claims["exp"] <= now.timestamp():
        raise Unauthenticated("the token has expired; sign in again")
    if claims["role"] not in ROLES or not isinstance(claims["scope"], list):
        raise Unauthenticated("the token is not valid")
    principal = Principal(subject=claims["sub"], role=claims["role"], scope=tuple(claims["scope"]),
                          entity_id=claims.get("ent", ""), name=claims.get("name", ""))
    return principal, float(claims["exp"])


# The principal of the call being served (set by the gRPC interceptor).
current: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("principal", default=None)

PUBLIC = "public"


def allow(*roles: str) -> Callable:
    """Declare who may call an RPC method: `@allow("party_secretary", "county_admin")`, or
    `@allow(PUBLIC)` for calls made before anyone is authenticated (signing in)."""
    unknown = set(roles) - set(ROLES) - {PUBLIC}
    if unknown or not roles:
        raise ValueError(f"unknown roles {sorted(unknown)}" if unknown else "name at least one role")

    def mark(method: Callable) -> Callable:
        method.allowed_roles = frozenset(roles)
        return method

    return mark


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


def require_in_scope(scope_path: Iterable[str], what: str) -> None:
    """Refuse, as NotFound, anything outside the caller's scope: its existence stays hidden."""
    if not in_scope(scope_path):
        raise NotFound(f"no {what}")


def sees_contacts() -> bool:
    """May the current caller see contact details unmasked? (In-process code without a caller may.)"""
    principal = current.get()
    return principal is None or principal.role in CONTACT_ROLES


def check_role(allowed: frozenset[str], principal: Principal | None) -> None:
    if PUBLIC in allowed:
        return
    if principal is None:
        raise Unauthenticated("this call needs a signed-in caller")
    if principal.role not in allowed:
        raise PermissionDenied(f"a {principal.role} may not do this")
