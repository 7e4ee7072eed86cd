"""Where things are: directory places and the county's categories, read on every submission and
cached for a moment, since an administrator's edit is rare. Every part of intake reads them here,
and so do intake's county settings (where a place is, for who may set what there)."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from servicekit.caching import TtlCache
from servicekit.clock import Clock
from servicekit.settings_access import Whereabouts
from services.intake import storage
from services.intake.directory import storage as directory
from services.intake.directory.domain import Entity

# A change is seen within this long (a place created in this process at once: it is not cached yet).
CACHE_TTL = timedelta(seconds=30)


class Places:
    def __init__(self, clock: Clock):
        self._entities: TtlCache[str, Entity] = TtlCache(clock, CACHE_TTL)
        self._categories: TtlCache[str, frozenset[str]] = TtlCache(clock, CACHE_TTL)

    def entity(self, conn: sa.Connection, entity_id: str) -> Entity | None:
        """A directory entity (a neighbourhood, building, household ...), or None."""
        if not entity_id:
            return None
        return self._entities.get_or_load(entity_id, lambda: directory.get(conn, entity_id))

    def locate(self, conn: sa.Connection, place_id: str) -> Whereabouts | None:
        """Where a place is: its kind and path (servicekit.settings_access.Directory)."""
        place = self.entity(conn, place_id)
        return Whereabouts(place.kind, place.scope_path) if place is not None else None

    def open_categories(self, conn: sa.Connection) -> frozenset[str]:
        return self._categories.get_or_load("open", lambda: storage.open_categories(conn)) or frozenset()
