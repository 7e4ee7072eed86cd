"""Identifiers: opaque, time-sortable strings (UUIDv7)."""
from __future__ import annotations

import uuid6


def new_id() -> str:
    """A fresh UUIDv7 as text; ids sort by creation time, which keeps indexes compact."""
    return str(uuid6.uuid7())
