"""Intake called over gRPC directly (as the gateway calls it, but without the gateway's checks) with
values it cannot carry: each is INVALID_ARGUMENT naming the field, never INTERNAL, and nothing is
written. (The gateway refuses the same before asking: tests/gateway/test_unfit_values.py.)"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
import sqlalchemy as sa

from lianyi.audit.v1 import audit_service_pb2 as audit_pb
from lianyi.audit.v1.audit_service_pb2_grpc import AuditServiceStub
from lianyi.directory.v1 import directory_service_pb2 as pb
from lianyi.directory.v1.directory_service_pb2_grpc import DirectoryServiceStub
from lianyi.intake.v1 import intake_service_pb2 as intake_pb
from lianyi.intake.v1.intake_service_pb2_grpc import IntakeServiceStub
from lianyi.settings.v1 import settings_pb2 as settings_pb
from lianyi.settings.v1.settings_pb2_grpc import SettingsServiceStub
from localrun import processes
from servicekit import auth, settings_service
from servicekit.audit import AuditLog
from servicekit.grpc_server import GrpcServer
from servicekit.messaging_schema import outbox
from services.intake import grpc_api
from services.intake.directory import grpc_api as directory_grpc_api
from tests.integration.conftest import intake_parts

KEY = "k" * 40
INVALID = grpc.StatusCode.INVALID_ARGUMENT


@pytest.fixture
def intake(database_url, migrated_db, places, clock):
    parts = intake_parts(migrated_db("intake", database_url), clock)
    ids = places(parts.db, clock)
    address = f"127.0.0.1:{processes.free_port()}"
    server = GrpcServer(address, [
        grpc_api.registration(parts.concerns, parts.visits, parts.talks, parts.triage, parts.asking),
        directory_grpc_api.registration(parts.directory),
        AuditLog(parts.db, clock).registration(),
        settings_service.registration(parts.settings.county),
    ], KEY)
    server.start()
    with grpc.insecure_channel(address) as channel:
        yield channel, parts, ids
    server.stop(0)


def _as(role: str, scope: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    principal = auth.Principal(subject=f"{role}-1", role=role, scope=scope)
    return [(auth.PRINCIPAL_HEADER, auth.sign(principal, KEY, audience=auth.INTERNAL_AUDIENCE,
                                              now=datetime.now(UTC), ttl=timedelta(minutes=1)))]


def _outbox_rows(parts) -> int:
    with parts.db.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar_one()


def _refused(call, request, metadata) -> str:
    with pytest.raises(grpc.RpcError) as refused:
        call(request, metadata=metadata)
    assert refused.value.code() == INVALID, refused.value.details()
    return refused.value.details()


def _nested(levels: int) -> dict:
    value: object = "深"
    for _ in range(levels):
        value = {"inner": value}
    return value  # type: ignore[return-value]


@pytest.mark.parametrize("attributes, says", [
    ({"code": float("nan")}, "attributes: numbers must be finite"),
    ({"code": float("-inf")}, "attributes: numbers must be finite"),
    (_nested(12), "attributes.inner.inner"),  # decodable, but deeper than any value we keep
    (_nested(35), "cannot be decoded"),  # deeper than protobuf decodes: grpcio alone says INTERNAL
], ids=["NaN", "-Infinity", "12 deep", "35 deep"])
def test_unfit_attributes_are_refused_on_create_update_and_import(intake, attributes, says):
    channel, parts, ids = intake
    stub, admin = DirectoryServiceStub(channel), _as("county_admin", (ids["county"],))
    before = _outbox_rows(parts)
    # Filled in place, as the gateway fills them: a message built around a copy of a Struct this
    # deep could not even be made.
    created = pb.CreateEntityRequest(kind="venue", name="议事点", parent_id=ids["nb-1"])
    created.attributes.update(attributes)
    assert says in _refused(stub.CreateEntity, created, admin)
    updated = pb.UpdateEntityRequest(entity_id=ids["nb-1"])
    updated.attributes.update(attributes)
    assert says in _refused(stub.UpdateEntity, updated, admin)
    imported = pb.ImportEntitiesRequest()
    imported.rows.add(kind="county", external_id="C-1", name="另一个县")
    imported.rows.add(kind="county", external_id="C-2", name="又一个县").attributes.update(attributes)
    details = _refused(stub.ImportEntities, imported, admin)
    assert says.replace("attributes", "rows[2].attributes") in details or "cannot be decoded" in details
    assert _outbox_rows(parts) == before, "nothing was written"


@pytest.mark.parametrize("stamp, says", [
    ({"seconds": 2**40}, "since: not a valid timestamp"),
    ({"seconds": 0, "nanos": -1}, "since: not a valid timestamp"),
    ({"seconds": int(datetime(9999, 6, 1, tzinfo=UTC).timestamp())}, "since: must fall within the years 1900-9998"),
    ({"seconds": int(datetime(1899, 12, 31, tzinfo=UTC).timestamp())}, "since: must fall within the years"),
], ids=["beyond a Timestamp", "negative nanos", "year 9999", "year 1899"])
def test_an_unfit_audit_bound_is_refused(intake, stamp, says):
    channel, _, ids = intake
    request = audit_pb.ListAuditEntriesRequest()
    request.since.seconds, request.since.nanos = stamp["seconds"], stamp.get("nanos", 0)
    assert says in _refused(AuditServiceStub(channel).ListAuditEntries, request,
                            _as("county_admin", (ids["county"],)))


def test_an_unfit_public_listing_bound_is_refused(intake):
    channel, _, ids = intake
    request = intake_pb.ListPublicConcernsRequest(neighbourhood_id=ids["nb-1"], limit=10)
    request.received_to.seconds = 2**40
    assert "received_to: not a valid timestamp" in _refused(IntakeServiceStub(channel).ListPublicConcerns,
                                                            request, _as("public"))


@pytest.mark.parametrize("value_json", ["NaN", "Infinity", "1e400", "[" * 500 + "]" * 500],
                         ids=["NaN", "Infinity", "1e400", "500 deep"])
def test_an_unfit_setting_value_is_refused(intake, value_json):
    channel, parts, ids = intake
    before = _outbox_rows(parts)
    request = settings_pb.SetSettingRequest(key="intake.duplicates.window_days", scope_id=ids["nb-1"],
                                            value_json=value_json)
    assert "value" in _refused(SettingsServiceStub(channel).SetSetting, request,
                               _as("county_admin", (ids["county"],)))
    assert _outbox_rows(parts) == before, "nothing was written"
