"""The directory's rules: which kinds exist, where each sits in the tree, what each carries."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from servicekit.errors import InvalidArgument
from services.intake.domain import has_control_characters

NAME_MAX_CHARS = 200
EXTERNAL_ID_MAX_CHARS = 100

# Each kind and the kind of its parent (GLOSSARY: places and people).
PARENT_KIND: dict[str, str | None] = {
    "county": None,
    "township": "county",
    "community": "township",
    "neighbourhood": "community",
    "building": "neighbourhood",
    "household": "building",
    "resident": "household",
    "venue": "neighbourhood",
    "community_party_committee": "community",
    "party_org": "neighbourhood",
    "party_group": "party_org",
    "member": "party_org",
    "volunteer": "neighbourhood",
    "owners_committee": "neighbourhood",
    "property_company": "neighbourhood",
    "department": "county",
}
KINDS = tuple(PARENT_KIND)
MEMBER_KINDS = ("serving", "retired_cadre", "floating", "resident")
Phone = Field(None, pattern=r"^\+?[0-9][0-9 -]{4,19}$")


class _Attributes(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class PlaceAttributes(_Attributes):
    code: str | None = Field(None, max_length=50)


class BuildingAttributes(_Attributes):
    number: str | None = Field(None, max_length=20)


class HouseholdAttributes(_Attributes):
    door_number: str | None = Field(None, max_length=20)


class ResidentAttributes(_Attributes):
    phone: str | None = Phone
    is_household_head: bool = False


class VenueAttributes(_Attributes):
    address: str | None = Field(None, max_length=200)


class PartyGroupAttributes(_Attributes):
    leader_member_id: str | None = None


class MemberAttributes(_Attributes):
    member_kind: Literal[MEMBER_KINDS]
    party_group_id: str | None = None
    household_id: str | None = None
    # The buildings this member leads as building leader (楼栋长).
    leads_building_ids: list[str] = Field(default_factory=list, max_length=50)
    phone: str | None = Phone


class ContactAttributes(_Attributes):
    contact_phone: str | None = Phone


class DepartmentAttributes(_Attributes):
    code: str | None = Field(None, max_length=50)


ATTRIBUTES: dict[str, type[_Attributes]] = {
    "county": PlaceAttributes, "township": PlaceAttributes, "community": PlaceAttributes,
    "neighbourhood": PlaceAttributes, "building": BuildingAttributes, "household": HouseholdAttributes,
    "resident": ResidentAttributes, "venue": VenueAttributes, "community_party_committee": ContactAttributes,
    "party_org": ContactAttributes, "party_group": PartyGroupAttributes, "member": MemberAttributes,
    "volunteer": ResidentAttributes, "owners_committee": ContactAttributes,
    "property_company": ContactAttributes, "department": DepartmentAttributes,
}

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
    attributes: dict = field(default_factory=dict)
    version: int = 1
    updated_at: datetime | None = None

    @property
    def scope_path(self) -> tuple[str, ...]:
        """This entity's place in the tree: its ancestors, then itself."""
        return (*self.ancestor_ids, self.entity_id)


def check_kind(kind: str) -> None:
    if kind not in PARENT_KIND:
        raise InvalidArgument(f"kind must be one of {', '.join(KINDS)}")


def check_fields(kind: str, name: str, external_id: str | None, attributes: dict) -> dict:
    """Validate an entity's own fields; returns the attributes in canonical form."""
    check_kind(kind)
    problems = []
    if any(has_control_characters(text) for text in (name, *_texts(attributes))):
        problems.append("text must not contain control characters")
    if not name.strip():
        problems.append("name must not be empty")
    elif len(name) > NAME_MAX_CHARS:
        problems.append(f"name is longer than {NAME_MAX_CHARS} characters")
    if external_id is not None and not 0 < len(external_id) <= EXTERNAL_ID_MAX_CHARS:
        problems.append(f"external_id must be 1-{EXTERNAL_ID_MAX_CHARS} characters")
    try:
        canonical = ATTRIBUTES[kind].model_validate(attributes).model_dump(exclude_defaults=True)
    except ValidationError as exc:
        canonical = {}
        problems += [f"attributes.{'.'.join(map(str, e['loc']))}: {e['msg']}"
                     for e in exc.errors(include_url=False, include_input=False)]
    if problems:
        raise InvalidArgument("; ".join(problems))
    return canonical


def _texts(value) -> list[str]:
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
    while PARENT_KIND[chain[0]] is not None:
        chain.insert(0, PARENT_KIND[chain[0]])
    return chain


def places_of(entity: Entity) -> dict[str, str]:
    """The ids of the places an entity is in (and is), by kind: {"county": ..., "township": ...}."""
    return dict(zip(kind_chain(entity.kind), entity.scope_path))
