"""County settings in a service's own database (its tables: servicekit.settings_schema): reads
through a cache, and changes made in a unit of work with their audit entry and their
SettingChanged event.

Every replica of a service reads through its own cache. The replica that makes a change drops
its cache when the change commits; the others drop theirs when the change arrives on
lianyi.settings.v1 (servicekit.settings_listener), so a change applies everywhere within
about a second (the listener's fetch wait). The cache's long time-to-live is only the safety net for when the broker is down.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from servicekit import auth
from servicekit.audit import AuditLog
from servicekit.caching import TtlCache
from servicekit.clock import Clock
from servicekit.county_settings import (
    EVERYWHERE,
    KEY_MAX_CHARS,
    Case,
    Definition,
    SettingChanged,
    StoredValue,
    outgoing,
    resolve,
)
from servicekit.errors import InvalidArgument, NotFound
from servicekit.events import Origin, Place
from servicekit.ids import new_id
from servicekit.settings_access import (
    SCOPE_ID_MAX_CHARS,
    SETTINGS,
    Directory,
    Whereabouts,
    Wording,
    Writers,
    check_writer,
    place_path,
    sees,
)
from servicekit.settings_schema import UPDATED_BY_MAX_CHARS, county_setting_versions, county_settings
from servicekit.unit_of_work import UnitOfWork, UnitsOfWork

log = logging.getLogger(__name__)

# How long a replica may go on with a cached value when no change reaches it (the broker down).
SAFETY_TTL = timedelta(minutes=5)

@dataclass(frozen=True)
class SettingAt:
    """A setting as it stands at one place: the values set there and above (widest first) and,
    for a setting without a qualifier, the one that decides there (None: the default)."""

    definition: Definition[Any]
    values: tuple[StoredValue[Any], ...]
    deciding: StoredValue[Any] | None

    @property
    def effective(self) -> Any:
        return self.definition.applying(self.deciding)


class CountySettings:
    """One service's county settings: the definitions it declares (keys starting with its
    name), their values in its database, and changes made through its units of work."""

    def __init__(self, service: str, definitions: Iterable[Definition[Any]], units: UnitsOfWork, clock: Clock,
                 audit: AuditLog, directory: Directory, writers: Writers, ttl: timedelta = SAFETY_TTL):
        self.service, self.units, self.clock, self.audit = service, units, clock, audit
        self.directory, self.writers = directory, writers
        self.definitions = {definition.key: definition for definition in definitions}
        foreign = [key for key, definition in self.definitions.items() if definition.owner != service]
        if foreign:
            raise ValueError(f"{service} declares settings named for another service: {', '.join(foreign)}")
        if outgoing not in units.translators:
            raise TypeError(f"{service}'s units of work must publish settings: add county_settings.outgoing to them")
        self._cache: TtlCache[tuple[str, tuple[str, ...]], tuple[StoredValue[Any], ...]] = TtlCache(clock, ttl)
        # Bumped by every forget. A load may put what it read only if no forget came after its
        # transaction began: a transaction older than a change may read from before it (SQLite
        # reads from a snapshot taken at its first statement). Each transaction notes the
        # generation it began in.
        self._generation = 0
        self._lock = threading.Lock()
        self._began_in = ("lianyi.county_settings.generation", id(self))
        sa.event.listen(units.db.engine, "begin", self._note_generation)

    def owns(self, key: str) -> bool:
        """Is `key` one of this service's settings (by its name, declared or not)?"""
        return key.split(".", 1)[0] == self.service

    def definition(self, key: str) -> Definition[Any]:
        found = self.definitions.get(key)
        if found is None:
            raise NotFound(f"no setting {key[:KEY_MAX_CHARS]!r} in {self.service}")
        return found

    # -- reading, for the service's own rules ---------------------------------------------------

    def values(self, conn: sa.Connection, key: str, path: tuple[str, ...]) -> tuple[StoredValue[Any], ...]:
        """Every value of `key` set everywhere or at a place on `path` (county first), widest
        first, read on `conn` through the cache."""
        found = self._cache.get((key, path))
        if found is not None:
            return found
        generation = conn.info.get(self._began_in)
        if generation is None:  # a transaction this engine did not begin: its reads are as of now
            with self._lock:
                generation = self._generation
        found = self._load(conn, self.definition(key), path)
        with self._lock:
            if generation == self._generation:
                self._cache.put((key, path), found)
        return found

    def deciding(self, conn: sa.Connection, key: str, path: tuple[str, ...],
                 case: Case | None = None) -> StoredValue[Any] | None:
        """The value that decides at the place with `path` (for `case`), or None: the default."""
        return resolve(self.definition(key), self.values(conn, key, path), path, case)

    def value(self, conn: sa.Connection, key: str, path: tuple[str, ...], case: Case | None = None) -> Any:
        """What applies at the place with `path`: the deciding value, or the default."""
        return self.definition(key).applying(self.deciding(conn, key, path, case))

    def _note_generation(self, conn: sa.Connection) -> None:
        conn.info[self._began_in] = self._generation

    def forget(self) -> None:
        """Drop every cached value: a change committed here, or was announced by another replica."""
        with self._lock:
            self._generation += 1
            self._cache.clear()

    # -- the administrators' view ---------------------------------------------------------------

    def at(self, scope_id: str, key: str = "") -> list[SettingAt]:
        """This service's settings (or the one named) as they stand at a place the caller may
        see; NotFound for a place outside their scope."""
        definitions = [self.definition(key)] if key else list(self.definitions.values())
        if not definitions:
            return []
        with self.units.db.read() as conn:
            path = place_path(auth.current.get(), scope_id, self._locate(conn, scope_id))
            shown = []
            for definition in definitions:
                values = self.values(conn, definition.key, path)
                deciding = resolve(definition, values, path) if definition.qualifier is None else None
                shown.append(SettingAt(definition, values, deciding))
        return shown

    # -- changes --------------------------------------------------------------------------------

    def set(self, key: str, scope_id: str, qualifier: str, value: object,
            wording: Wording = SETTINGS) -> StoredValue[Any]:
        """Set a value at a place (replacing the one set there before for the same qualifier),
        committed with its audit entry and SettingChanged."""
        definition = self.definition(key)
        qualifier = definition.qualifier_of(qualifier)
        parsed = definition.parse(value)
        with self.units.start() as uow:
            return self._set(uow, definition, scope_id, qualifier, parsed, wording)

    def set_json(self, key: str, scope_id: str, qualifier: str, value_json: str) -> StoredValue[Any]:
        """`set` with the value given as JSON text."""
        return self.set(key, scope_id, qualifier, self.definition(key).parse_json(value_json))

    def clear(self, key: str, scope_id: str, qualifier: str, wording: Wording = SETTINGS) -> StoredValue[Any]:
        """Remove the value set at a place for a qualifier, so the next place up (or the default)
        applies again; returns what was removed."""
        definition = self.definition(key)
        qualifier = definition.qualifier_of(qualifier)
        with self.units.start() as uow:
            place = self._locate(uow.conn, scope_id)
            check_writer(auth.current.get(), self.writers, scope_id, place, definition.levels, key, wording)
            removed = self._clear(uow, definition, scope_id, qualifier, place)
            if removed is None:
                raise NotFound(f"no value of {key} set at {scope_id}" + (f" for {qualifier}" if qualifier else ""))
            return removed

    def clear_by_id(self, setting_id: str, key: str, wording: Wording, missing: str) -> StoredValue[Any]:
        """`clear` a value of `key` named by its id; NotFound(`missing`) if there is none the
        caller may see."""
        definition = self.definition(key)
        with self.units.start() as uow:
            row = self._row(uow.conn, setting_id)
            place = self._locate(uow.conn, row.scope_id) if row is not None else None
            if row is None or row.key != key or not sees(auth.current.get(), row.scope_id, place):
                raise NotFound(missing)
            check_writer(auth.current.get(), self.writers, row.scope_id, place, definition.levels, key, wording)
            removed = self._clear(uow, definition, row.scope_id, row.qualifier, place, row.id)
            if removed is None:  # cleared by someone else since we read it
                raise NotFound(missing)
            return removed

    def _set(self, uow: UnitOfWork, definition: Definition[Any], scope_id: str, qualifier: str, value: Any,
             wording: Wording) -> StoredValue[Any]:
        place = self._locate(uow.conn, scope_id)
        check_writer(auth.current.get(), self.writers, scope_id, place, definition.levels, definition.key, wording)
        if definition.check is not None:
            definition.check(uow.conn, qualifier, value)
        version = _next_version(uow.conn, definition.key, scope_id, qualifier)
        table, now, actor, value_json = county_settings, self.clock.now(), _actor(), definition.to_json(value)
        row = {"value": value_json, "version": version, "updated_at": now, "updated_by": actor}
        # Under the version's lock the value set before (if any) is the one we replace; no other
        # change to this place and qualifier can insert or remove it until we commit.
        setting_id = uow.conn.execute(table.update().where(*_at(definition.key, scope_id, qualifier))
                                      .values(**row).returning(table.c.id)).scalar_one_or_none()
        if setting_id is None:
            setting_id = new_id()
            uow.conn.execute(table.insert().values(id=setting_id, key=definition.key, scope_id=scope_id,
                                                   qualifier=qualifier, **row))
        self._announce(uow, SettingChanged(definition.key, scope_id, qualifier, value_json, version), place)
        self.audit.record(uow.tx, "setting.set", "setting", setting_id,
                          f"{_where(definition.key, scope_id, qualifier)} = {value_json}")
        return StoredValue(setting_id=setting_id, key=definition.key, scope_id=scope_id, qualifier=qualifier,
                           value=value, value_json=value_json, version=version, updated_at=now,
                           updated_by=actor)

    def _clear(self, uow: UnitOfWork, definition: Definition[Any], scope_id: str, qualifier: str,
               place: Whereabouts | None, setting_id: str = "") -> StoredValue[Any] | None:
        """Remove the value set at a place for a qualifier (only if it is `setting_id`, given
        one); None if there is none to remove."""
        version = _next_version(uow.conn, definition.key, scope_id, qualifier)
        table = county_settings
        which = (table.c.id == setting_id,) if setting_id else ()
        row = uow.conn.execute(table.delete().where(*_at(definition.key, scope_id, qualifier), *which)
                               .returning(*table.c)).first()
        if row is None:
            return None
        self._announce(uow, SettingChanged(row.key, row.scope_id, row.qualifier, "", version, cleared=True), place)
        self.audit.record(uow.tx, "setting.cleared", "setting", row.id, _where(row.key, row.scope_id, row.qualifier))
        try:
            return self._stored(definition, row)
        except InvalidArgument:  # a value from before the definition tightened: removed all the same
            return StoredValue(row.id, row.key, row.scope_id, row.qualifier, None, row.value, row.version,
                               row.updated_at, row.updated_by)

    def _announce(self, uow: UnitOfWork, event: SettingChanged, place: Whereabouts | None) -> None:
        uow.record(event, Origin(_place(place)), self.clock.now())
        uow.after_commit(self.forget)

    # -- rows -----------------------------------------------------------------------------------

    def _locate(self, conn: sa.Connection, scope_id: str) -> Whereabouts | None:
        if scope_id == EVERYWHERE or not 0 < len(scope_id) <= SCOPE_ID_MAX_CHARS:
            return None
        return self.directory.locate(conn, scope_id)

    @staticmethod
    def _row(conn: sa.Connection, setting_id: str) -> sa.Row[Any] | None:
        # No id is longer, and none has a NUL (which PostgreSQL refuses in text).
        if not 0 < len(setting_id) <= 36 or "\x00" in setting_id:
            return None
        return conn.execute(sa.select(county_settings).where(county_settings.c.id == setting_id)).first()

    def _load(self, conn: sa.Connection, definition: Definition[Any],
              path: tuple[str, ...]) -> tuple[StoredValue[Any], ...]:
        depth = {scope_id: index for index, scope_id in enumerate((EVERYWHERE, *path))}
        rows = conn.execute(sa.select(county_settings).where(
            county_settings.c.key == definition.key, county_settings.c.scope_id.in_(list(depth)))).all()
        found = []
        for row in sorted(rows, key=lambda row: (depth[row.scope_id], row.qualifier)):
            try:
                found.append(self._stored(definition, row))
            except InvalidArgument as exc:
                # Kept from before the definition tightened: the next place up (or the default)
                # applies until an administrator sets it again.
                log.warning("ignoring %s at %s (%s): %s", definition.key, row.scope_id, row.id, exc.detail)
        return tuple(found)

    @staticmethod
    def _stored(definition: Definition[Any], row: sa.Row[Any]) -> StoredValue[Any]:
        return StoredValue(setting_id=row.id, key=row.key, scope_id=row.scope_id, qualifier=row.qualifier,
                           value=definition.parse_json(row.value), value_json=row.value, version=row.version,
                           updated_at=row.updated_at, updated_by=row.updated_by)


