"""Directory commands: every change is written with its EntityChanged event in one transaction,
published on the compacted directory topic keyed by entity id."""
from __future__ import annotations

from dataclasses import dataclass, replace

import sqlalchemy as sa

from servicekit import auth, logs, paging
from servicekit.audit import AuditLog
from servicekit.clock import Clock
from servicekit.errors import Conflict, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from servicekit.ids import new_id
from servicekit.unit_of_work import UnitOfWork, UnitsOfWork
from services.intake import events
from services.intake.directory import domain, storage
from services.intake.directory.domain import Entity, EntityChanged


@dataclass(frozen=True)
class ImportRow:
    kind: str
    external_id: str
    parent_external_id: str
    name: str
    attributes: dict


@dataclass(frozen=True)
class ImportOutcome:
    row: int
    outcome: str  # created, updated, unchanged, rejected
    entity_id: str = ""
    reason: str = ""


# Kinds that are people: their names are personal data and stay out of audit summaries.
_PEOPLE = ("resident", "member", "volunteer")


class Directory:
    def __init__(self, units: UnitsOfWork, clock: Clock, audit: AuditLog | None = None):
        self.units, self.db, self.clock = units, units.db, clock
        self.audit = audit or AuditLog(units.db, clock)

    # -- commands ---------------------------------------------------------------------------

    def create(self, *, kind: str, name: str, parent_id: str = "", external_id: str = "",
               attributes: dict | None = None) -> Entity:
        with self.units.start() as uow:
            parent = self._parent(uow.conn, parent_id)
            return self._create(uow, kind, name, parent, external_id or None, attributes or {})

    def update(self, entity_id: str, *, name: str | None = None, attributes: dict | None = None,
               expected_version: int = 0) -> Entity:
        with self.units.start() as uow:
            current = self._visible(storage.get(uow.conn, entity_id), entity_id)
            if expected_version and expected_version != current.version:
                raise FailedPrecondition(
                    f"{entity_id} is at version {current.version}, not {expected_version}; reload and retry")
            return self._update(uow, current, name, attributes)

    def import_rows(self, rows: list[ImportRow]) -> list[ImportOutcome]:
        """Upsert rows keyed by (kind, external id) in one transaction; a row that breaks a rule
        is rejected with its reason and the others still apply. Parents come before children."""
        outcomes = []
        with self.units.start() as uow:
            for number, row in enumerate(rows, 1):
                try:
                    outcomes.append(self._import_row(uow, number, row))
                except (InvalidArgument, Conflict, NotFound, PermissionDenied) as exc:
                    outcomes.append(ImportOutcome(number, "rejected", reason=exc.detail))
        return outcomes

    # -- queries ----------------------------------------------------------------------------

    def get(self, entity_id: str) -> Entity:
        with self.db.read() as conn:
            return self._visible(storage.get(conn, entity_id), entity_id)

    def list(self, *, kind: str = "", within_id: str = "", page_size: int = 0, page_token: str = ""
             ) -> tuple[list[Entity], str]:
        if kind:
            domain.check_kind(kind)
        limit, after = paging.page_size(page_size), paging.decode_key_token(page_token)
        principal = auth.current.get()
        if not within_id and principal is not None:
            within_id = principal.scope[-1]  # a caller lists within their own subtree
        with self.db.read() as conn:
            within = self._visible(storage.get(conn, within_id), within_id) if within_id else None
            entities = storage.page(conn, kind=kind, within=within, after_id=after, limit=limit + 1)
        return paging.one_page(entities, limit, lambda entity: paging.encode_key_token(entity.entity_id))

    # -- the rules in one place -------------------------------------------------------------

    def _visible(self, entity: Entity | None, entity_id: str) -> Entity:
        """The entity if it exists within the caller's scope; otherwise NotFound, the same either way."""
        if entity is None or not auth.in_scope(entity.scope_path):
            raise NotFound(f"no directory entity {entity_id}")
        return entity

    def _parent(self, conn: sa.Connection, parent_id: str) -> Entity | None:
        if not parent_id:
            return None
        parent = storage.get(conn, parent_id)
        if parent is None or not auth.in_scope(parent.scope_path):
            raise InvalidArgument(f"parent {parent_id} does not exist")
        return parent

    def _create(self, uow: UnitOfWork, kind: str, name: str, parent: Entity | None,
                external_id: str | None, attributes: dict) -> Entity:
        canonical = domain.check_fields(kind, name, external_id, attributes)
        ancestors = domain.check_parent(kind, parent)
        if parent is None and auth.current.get() is not None:
            raise PermissionDenied("a county is created at set-up, not through the API")
        self._check_references(uow.conn, kind, canonical)
        if external_id and storage.by_external_id(uow.conn, kind, external_id):
            raise Conflict(f"a {kind} with external id {external_id} already exists")
        entity = Entity(entity_id=new_id(), kind=kind, external_id=external_id,
                        parent_id=parent.entity_id if parent else None, ancestor_ids=ancestors,
                        name=name.strip(), attributes=canonical, version=1, updated_at=self.clock.now())
        storage.add(uow.conn, entity)
        self._publish(uow, entity)
        self.audit.record(uow.tx, "directory.entity_created", kind, entity.entity_id,
                          kind if kind in _PEOPLE else f"{kind} {entity.name}")
        return entity

    def _update(self, uow: UnitOfWork, current: Entity, name: str | None, attributes: dict | None) -> Entity:
        new_name = current.name if name is None else name.strip()
        new_attributes = current.attributes if attributes is None else attributes
        canonical = domain.check_fields(current.kind, new_name, current.external_id, new_attributes)
        self._check_references(uow.conn, current.kind, canonical)
        if (new_name, canonical) == (current.name, current.attributes):
            return current  # nothing changed: no new version, no event
        entity = replace(current, name=new_name, attributes=canonical, version=current.version + 1,
                         updated_at=self.clock.now())
        storage.replace(uow.conn, entity)
        self._publish(uow, entity)
        self.audit.record(uow.tx, "directory.entity_updated", entity.kind, entity.entity_id,
                          f"version {entity.version}")
        return entity

    def _import_row(self, uow: UnitOfWork, number: int, row: ImportRow) -> ImportOutcome:
        domain.check_kind(row.kind)
        if not row.external_id:
            raise InvalidArgument("an imported row needs an external_id")
        parent_kind = domain.PARENT_KIND[row.kind]
        parent = None
        if parent_kind:
            if not row.parent_external_id:
                raise InvalidArgument(f"a {row.kind} needs parent_external_id (a {parent_kind})")
            parent = storage.by_external_id(uow.conn, parent_kind, row.parent_external_id)
            if parent is None or not auth.in_scope(parent.scope_path):
                raise InvalidArgument(f"no {parent_kind} with external id {row.parent_external_id}")
        attributes = self._resolve_external_references(uow.conn, row.kind, row.attributes)
        existing = storage.by_external_id(uow.conn, row.kind, row.external_id)
        if existing is not None and not auth.in_scope(existing.scope_path):
            raise InvalidArgument(f"external_id {row.external_id} cannot be used")
        if existing is None:
            created = self._create(uow, row.kind, row.name, parent, row.external_id, attributes)
            return ImportOutcome(number, "created", created.entity_id)
        if existing.parent_id != (parent.entity_id if parent else None):
            raise InvalidArgument("moving an entity to another parent is not supported by import")
        updated = self._update(uow, existing, row.name, attributes)
        return ImportOutcome(number, "unchanged" if updated is existing else "updated", existing.entity_id)

    def _resolve_external_references(self, conn, kind: str, attributes: dict) -> dict:
        resolved = dict(attributes)
        for field, target_kind in domain.REFERENCES.get(kind, {}).items():
            value = resolved.get(field)
            if value is None:
                continue
            external_ids = value if isinstance(value, list) else [value]
            ids = []
            for external_id in external_ids:
                target = storage.by_external_id(conn, target_kind, str(external_id))
                if target is None or not auth.in_scope(target.scope_path):
                    raise InvalidArgument(f"attributes.{field}: no {target_kind} with external id {external_id}")
                ids.append(target.entity_id)
            resolved[field] = ids if isinstance(value, list) else ids[0]
        return resolved

    def _check_references(self, conn, kind: str, attributes: dict) -> None:
        for field, target_kind in domain.REFERENCES.get(kind, {}).items():
            value = attributes.get(field)
            for entity_id in value if isinstance(value, list) else [value] if value else []:
                target = storage.get(conn, entity_id)
                if target is None or target.kind != target_kind or not auth.in_scope(target.scope_path):
                    raise InvalidArgument(f"attributes.{field}: {entity_id} is not a {target_kind}")

    def _publish(self, uow: UnitOfWork, entity: Entity) -> None:
        uow.record(EntityChanged(entity), events.origin(entity, logs.correlation_id.get()),
                   entity.updated_at or self.clock.now())
