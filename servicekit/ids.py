"""Identifiers: opaque, time-sortable strings (UUIDv7)."""
from __future__ import annotations

import re

import uuid6

_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def looks_like_id(text: str) -> bool:
    """Is this shaped like an id we issue? Anything else cannot exist, so it is never looked up
    (which also keeps odd text, such as NUL, away from the database)."""
    return bool(_ID.match(text))


def new_id() -> str:
    """A fresh UUIDv7 as text; ids sort by creation time, which keeps indexes compact."""
    return str(uuid6.uuid7())
