"""A service's own copy of the directory, kept from the compacted topic lianyi.directory.v1.

Tansu accepts but does not compact, and a redelivered or replayed change may arrive after a
newer one: changes are applied last-write-wins by the entity's version.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import sqlalchemy as sa
from alembic.operations import Operations
from google.protobuf import json_format
from google.protobuf.message import Message

from lianyi.directory.v1 import directory_service_pb2
from lianyi.directory.v1 import directory_service_pb2_grpc as pb_grpc
from lianyi.directory.v1.entity_pb2 import Entity
from lianyi.directory.v1.events_pb2 import EntityChanged
from servicekit import auth, place_paths, topics
from servicekit.consumer import Subscription
from servicekit.database import Database, UtcDateTime, insert_or_ignore
from servicekit.errors import NotFound
from servicekit.events import Inbound, Place
from servicekit.grpc_server import Registration
from servicekit.ids import looks_like_id
from servicekit.settings_access import PLACE_LEVELS, Whereabouts
from servicekit.unit_of_work import UnitOfWork


def _define_v1(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "directory_replica",
        metadata,
        sa.Column("entity_id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("parent_id", sa.String(36), nullable=True),
        sa.Column("scope_path", sa.String(400), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("attributes", sa.Text, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )


metadata = sa.MetaData()
directory_replica = _define_v1(metadata)
# v2: what lies below a place, of one kind (a neighbourhood's households, its members), read from
# the index alone: the tally of a neighbourhood's vote counts its households on every read.
KIND_PATH_INDEX = "ix_directory_replica_kind_scope_path"
# On PostgreSQL the paths are indexed in the C collation, the one place_paths.below compares them in: an index
# in the database's own collation would not serve that range.
_BYTEWISE = {"scope_path": 'COLLATE "C"'}
sa.Index(KIND_PATH_INDEX, directory_replica.c.kind, directory_replica.c.scope_path, postgresql_ops=_BYTEWISE)
_KNOWN = (directory_replica.c.entity_id, directory_replica.c.kind, directory_replica.c.name,
          directory_replica.c.attributes, directory_replica.c.scope_path)


def create_v1(op: Operations) -> None:
    """Create the replica table from a service's Alembic migration."""
    _define_v1(sa.MetaData()).create(op.get_bind())


@dataclass(frozen=True)
class Known:
    """An entity as a service's replica knows it, for its rules (a member's kind, a name)."""

    entity_id: str
    kind: str
    name: str
    attributes: dict[str, Any]
    scope_path: tuple[str, ...]


def _known(row: sa.Row[Any, Any, Any, Any, Any]) -> Known:
    return Known(row.entity_id, row.kind, row.name, json.loads(row.attributes),
                 tuple(part for part in row.scope_path.split("/") if part))


def _below(conn: sa.Connection, path: tuple[str, ...]) -> sa.ColumnElement[bool]:
    return place_paths.below(conn, directory_replica.c.scope_path, path)


def upgrade_to_v2(op: Operations) -> None:
    """Add v2's index (from a service's Alembic migration)."""
    op.create_index(KIND_PATH_INDEX, "directory_replica", ["kind", "scope_path"], postgresql_ops=_BYTEWISE)


def downgrade_to_v1(op: Operations) -> None:
    op.drop_index(KIND_PATH_INDEX, table_name="directory_replica")


def _changed_row(changed: Message) -> dict[str, Any]:
    assert isinstance(changed, EntityChanged)
    return _row(changed.entity)


def _row(entity: Entity) -> dict[str, Any]:
    return {
        "entity_id": entity.entity_id,
        "kind": entity.kind,
        "external_id": entity.external_id or None,
        "parent_id": entity.parent_id or None,
        "scope_path": place_paths.text((*entity.ancestor_ids, entity.entity_id)),
        "name": entity.name,
        "attributes": json.dumps(json_format.MessageToDict(entity.attributes), ensure_ascii=False, sort_keys=True),
        "version": entity.version,
        "updated_at": entity.updated_at.ToDatetime(tzinfo=UTC),
    }


