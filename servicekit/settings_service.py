"""lianyi.settings.v1.SettingsService: every service serves its own county settings (registered
beside its RPCs, as the audit log is). Translation only; the rules are servicekit.settings_store's."""
from __future__ import annotations

from typing import Any

from lianyi.settings.v1 import settings_pb2 as pb
from lianyi.settings.v1 import settings_pb2_grpc as pb_grpc
from servicekit.county_settings import StoredValue
from servicekit.grpc_server import Registration
from servicekit.settings_store import CountySettings, SettingAt

SERVICE_NAME = "lianyi.settings.v1.SettingsService"


def registration(settings: CountySettings) -> Registration:
    """The SettingsService of one service's settings."""
    return Registration(SERVICE_NAME, SettingsServicer(settings), pb_grpc.add_SettingsServiceServicer_to_server)


def value_to_proto(stored: StoredValue[Any]) -> pb.SettingValue:
    message = pb.SettingValue(id=stored.setting_id, key=stored.key, scope_id=stored.scope_id,
                              qualifier=stored.qualifier, value_json=stored.value_json, version=stored.version,
                              updated_by=stored.updated_by)
    message.updated_at.FromDatetime(stored.updated_at)
    return message


def setting_to_proto(setting: SettingAt) -> pb.Setting:
    definition = setting.definition
    return pb.Setting(
        key=definition.key, description=definition.description, value_schema_json=definition.schema_json(),
        default_json=definition.to_json(definition.default), levels=list(definition.levels),
        qualifier_description=definition.qualifier.description if definition.qualifier else "",
        effective_json=definition.to_json(setting.effective),
        effective_from=setting.deciding.scope_id if setting.deciding else "",
        values=[value_to_proto(stored) for stored in setting.values],
    )


class SettingsServicer(pb_grpc.SettingsServiceServicer):
    def __init__(self, settings: CountySettings):
        self.settings = settings

    def ListSettings(self, request: pb.ListSettingsRequest, context: object) -> pb.ListSettingsResponse:
        return pb.ListSettingsResponse(settings=[setting_to_proto(setting) for setting in
                                                 self.settings.at(request.scope_id, request.key)])

    def SetSetting(self, request: pb.SetSettingRequest, context: object) -> pb.SettingValue:
        return value_to_proto(self.settings.set_json(request.key, request.scope_id, request.qualifier,
                                                     request.value_json))

    def ClearSetting(self, request: pb.ClearSettingRequest, context: object) -> pb.ClearSettingResponse:
        self.settings.clear(request.key, request.scope_id, request.qualifier)
        return pb.ClearSettingResponse()
