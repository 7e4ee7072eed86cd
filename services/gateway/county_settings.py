"""/api/v1/settings: county settings, set for the county and overridden by a township, community
or neighbourhood (the most specific place wins). Each service serves its own; a key's first part
names the service (services/contract.py), and the list asks every service."""
from __future__ import annotations

import json
from datetime import UTC

from flask import Blueprint

from lianyi.settings.v1 import settings_pb2 as pb
from services.contract import owner_of_setting
from services.gateway.auth import serves
from services.gateway.bodies import json_body, query
from services.gateway.clients import upstreams
from services.gateway.problems import ProblemError
from services.gateway.settings_schemas import (
    SettingClearQuery,
    SettingIn,
    SettingList,
    SettingOut,
    SettingQuery,
    SettingValueOut,
)

blueprint = Blueprint("settings", __name__, url_prefix="/api/v1/settings")


def _owner(key: str) -> str:
    owner = owner_of_setting(key)
    if owner is None:
        raise ProblemError(404, f"no setting {key[:100]!r}: a setting's key starts with the service that owns it, "
                                "e.g. intake.duplicates.window_days")
    return owner


def _value_out(value: pb.SettingValue) -> SettingValueOut:
    return SettingValueOut(id=value.id, key=value.key, scope_id=value.scope_id, qualifier=value.qualifier,
                           value=json.loads(value.value_json), version=value.version,
                           updated_at=value.updated_at.ToDatetime(tzinfo=UTC), updated_by=value.updated_by)


def _setting_out(service: str, setting: pb.Setting) -> SettingOut:
    return SettingOut(
        key=setting.key, service=service, description=setting.description,
        value_schema=json.loads(setting.value_schema_json), default=json.loads(setting.default_json),
        levels=list(setting.levels), qualifier=setting.qualifier_description or None,
        effective=json.loads(setting.effective_json), effective_from=setting.effective_from or None,
        values=[_value_out(value) for value in setting.values])


@blueprint.get("")
@serves("lianyi.settings.v1.SettingsService.ListSettings")
def list_settings():
    """County settings at a place.
    ---
    get:
      summary: Every service's settings as they stand at a place, with the values set there and above it
      responses:
        200:
          description: >-
            Each setting: what it means, its value schema and default, where it may be set, what applies
            at the place and where that comes from (the most specific place that sets it wins)
          content:
            application/json:
              schema: SettingList
        404: {$ref: "#/components/responses/Problem"}
    """
    params = query(SettingQuery)
    stubs = upstreams()
    request = pb.ListSettingsRequest(scope_id=params.scope_id)
    # Asked of every service at once; the first refusal (e.g. a place outside the caller's scope) answers.
    asked = {service: stub.ListSettings.future(request, **stubs.call_options())
             for service, stub in stubs.settings.items()}
    found = [_setting_out(service, setting) for service, call in asked.items() for setting in call.result().settings]
    return SettingList(scope_id=params.scope_id, settings=found).model_dump(mode="json")


@blueprint.get("/<key>")
@serves("lianyi.settings.v1.SettingsService.ListSettings")
def get_setting(key: str):
    """One county setting at a place.
    ---
    get:
      summary: One setting as it stands at a place, with the values set there and above it
      parameters:
        - name: key
          in: path
          required: true
          schema: {type: string}
          description: The setting's key, its owning service first, e.g. intake.duplicates.window_days
      responses:
        200:
          description: The setting
          content:
            application/json:
              schema: SettingOut
    """
    params = query(SettingQuery)
    service = _owner(key)
    stubs = upstreams()
    found = stubs.settings[service].ListSettings(pb.ListSettingsRequest(scope_id=params.scope_id, key=key),
                                                 **stubs.call_options())
    return _setting_out(service, found.settings[0]).model_dump(mode="json")


@blueprint.put("/<key>")
@serves("lianyi.settings.v1.SettingsService.SetSetting")
def set_setting(key: str):
    """Set a county setting at a place.
    ---
    put:
      summary: Set the value at a place (and qualifier), replacing the one set there before
      description: >-
        The whole deployment (*) only a county administrator; a place, an administrator whose scope
        covers it, or the party secretary of that neighbourhood. Every replica of the owning service
        applies it at once.
      parameters:
        - name: key
          in: path
          required: true
          schema: {type: string}
          description: The setting's key, its owning service first, e.g. intake.duplicates.window_days
      requestBody:
        required: true
        content:
          application/json:
            schema: SettingIn
      responses:
        200:
          description: The value as kept
          content:
            application/json:
              schema: SettingValueOut
    """
    body = json_body(SettingIn)
    service = _owner(key)
    stubs = upstreams()
    kept = stubs.settings[service].SetSetting(pb.SetSettingRequest(
        key=key, scope_id=body.scope_id, qualifier=body.qualifier,
        value_json=json.dumps(body.value, ensure_ascii=False)), **stubs.call_options())
    return _value_out(kept).model_dump(mode="json")


@blueprint.delete("/<key>")
@serves("lianyi.settings.v1.SettingsService.ClearSetting")
def clear_setting(key: str):
    """Clear a county setting at a place.
    ---
    delete:
      summary: Remove the value set at a place (and qualifier); the next place up, or the default, applies again
      parameters:
        - {name: key, in: path, required: true, schema: {type: string}}
      responses:
        204: {description: Cleared}
    """
    params = query(SettingClearQuery)
    service = _owner(key)
    stubs = upstreams()
    stubs.settings[service].ClearSetting(pb.ClearSettingRequest(key=key, scope_id=params.scope_id,
                                                                qualifier=params.qualifier), **stubs.call_options())
    return "", 204
