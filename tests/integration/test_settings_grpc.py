"""SettingsService as intake serves it, on a real gRPC server on loopback: the roles its proto
declares, and each refusal as its status with a readable detail."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from lianyi.settings.v1 import settings_pb2 as pb
from lianyi.settings.v1.settings_pb2_grpc import SettingsServiceStub
from localrun import processes
from servicekit import auth, settings_service
from servicekit.grpc_server import GrpcServer
from tests.integration.conftest import intake_parts

KEY = "k" * 40
WINDOW = "intake.duplicates.window_days"


@pytest.fixture
def settings(tmp_path, migrated_db, places, clock):
    intake = intake_parts(migrated_db("intake", f"sqlite:///{tmp_path / 'intake.db'}"), clock)
    ids = places(intake.db, clock)
    address = f"127.0.0.1:{processes.free_port()}"
    server = GrpcServer(address, [settings_service.registration(intake.settings.county)], KEY)
    server.start()
    with grpc.insecure_channel(address) as channel:
        yield SettingsServiceStub(channel), ids
    server.stop(0)


def _as(role, ids, *places):
    principal = auth.Principal(subject=f"{role}-1", role=role, scope=tuple(ids[p] for p in places))
    token = auth.sign(principal, KEY, audience=auth.INTERNAL_AUDIENCE, now=datetime.now(UTC),
                      ttl=timedelta(minutes=1))
    return [(auth.PRINCIPAL_HEADER, token)]


def _secretary(ids):
    return _as("party_secretary", ids, "county", "township", "community", "nb-1")


def test_a_secretary_lists_sets_and_clears_their_neighbourhoods_values(settings):
    stub, ids = settings
    listed = stub.ListSettings(pb.ListSettingsRequest(scope_id=ids["nb-1"]), metadata=_secretary(ids))
    window = next(s for s in listed.settings if s.key == WINDOW)
    assert (window.default_json, window.effective_json, window.effective_from) == ("30", "30", "")
    assert json.loads(window.value_schema_json) == {"type": "integer", "minimum": 1, "maximum": 365}
    assert list(window.levels) == ["*", "county", "township", "community", "neighbourhood"]
    route = next(s for s in listed.settings if s.key == "intake.triage.route")
    assert route.qualifier_description and [v.id for v in route.values] == ["default-urgent_child_care"]

    kept = stub.SetSetting(pb.SetSettingRequest(key=WINDOW, scope_id=ids["nb-1"], value_json="7"),
                           metadata=_secretary(ids))
    assert (kept.version, kept.value_json, kept.updated_by) == (1, "7", "party_secretary-1")
    (window,) = stub.ListSettings(pb.ListSettingsRequest(scope_id=ids["nb-1"], key=WINDOW),
                                  metadata=_secretary(ids)).settings
    assert (window.effective_json, window.effective_from) == ("7", ids["nb-1"])
    stub.ClearSetting(pb.ClearSettingRequest(key=WINDOW, scope_id=ids["nb-1"]), metadata=_secretary(ids))
    (window,) = stub.ListSettings(pb.ListSettingsRequest(scope_id=ids["nb-1"], key=WINDOW),
                                  metadata=_secretary(ids)).settings
    assert window.effective_json == "30" and list(window.values) == []


@pytest.mark.parametrize("who, request_, code, detail", [
    ("secretary", pb.SetSettingRequest(key=WINDOW, scope_id="*", value_json="7"),
     grpc.StatusCode.PERMISSION_DENIED, "only a county administrator"),
    ("secretary", pb.SetSettingRequest(key=WINDOW, scope_id="community", value_json="7"),
     grpc.StatusCode.PERMISSION_DENIED, "above your scope"),
    ("secretary", pb.SetSettingRequest(key=WINDOW, scope_id="nb-2", value_json="7"),
     grpc.StatusCode.NOT_FOUND, "in your scope"),
    ("member", pb.SetSettingRequest(key=WINDOW, scope_id="nb-1", value_json="7"),
     grpc.StatusCode.PERMISSION_DENIED, "a member may not do this"),
    ("secretary", pb.SetSettingRequest(key=WINDOW, scope_id="nb-1", value_json='"7"'),
     grpc.StatusCode.INVALID_ARGUMENT, "value: Input should be a valid integer"),
    ("secretary", pb.SetSettingRequest(key=WINDOW, scope_id="nb-1", qualifier="noise", value_json="7"),
     grpc.StatusCode.INVALID_ARGUMENT, "qualifier: intake.duplicates.window_days takes none"),
    ("secretary", pb.SetSettingRequest(key="intake.nothing", scope_id="nb-1", value_json="7"),
     grpc.StatusCode.NOT_FOUND, "no setting 'intake.nothing'"),
    ("secretary", pb.SetSettingRequest(key="intake.triage.route", scope_id="nb-1", qualifier="weather",
                                       value_json='{"route": "direct"}'),
     grpc.StatusCode.INVALID_ARGUMENT, "category 'weather' is not one of the county's open categories"),
    ("member", pb.ListSettingsRequest(scope_id="nb-2"), grpc.StatusCode.NOT_FOUND, "in your scope"),
    ("secretary", pb.ClearSettingRequest(key=WINDOW, scope_id="nb-1"), grpc.StatusCode.NOT_FOUND, "no value"),
])
def test_each_refusal_has_its_status_and_says_why(settings, who, request_, code, detail):
    stub, ids = settings
    request_ = type(request_).FromString(request_.SerializeToString())
    if request_.scope_id in ids:
        request_.scope_id = ids[request_.scope_id]
    call = {pb.SetSettingRequest: stub.SetSetting, pb.ListSettingsRequest: stub.ListSettings,
            pb.ClearSettingRequest: stub.ClearSetting}[type(request_)]
    metadata = _secretary(ids) if who == "secretary" else _as("member", ids, "county", "township", "community", "nb-1")
    with pytest.raises(grpc.RpcError) as refused:
        call(request_, metadata=metadata)
    assert refused.value.code() == code and detail in refused.value.details()
