"""The REST API's bodies for county settings (/api/v1/settings). Each value's own type is the
owning service's to check (its schema travels in SettingOut.value_schema); here only structure."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, JsonValue

from services.gateway.bounds import FreeJson
from services.gateway.bounds import StrictBody as _Strict

SCOPE_ID = Field(min_length=1, max_length=64, description="A county, township, community or neighbourhood id, "
                                                          "or * for the whole deployment")
QUALIFIER = Field("", max_length=100, description="For a setting that has a qualifier (see "
                                                  "qualifier in SettingOut), which of its values; else empty")


class SettingQuery(_Strict):
    scope_id: str = SCOPE_ID


class SettingClearQuery(_Strict):
    scope_id: str = SCOPE_ID
    qualifier: str = QUALIFIER


class SettingIn(_Strict):
    scope_id: str = SCOPE_ID
    qualifier: str = QUALIFIER
    value: FreeJson = Field(description="The value, as the setting's value_schema describes it")


class SettingValueOut(BaseModel):
    """A value set at one place."""

    id: str
    key: str
    scope_id: str
    qualifier: str
    value: JsonValue
    version: int
    updated_at: datetime
    updated_by: str


class SettingOut(BaseModel):
    """A setting as it stands at one place."""

    key: str
    service: str = Field(description="The service that owns it (the key's first part)")
    description: str
    value_schema: dict[str, JsonValue] = Field(description="JSON Schema of its values")
    default: JsonValue
    levels: list[str] = Field(description="Where it may be set: *, county, township, community, neighbourhood")
    qualifier: str | None = Field(description="How its values are qualified, or null if they are not")
    effective: JsonValue = Field(description="What applies at the place (for a qualified setting: where no "
                                             "value matches)")
    effective_from: str | None = Field(description="Where the effective value is set (* or a place id); null "
                                                   "for the default")
    values: list[SettingValueOut] = Field(description="Values set at the place and above it, widest first")


class SettingList(BaseModel):
    scope_id: str
    settings: list[SettingOut]


DOCUMENTED = [SettingIn, SettingValueOut, SettingOut, SettingList]
