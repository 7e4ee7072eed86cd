"""The directory's table and queries."""
from __future__ import annotations

import json

import sqlalchemy as sa

from servicekit.database import UtcDateTime
from servicekit.ids import looks_like_id
from services.intake.directory.domain import Entity
from services.intake.storage import metadata

directory_entities = sa.Table(
    "directory_entities",
    metadata,
    sa.Column("entity_id", sa.String(36), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("external_id", sa.String(100), nullable=True),
    sa.Column("parent_id", sa.String(36), nullable=True, index=True),
    # "/county/township/.../self/": a subtree is a prefix, which scope checks and lists use.
    sa.Column("scope_path", sa.String(400), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("attributes", sa.Text, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("kind", "external_id", name="uq_directory_entities_kind_external_id"),
    # What of one kind lies below a place (its households, its neighbourhoods), from the index
    # alone; on PostgreSQL in the C collation servicekit.place_paths.below compares paths in.
    sa.Index("ix_directory_entities_kind_path", "kind", "scope_path", postgresql_ops={"scope_path": 'COLLATE "C"'}),
)


def path_of(scope: tuple[str, ...]) -> str:
    return "/" + "".join(f"{part}/" for part in scope)


def _entity(row) -> Entity:
    scope = tuple(part for part in row.scope_path.split("/") if part)
    return Entity(
        entity_id=row.entity_id, kind=row.kind, external_id=row.external_id, parent_id=row.parent_id,
        ancestor_ids=scope[:-1], name=row.name, attributes=json.loads(row.attributes),
        version=row.version, updated_at=row.updated_at,
    )


def _values(entity: Entity) -> dict:
    return {
        "kind": entity.kind, "external_id": entity.external_id, "parent_id": entity.parent_id,
        "scope_path": path_of(entity.scope_path), "name": entity.name,
        "attributes": json.dumps(entity.attributes, ensure_ascii=False, sort_keys=True),
        "version": entity.version, "updated_at": entity.updated_at,
    }


def get(conn: sa.Connection, entity_id: str) -> Entity | None:
    if not looks_like_id(entity_id):
        return None
    row = conn.execute(sa.select(directory_entities).where(directory_entities.c.entity_id == entity_id)).first()
    return _entity(row) if row else None


def by_external_id(conn: sa.Connection, kind: str, external_id: str) -> Entity | None:
    row = conn.execute(sa.select(directory_entities).where(
        directory_entities.c.kind == kind, directory_entities.c.external_id == external_id)).first()
    return _entity(row) if row else None


def add(conn: sa.Connection, entity: Entity) -> None:
    conn.execute(directory_entities.insert(), {"entity_id": entity.entity_id, **_values(entity)})


def replace(conn: sa.Connection, entity: Entity) -> None:
    conn.execute(
        directory_entities.update().where(directory_entities.c.entity_id == entity.entity_id),
        _values(entity),
    )


def page(conn: sa.Connection, *, kind: str, within: Entity | None, after_id: str, limit: int) -> list[Entity]:
    query = sa.select(directory_entities).where(directory_entities.c.entity_id > after_id)
    if kind:
        query = query.where(directory_entities.c.kind == kind)
    if within is not None:
        prefix = path_of(within.scope_path)
        query = query.where(directory_entities.c.scope_path.startswith(prefix, autoescape=True),
                            directory_entities.c.entity_id != within.entity_id)
    rows = conn.execute(query.order_by(directory_entities.c.entity_id).limit(limit)).all()
    return [_entity(row) for row in rows]
