"""The directory's rules: which kinds exist, where each sits in the tree, what each carries."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from servicekit.errors import InvalidArgument
from servicekit.text import has_control_characters
from services.intake.contract import ATTRIBUTES, EXTERNAL_ID_MAX_CHARS, KINDS, NAME_MAX_CHARS, PARENT_KIND

# Attributes holding personal contact details: masked for callers whose role does not need them.
CONTACT_FIELDS = ("phone", "contact_phone")

# Attributes that point at other entities, and the kind each must point at.
REFERENCES: dict[str, dict[str, str]] = {
    "member": {"party_group_id": "party_group", "household_id": "household", "leads_building_ids": "building"},
    "party_group": {"leader_member_id": "member"},
}


@dataclass(frozen=True)
class Entity:
    entity_id: str
    kind: str
    external_id: str | None
    parent_id: str | None
    ancestor_ids: tuple[str, ...]
    name: str
    attributes: dict[str, Any] = field(default_factory=dict)
    version: int = 1
    updated_at: datetime | None = None

    @property
    def scope_path(self) -> tuple[str, ...]:
        """This entity's place in the tree: its ancestors, then itself."""
        return (*self.ancestor_ids, self.entity_id)


@dataclass(frozen=True)
class EntityChanged:
    """An entity was created or changed; the other services' replicas keep its new state."""

    entity: Entity


__all__ = [
    "ATTRIBUTES",
    "CONTACT_FIELDS",
    "EXTERNAL_ID_MAX_CHARS",
    "KINDS",
    "NAME_MAX_CHARS",
    "PARENT_KIND",
    "REFERENCES",
    "Entity",
    "EntityChanged",
    "check_fields",
    "check_kind",
    "check_parent",
    "kind_chain",
    "places_of",
]


def check_kind(kind: str) -> None:
    if kind not in PARENT_KIND:
        raise InvalidArgument(f"kind must be one of {', '.join(KINDS)}")


def check_fields(kind: str, name: str, external_id: str | None, attributes: dict[str, Any]) -> dict[str, Any]:
    """Validate an entity's own fields; returns the attributes in canonical form."""
    check_kind(kind)
    problems = []
    if any(has_control_characters(text) for text in (name, *_texts(attributes))):
        problems.append("text must not contain control characters")
    if not name.strip():
        problems.append("name must not be empty")
    elif len(name) > NAME_MAX_CHARS:
        problems.append(f"name is longer than {NAME_MAX_CHARS} characters")
    if external_id is not None and (not 0 < len(external_id) <= EXTERNAL_ID_MAX_CHARS
                                    or has_control_characters(external_id) or not external_id.isprintable()):
        problems.append(f"external_id must be 1-{EXTERNAL_ID_MAX_CHARS} characters of plain text")
    try:
        canonical = ATTRIBUTES[kind].model_validate(attributes).model_dump(exclude_defaults=True)
    except ValidationError as exc:
        canonical = {}
        problems += [f"{'.'.join(('attributes', *map(str, e['loc'])))}: {e['msg']}"
                     for e in exc.errors(include_url=False, include_input=False)]
    if problems:
        raise InvalidArgument("; ".join(problems))
    return canonical


def _texts(value: object) -> list[str]:
    """Every string inside a JSON-like value, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in (*_texts(k), *_texts(v))]
    if isinstance(value, list):
        return [t for item in value for t in _texts(item)]
    return []


def check_parent(kind: str, parent: Entity | None) -> tuple[str, ...]:
    """The ancestor ids a new entity of `kind` under `parent` gets, or InvalidArgument."""
    wanted = PARENT_KIND[kind]
    if wanted is None:
        if parent is not None:
            raise InvalidArgument(f"a {kind} has no parent")
        return ()
    if parent is None or parent.kind != wanted:
        raise InvalidArgument(f"a {kind} must be placed under a {wanted}")
    return parent.scope_path


def kind_chain(kind: str) -> list[str]:
    """The kinds from the county down to `kind`, e.g. member -> county ... party_org, member."""
    chain = [kind]
    parent = PARENT_KIND[kind]
    while parent is not None:
        chain.insert(0, parent)
        parent = PARENT_KIND[parent]
    return chain


def places_of(entity: Entity) -> dict[str, str]:
    """The ids of the places an entity is in (and is), by kind: {"county": ..., "township": ...}."""
    return dict(zip(kind_chain(entity.kind), entity.scope_path, strict=True))