class DirectoryReplica:
    def __init__(self, db: Database):
        self.db = db

    def apply(self, uow: UnitOfWork, changes: list[Inbound[dict[str, Any]]]) -> None:
        """Keep each changed entity (a row of the replica), oldest change first."""
        table = directory_replica
        for change in changes:
            row = change.event
            if insert_or_ignore(uow.conn, table, **row):
                continue
            # Only a newer version replaces what we have; an older one arriving late is ignored.
            uow.conn.execute(
                table.update()
                .where(table.c.entity_id == row["entity_id"], table.c.version < row["version"])
                .values(**{k: v for k, v in row.items() if k != "entity_id"})
            )

    def scope_path(self, entity_id: str) -> tuple[str, ...] | None:
        """Where an entity sits (its ancestors and itself), or None if this replica lacks it."""
        if not looks_like_id(entity_id):
            return None
        with self.db.read() as conn:
            path = conn.execute(sa.select(directory_replica.c.scope_path)
                                .where(directory_replica.c.entity_id == entity_id)).scalar()
        return tuple(part for part in path.split("/") if part) if path else None

    def locate(self, conn: sa.Connection, entity_id: str) -> Whereabouts | None:
        """An entity's kind and path, read on `conn` (county settings ask where a place is), or
        None if this replica lacks it."""
        if not looks_like_id(entity_id):
            return None
        row = conn.execute(sa.select(directory_replica.c.kind, directory_replica.c.scope_path)
                           .where(directory_replica.c.entity_id == entity_id)).first()
        return Whereabouts(row.kind, tuple(part for part in row.scope_path.split("/") if part)) if row else None

    def place_of(self, conn: sa.Connection, neighbourhood_id: str, said: Place) -> Place | None:
        """Where a neighbourhood is: as an event's envelope said (when it says it whole), else as
        this replica knows it; None if neither can say."""
        if said.neighbourhood_id == neighbourhood_id and all(said.path):
            return said
        found = self.locate(conn, neighbourhood_id)
        if found is None or found.kind != "neighbourhood" or len(found.path) != len(PLACE_LEVELS):
            return None
        county, township, community, neighbourhood = found.path
        return Place(neighbourhood, community, township, county)

    def visible_place(self, conn: sa.Connection, place_id: str) -> tuple[str, ...]:
        """The path of a place (county, township, community or neighbourhood) the caller may see;
        NotFound for any other id, alike whether it exists or not."""
        found = self.locate(conn, place_id) if place_id else None
        if found is None or found.kind not in PLACE_LEVELS or not auth.in_scope(found.path):
            raise NotFound(f"no place {place_id[:64]}")
        return found.path

    def within(self, conn: sa.Connection, ancestor_path: tuple[str, ...], kind: str) -> list[Known]:
        """Every entity of `kind` below the place with this path (a neighbourhood's members)."""
        rows = conn.execute(sa.select(*_KNOWN).where(directory_replica.c.kind == kind,
                                                     _below(conn, ancestor_path))).all()
        return [_known(row) for row in rows]

    def count_within(self, conn: sa.Connection, ancestor_path: tuple[str, ...], kind: str) -> int:
        """How many entities of `kind` are below the place with this path (its households)."""
        return conn.execute(sa.select(sa.func.count()).select_from(directory_replica).where(
            directory_replica.c.kind == kind, _below(conn, ancestor_path))).scalar_one()

    def known(self, conn: sa.Connection, entity_ids: list[str]) -> dict[str, Known]:
        """What this replica knows of these entities (those it lacks are left out)."""
        ids = [entity_id for entity_id in entity_ids if looks_like_id(entity_id)]
        rows = conn.execute(sa.select(*_KNOWN).where(directory_replica.c.entity_id.in_(ids))).all() if ids else []
        return {row.entity_id: _known(row) for row in rows}

    def require_visible(self, entity_id: str, what: str) -> None:
        """For a caller, refuse (as NotFound) an entity this replica lacks or that lies outside
        their scope. Code called in-process without a caller is trusted."""
        if auth.current.get() is None:
            return
        path = self.scope_path(entity_id)
        if path is None or not auth.in_scope(path):
            raise NotFound(f"no {what} {entity_id}")

    def get(self, entity_id: str) -> Entity:
        if not looks_like_id(entity_id):
            raise NotFound(f"no directory entity {entity_id[:64]} in this service's replica")
        with self.db.read() as conn:
            row = conn.execute(sa.select(directory_replica).where(directory_replica.c.entity_id == entity_id)).first()
        if row is None or not auth.in_scope(part for part in row.scope_path.split("/") if part):
            raise NotFound(f"no directory entity {entity_id} in this service's replica")
        scope = [part for part in row.scope_path.split("/") if part]
        entity = Entity(entity_id=row.entity_id, kind=row.kind, external_id=row.external_id or "",
                        parent_id=row.parent_id or "", ancestor_ids=scope[:-1], name=row.name, version=row.version)
        entity.attributes.update(json.loads(row.attributes))
        entity.updated_at.FromDatetime(row.updated_at)
        return entity

    def subscription(self) -> Subscription[dict[str, Any]]:
        return Subscription(topics.DIRECTORY, EntityChanged, _changed_row, self.apply)

    def registration(self) -> Registration:
        return Registration(
            service_name="lianyi.directory.v1.DirectoryReplica",
            servicer=_ReplicaServicer(self),
            add=pb_grpc.add_DirectoryReplicaServicer_to_server,
        )


class _ReplicaServicer(pb_grpc.DirectoryReplicaServicer):
    def __init__(self, replica: DirectoryReplica):
        self.replica = replica

    def GetReplicatedEntity(self, request: directory_service_pb2.GetEntityRequest, context: object) -> Entity:
        return self.replica.get(request.entity_id)
