"""Intake's contract with its callers, beside its protos (which declare who may call each RPC): the
words its requests and answers use and the limits its inputs keep. Intake's own rules import these
limits from here, and the gateway states them in its schemas, so each is written once.

It imports nothing of intake, so the gateway may read it.
"""
from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lianyi.intake.v1 import concern_pb2

# -- concerns -----------------------------------------------------------------------------------
CHANNELS = ("door_visit", "sit_down_talk", "online")
URGENCIES = ("normal", "urgent")
ID_MAX_CHARS = 64
DESCRIPTION_MAX_CHARS = 2000
REPORTER_NAME_MAX_CHARS = 50
ADDRESS_MAX_CHARS = 200
PHOTO_URLS_MAX = 5
PHOTO_URL_MAX_CHARS = 500
ONLINE_BATCH_MAX = 500


def channel_name(value: int) -> str:
    """CHANNEL_DOOR_VISIT -> "door_visit"; unspecified or unknown -> ""."""
    if value == concern_pb2.CHANNEL_UNSPECIFIED or value not in concern_pb2.Channel.values():
        return ""
    return concern_pb2.Channel.Name(value).removeprefix("CHANNEL_").lower()


def channel_value(name: str) -> int:
    """"door_visit" -> CHANNEL_DOOR_VISIT (a name from CHANNELS)."""
    return concern_pb2.Channel.Value("CHANNEL_" + name.upper())

# -- where a concern is (the same words as lianyi.events.v1.ConcernStatus) ----------------------
RECEIVED, TRIAGED, MERGED = "received", "triaged", "merged"
# What deliberation, dispatch and evaluation report, in the order a matter usually goes.
# "closed": a rejected topic's concern the party secretary closed without handling.
DOWNSTREAM_STATUSES = ("in_deliberation", "decided", "in_handling", "escalated", "resolved", "rated", "reopened",
                       "archived", "closed")
STATUSES = (RECEIVED, TRIAGED, MERGED, *DOWNSTREAM_STATUSES)
# Open311 and the public see open or closed; a reopened matter is open again.
CLOSED_STATUSES = frozenset(("resolved", "rated", "archived", "closed"))
TIMELINE_NOTE_MAX_CHARS = 500

# -- triage -------------------------------------------------------------------------------------
DIRECT, DELIBERATION, MANUAL = "direct", "deliberation", "manual"
ROUTES = (DIRECT, DELIBERATION)  # what a person chooses
RULE_ROUTES = (DIRECT, DELIBERATION, MANUAL)  # manual: leave it to the party secretary
TRIAGE_NOTE_MAX_CHARS = 500
MERGE_MAX = 50

# -- the public view (Open311) ------------------------------------------------------------------
PUBLIC_LIMIT_MAX = 1000
PUBLIC_IDS_MAX = 1000
PUBLIC_STATES = ("open", "closed")

# -- door visits and sit-down talks -------------------------------------------------------------
VISIT_NOTES_MAX_CHARS = 2000
CONCERNS_PER_VISIT_MAX = 20
TALK_ENTRIES_MAX = 200
TALK_HOSTS_MAX = 10
TALK_ATTENDANCE_MAX = 10_000

# -- accounts -----------------------------------------------------------------------------------
# A username's spelling and a new password's least length (services/intake/accounts checks them).
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]{2,49}$"
PASSWORD_MIN_CHARS = 10

# -- the directory ------------------------------------------------------------------------------
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
MemberKind = Literal["serving", "retired_cadre", "floating", "resident"]
MEMBER_KINDS: tuple[str, ...] = get_args(MemberKind)
NAME_MAX_CHARS = 200
EXTERNAL_ID_MAX_CHARS = 100
IMPORT_MAX_ROWS = 5000


# What each kind of entity carries besides its name (the CSV import types its columns by these).
Phone = Field(None, pattern=r"^\+?[0-9][0-9 -]{4,19}$")


class _Attributes(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class PlaceAttributes(_Attributes):
    code: str | None = Field(None, max_length=50)


class _Located(_Attributes):
    """Where a place is, WGS84 decimal degrees, both or neither: what the public is shown of where
    a concern is (services/intake/public.py), never finer than a building."""
    latitude: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    longitude: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False)

    @model_validator(mode="after")
    def _both_or_neither(self) -> _Located:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together: give both or neither")
        return self


class NeighbourhoodAttributes(PlaceAttributes, _Located):
    pass


class BuildingAttributes(_Located):
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
    member_kind: MemberKind
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
    "neighbourhood": NeighbourhoodAttributes, "building": BuildingAttributes, "household": HouseholdAttributes,
    "resident": ResidentAttributes, "venue": VenueAttributes, "community_party_committee": ContactAttributes,
    "party_org": ContactAttributes, "party_group": PartyGroupAttributes, "member": MemberAttributes,
    "volunteer": ResidentAttributes, "owners_committee": ContactAttributes,
    "property_company": ContactAttributes, "department": DepartmentAttributes,
}
