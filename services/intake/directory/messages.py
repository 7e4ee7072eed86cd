"""Translation between directory entities and their protobuf messages."""
from __future__ import annotations

from google.protobuf import json_format, struct_pb2

from lianyi.directory.v1 import entity_pb2
from servicekit import auth, json_values
from servicekit.errors import InvalidArgument
from services.contract import sees_contacts
from services.intake.directory.domain import CONTACT_FIELDS, Entity
from services.intake.domain import masked_phone


def attributes_from(struct: struct_pb2.Struct, where: str = "attributes") -> dict:
    """A request's attributes as JSON, or InvalidArgument naming what no entity may keep (the
    gateway refuses the same, servicekit.json_values; a direct caller gets the same answer)."""
    try:
        attributes = json_format.MessageToDict(struct)
    except ValueError:  # NaN or Infinity, which JSON cannot hold
        raise InvalidArgument(f"{where}: numbers must be finite (no NaN or Infinity)") from None
    problem = json_values.problem_with(attributes, where)
    if problem:
        raise InvalidArgument(problem)
    return attributes


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
