"""Who calls the gateway in these tests: people with bearer tokens signed with the app's key, and
integrations with API keys the fake upstream knows."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from servicekit import auth
from servicekit.auth import Principal
from tests.gateway.canned import COUNTY, N1_PATH

SIGNING_KEY = "gateway-tests-signing-key-0123456789abcdef"
PLATFORM_KEY = "lk_0000000000000000000000000000platform.secret"
PLATFORM = Principal(subject="key-platform", role="integration", scope=(COUNTY,), name="county platform")


def token(role: str, scope: tuple[str, ...] = N1_PATH, *, entity_id: str = "", key: str = SIGNING_KEY,
          audience: str = auth.API_AUDIENCE, now: datetime | None = None, ttl: timedelta = timedelta(minutes=5)) -> str:
    """A token as the gateway's sign-in would issue it, for a `role` scoped to `scope`."""
    principal = Principal(subject=f"account-{role}", role=role, scope=scope, entity_id=entity_id, name=role)
    return auth.sign(principal, key, audience=audience, now=now or datetime.now(UTC), ttl=ttl)


def bearer(role: str, scope: tuple[str, ...] = N1_PATH, **claims) -> dict[str, str]:
    """Request headers of someone signed in as `role`."""
    return {"Authorization": f"Bearer {token(role, scope, **claims)}"}
