"""Translation between directory entities and their protobuf messages."""
from __future__ import annotations

from google.protobuf import json_format, struct_pb2

from lianyi.directory.v1 import entity_pb2
from servicekit import auth
from services.contract import sees_contacts
from services.intake.directory.domain import CONTACT_FIELDS, Entity
from services.intake.domain import masked_phone


def attributes_from(struct: struct_pb2.Struct) -> dict:
    return json_format.MessageToDict(struct)


def entity_to_proto(entity: Entity, *, for_event: bool = False) -> entity_pb2.Entity:
    """The entity as a message. Events never carry contact details (no consumer needs them);
    a caller sees them unless their role may not."""
    message = entity_pb2.Entity(
        entity_id=entity.entity_id, kind=entity.kind, external_id=entity.external_id or "",
        parent_id=entity.parent_id or "", ancestor_ids=list(entity.ancestor_ids), name=entity.name,
        version=entity.version,
    )
    attributes = dict(entity.attributes)
    for field in CONTACT_FIELDS:
        if for_event:
            attributes.pop(field, None)
        elif attributes.get(field) and not sees_contacts(auth.current.get()):
            attributes[field] = masked_phone(attributes[field])
    message.attributes.update(attributes)
    if entity.updated_at:
        message.updated_at.FromDatetime(entity.updated_at)
    return message
