"""Signed principals for calling services' gRPC directly, as the gateway would."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from localrun.supervisor import LocalSystem
from servicekit import auth


def signed_as(system: LocalSystem, principal: auth.Principal) -> list[tuple[str, str]]:
    key = system.env()["LIANYI_AUTH_SIGNING_KEY"]
    token = auth.sign(principal, key, audience=auth.INTERNAL_AUDIENCE, now=datetime.now(UTC),
                      ttl=timedelta(minutes=5))
    return [(auth.PRINCIPAL_HEADER, token)]


def county_admin(system: LocalSystem) -> list[tuple[str, str]]:
    """gRPC metadata of the demo county's administrator."""
    account = next(a for a in json.loads(system.credentials.read_text())["accounts"] if a["role"] == "county_admin")
    return signed_as(system, auth.Principal(subject="e2e", role="county_admin", scope=(account["scope_id"],)))
