"""Intake's real gRPC server on loopback: statuses with readable details, health, reflection, metrics."""
from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from prometheus_client import REGISTRY

from lianyi.intake.v1 import concern_pb2, intake_service_pb2 as pb
from lianyi.intake.v1.intake_service_pb2_grpc import IntakeServiceStub
from servicekit import processes
from servicekit.grpc_server import CORRELATION_HEADER, GrpcServer
from servicekit.outbox import Outbox
from services.intake import grpc_api
from services.intake.handlers import Intake


@pytest.fixture
def channel(tmp_path, migrated_db, clock):
    intake = Intake(migrated_db("intake", f"sqlite:///{tmp_path / 'intake.db'}"), Outbox("t"), clock)
    address = f"127.0.0.1:{processes.free_port()}"
    server = GrpcServer(address, [grpc_api.registration(intake)])
    server.start()
    with grpc.insecure_channel(address) as channel:
        yield channel
    server.stop(0)


def _submit(**fields) -> pb.SubmitConcernRequest:
    values = {"neighbourhood_id": "nb-1", "channel": concern_pb2.CHANNEL_ONLINE, "category": "noise",
              "description": "广场舞音响太响"}
    values.update(fields)
    return pb.SubmitConcernRequest(**values)


def test_submit_then_get_returns_the_concern_with_contact(channel):
    stub = IntakeServiceStub(channel)
    request = _submit()
    request.reporter.phone = "13812345678"
    created = stub.SubmitConcern(request, metadata=[(CORRELATION_HEADER, "corr-42")])
    fetched = stub.GetConcern(pb.GetConcernRequest(concern_id=created.concern_id))
    assert fetched == created
    assert fetched.reporter.phone == "13812345678"
    assert fetched.status == "received"


def test_invalid_submission_is_invalid_argument_with_every_reason(channel):
    with pytest.raises(grpc.RpcError) as refused:
        IntakeServiceStub(channel).SubmitConcern(_submit(channel=concern_pb2.CHANNEL_UNSPECIFIED, description=""))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "channel must be one of" in refused.value.details()
    assert "description must not be empty" in refused.value.details()


def test_unknown_concern_is_not_found(channel):
    with pytest.raises(grpc.RpcError) as refused:
        IntakeServiceStub(channel).GetConcern(pb.GetConcernRequest(concern_id="nope"))
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    assert refused.value.details() == "no concern nope"


def test_health_reports_serving_for_the_server_and_the_service(channel):
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "lianyi.intake.v1.IntakeService"):
        assert health.Check(health_pb2.HealthCheckRequest(service=service)).status == \
            health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_the_service(channel):
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    responses = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
    names = {s.name for s in next(responses).list_services_response.service}
    assert {"lianyi.intake.v1.IntakeService", "grpc.health.v1.Health"} <= names


def test_each_call_is_timed_by_method_and_status(channel):
    method = "/lianyi.intake.v1.IntakeService/GetConcern"

    def count() -> float:
        return REGISTRY.get_sample_value(
            "lianyi_rpc_duration_seconds_count", {"method": method, "code": "NOT_FOUND"}) or 0

    before = count()
    with pytest.raises(grpc.RpcError):
        IntakeServiceStub(channel).GetConcern(pb.GetConcernRequest(concern_id="nope"))
    assert count() == before + 1


def test_an_unexpected_error_is_internal_without_leaking_details(channel, monkeypatch):
    monkeypatch.setattr(Intake, "get_concern", lambda self, cid: 1 / 0)
    with pytest.raises(grpc.RpcError) as failed:
        IntakeServiceStub(channel).GetConcern(pb.GetConcernRequest(concern_id="x"))
    assert failed.value.code() == grpc.StatusCode.INTERNAL
    assert "ZeroDivision" not in failed.value.details()
