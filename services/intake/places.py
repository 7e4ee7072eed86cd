"""Where things are: directory places and the county's categories, read on every submission and
cached for a moment, since an administrator's edit is rare. Every part of intake reads them here."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from servicekit.caching import TtlCache
from servicekit.clock import Clock
from services.intake import storage
from services.intake.directory import storage as directory
from services.intake.directory.domain import Entity
from services.intake.triage import domain as triage_rules
from services.intake.triage import storage as routing_table

# A change made elsewhere is seen within this long; one made in this process at once.
CACHE_TTL = timedelta(seconds=30)


class Places:
    def __init__(self, clock: Clock):
        self._entities: TtlCache[str, Entity] = TtlCache(clock, CACHE_TTL)
        self._categories: TtlCache[str, frozenset[str]] = TtlCache(clock, CACHE_TTL)
        self._rules: TtlCache[tuple[str, ...], list[triage_rules.Rule]] = TtlCache(clock, CACHE_TTL)

    def entity(self, conn: sa.Connection, entity_id: str) -> Entity | None:
        """A directory entity (a neighbourhood, building, household ...), or None."""
        if not entity_id:
            return None
        return self._entities.get_or_load(entity_id, lambda: directory.get(conn, entity_id))

    def open_categories(self, conn: sa.Connection) -> frozenset[str]:
        return self._categories.get_or_load("open", lambda: storage.open_categories(conn)) or frozenset()

    def routing_table(self, conn: sa.Connection, place_path: tuple[str, ...]) -> list[triage_rules.Rule]:
        """The triage rules that may apply at a place: set there, above it, or everywhere."""
        found = self._rules.get_or_load(place_path, lambda: routing_table.rules_at(
            conn, [triage_rules.EVERYWHERE, *place_path]))
        return found if found is not None else []

    def forget_rules(self) -> None:
        """A rule changed here: the cached routing tables (kept by place) are all suspect."""
        self._rules.clear()