def _next_version(conn: sa.Connection, key: str, scope_id: str, qualifier: str) -> int:
    """The version of a change to a place and qualifier of a setting, one above the last however
    long ago that was (a clear included); the version's row stays locked until the transaction
    ends (PostgreSQL; SQLite has one writer at a time anyway), so a second change there waits for
    this one and then reads what it did."""
    table = county_setting_versions
    insert = postgresql.insert(table) if conn.dialect.name == "postgresql" else sqlite.insert(table)
    bumped = insert.values(key=key, scope_id=scope_id, qualifier=qualifier, version=1).on_conflict_do_update(
        index_elements=list(table.primary_key.columns), set_={"version": table.c.version + 1})
    return int(conn.execute(bumped.returning(table.c.version)).scalar_one())


def _at(key: str, scope_id: str, qualifier: str) -> tuple[sa.ColumnElement[bool], ...]:
    table = county_settings
    return table.c.key == key, table.c.scope_id == scope_id, table.c.qualifier == qualifier


def _actor() -> str:
    principal = auth.current.get()
    return (principal.subject if principal else "system")[:UPDATED_BY_MAX_CHARS]


def _where(key: str, scope_id: str, qualifier: str) -> str:
    return f"{key} at {scope_id}" + (f" for {qualifier}" if qualifier else "")


def _place(place: Whereabouts | None) -> Place:
    """The event's place: the places on the path by depth (nothing for the whole deployment)."""
    path = place.path if place is not None else ()
    county, township, community, neighbourhood = (*path, "", "", "", "")[:4]
    return Place(neighbourhood, community, township, county)
