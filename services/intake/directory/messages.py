"""Translation between directory entities and their protobuf messages."""
from __future__ import annotations

from google.protobuf import json_format, struct_pb2

from lianyi.directory.v1 import entity_pb2
from services.intake.directory.domain import Entity


def attributes_from(struct: struct_pb2.Struct) -> dict:
    return json_format.MessageToDict(struct)


def entity_to_proto(entity: Entity) -> entity_pb2.Entity:
    message = entity_pb2.Entity(
        entity_id=entity.entity_id, kind=entity.kind, external_id=entity.external_id or "",
        parent_id=entity.parent_id or "", ancestor_ids=list(entity.ancestor_ids), name=entity.name,
        version=entity.version,
    )
    message.attributes.update(entity.attributes)
    if entity.updated_at:
        message.updated_at.FromDatetime(entity.updated_at)
    return message
