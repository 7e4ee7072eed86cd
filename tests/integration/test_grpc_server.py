"""Intake's real gRPC server on loopback: who may call, statuses with readable details, health,
reflection and metrics."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from prometheus_client import REGISTRY

from lianyi.intake.v1 import concern_pb2
from lianyi.intake.v1 import intake_service_pb2 as pb
from lianyi.intake.v1.intake_service_pb2_grpc import IntakeServiceStub
from localrun import processes
from servicekit import auth
from servicekit.grpc_server import CORRELATION_HEADER, GrpcServer, Registration
from services.intake import grpc_api
from services.intake.handlers import Concerns
from tests.integration.conftest import intake_parts

KEY = "k" * 40


@pytest.fixture
def server(tmp_path, migrated_db, places, clock):
    intake = intake_parts(migrated_db("intake", f"sqlite:///{tmp_path / 'intake.db'}"), clock)
    ids = places(intake.db, clock)
    address = f"127.0.0.1:{processes.free_port()}"
    registration = grpc_api.registration(intake.concerns, intake.visits, intake.talks, intake.triage, intake.asking)
    grpc_server = GrpcServer(address, [registration], KEY)
    grpc_server.start()
    with grpc.insecure_channel(address) as channel:
        yield channel, ids
    grpc_server.stop(0)


def _as(role: str, scope: tuple[str, ...], *, entity_id="", key=KEY, ttl=timedelta(minutes=1), now=None):
    principal = auth.Principal(subject=entity_id or "someone", role=role, scope=scope, entity_id=entity_id)
    token = auth.sign(principal, key, audience=auth.INTERNAL_AUDIENCE,
                      now=now or datetime.now(UTC), ttl=ttl)
    return [(auth.PRINCIPAL_HEADER, token)]


def _secretary(ids, neighbourhood="nb-1"):
    return _as("party_secretary", (ids["county"], ids["township"], ids["community"], ids[neighbourhood]),
               entity_id=f"secretary-of-{neighbourhood}")


def _submit(ids, neighbourhood="nb-1", **fields) -> pb.SubmitConcernRequest:
    values = {"neighbourhood_id": ids[neighbourhood], "channel": concern_pb2.CHANNEL_ONLINE,
              "category": "noise", "description": "广场舞音响太响"}
    values.update(fields)
    return pb.SubmitConcernRequest(**values)


def test_submit_then_get_returns_the_concern_with_contact(server):
    channel, ids = server
    stub = IntakeServiceStub(channel)
    request = _submit(ids)
    request.reporter.phone = "13812345678"
    created = stub.SubmitConcern(request, metadata=[(CORRELATION_HEADER, "corr-42"), *_secretary(ids)])
    fetched = stub.GetConcern(pb.GetConcernRequest(concern_id=created.concern_id), metadata=_secretary(ids))
    assert fetched == created
    assert fetched.reporter.phone == "13812345678"
    assert fetched.status == "received"


@pytest.mark.parametrize("metadata, code", [
    (lambda ids: [], grpc.StatusCode.UNAUTHENTICATED),
    (lambda ids: [(auth.PRINCIPAL_HEADER, "not-a-token")], grpc.StatusCode.UNAUTHENTICATED),
    (lambda ids: _as("county_admin", (ids["county"],), key="a-different-key-of-forty-characters!!!!!"),
     grpc.StatusCode.UNAUTHENTICATED),
    (lambda ids: _as("county_admin", (ids["county"],), now=datetime.now(UTC) - timedelta(minutes=5)),
     grpc.StatusCode.UNAUTHENTICATED),
    (lambda ids: _as("property_company", (ids["county"], ids["township"], ids["community"], ids["nb-1"])),
     grpc.StatusCode.PERMISSION_DENIED),
])
def test_callers_without_a_valid_principal_or_role_are_refused(server, metadata, code):
    channel, ids = server
    with pytest.raises(grpc.RpcError) as refused:
        IntakeServiceStub(channel).SubmitConcern(_submit(ids), metadata=metadata(ids))
    assert refused.value.code() == code


def test_a_concern_outside_the_callers_scope_cannot_be_raised_or_seen(server):
    channel, ids = server
    stub = IntakeServiceStub(channel)
    with pytest.raises(grpc.RpcError) as refused:
        stub.SubmitConcern(_submit(ids, "nb-2"), metadata=_secretary(ids, "nb-1"))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    created = stub.SubmitConcern(_submit(ids, "nb-2"), metadata=_secretary(ids, "nb-2"))
    with pytest.raises(grpc.RpcError) as hidden:
        stub.GetConcern(pb.GetConcernRequest(concern_id=created.concern_id), metadata=_secretary(ids, "nb-1"))
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
    assert hidden.value.details() == f"no concern {created.concern_id}"


def test_a_resident_raises_concerns_for_their_own_household_only(server):
    channel, ids = server
    stub = IntakeServiceStub(channel)
    resident = _as("resident", (ids["county"], ids["township"], ids["community"], ids["nb-1"]), entity_id=ids["h-0"])
    created = stub.SubmitConcern(_submit(ids), metadata=resident)
    assert created.household_id == ids["h-0"]
    with pytest.raises(grpc.RpcError) as refused:
        stub.SubmitConcern(_submit(ids, household_id=ids["h-1"]), metadata=resident)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    neighbour = stub.SubmitConcern(_submit(ids, household_id=ids["h-1"]), metadata=_secretary(ids))
    with pytest.raises(grpc.RpcError) as hidden:
        stub.GetConcern(pb.GetConcernRequest(concern_id=neighbour.concern_id), metadata=resident)
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND


def test_invalid_submission_is_invalid_argument_with_every_reason(server):
    channel, ids = server
    with pytest.raises(grpc.RpcError) as refused:
        IntakeServiceStub(channel).SubmitConcern(
            _submit(ids, channel=concern_pb2.CHANNEL_UNSPECIFIED, description=""), metadata=_secretary(ids))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "channel must be one of" in refused.value.details()
    assert "description must not be empty" in refused.value.details()


def test_unknown_concern_is_not_found(server):
    channel, ids = server
    with pytest.raises(grpc.RpcError) as refused:
        IntakeServiceStub(channel).GetConcern(pb.GetConcernRequest(concern_id="nope"), metadata=_secretary(ids))
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    assert refused.value.details() == "no concern nope"


def test_health_needs_no_credentials_and_reports_serving(server):
    channel, _ = server
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "lianyi.intake.v1.IntakeService"):
        assert health.Check(health_pb2.HealthCheckRequest(service=service)).status == \
            health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_the_service(server):
    channel, _ = server
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    responses = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
    names = {s.name for s in next(responses).list_services_response.service}
    assert {"lianyi.intake.v1.IntakeService", "grpc.health.v1.Health"} <= names


def test_each_call_is_timed_by_method_and_status(server):
    channel, ids = server
    method = "/lianyi.intake.v1.IntakeService/GetConcern"

    def count() -> float:
        return REGISTRY.get_sample_value(
            "lianyi_rpc_duration_seconds_count", {"method": method, "code": "NOT_FOUND"}) or 0

    before = count()
    with pytest.raises(grpc.RpcError):
        IntakeServiceStub(channel).GetConcern(pb.GetConcernRequest(concern_id="nope"), metadata=_secretary(ids))
    assert count() == before + 1


def test_an_unexpected_error_is_internal_without_leaking_details(server, monkeypatch):
    channel, ids = server
    monkeypatch.setattr(Concerns, "get_concern", lambda self, cid: 1 / 0)
    with pytest.raises(grpc.RpcError) as failed:
        IntakeServiceStub(channel).GetConcern(pb.GetConcernRequest(concern_id="x"), metadata=_secretary(ids))
    assert failed.value.code() == grpc.StatusCode.INTERNAL
    assert "ZeroDivision" not in failed.value.details()


def test_a_server_will_not_start_with_an_rpc_that_declares_no_roles():
    # The standard health service declares no lianyi roles in its proto: registered as one of
    # ours, the server refuses to start rather than refuse every caller.
    registration = Registration("grpc.health.v1.Health", health.HealthServicer(),
                                health_pb2_grpc.add_HealthServicer_to_server)
    with pytest.raises(TypeError, match=r"grpc\.health\.v1\.Health\.Check does not declare who may call it"):
        GrpcServer("127.0.0.1:0", [registration], KEY)


def test_idempotency_keys_belong_to_their_caller(server):
    channel, ids = server
    stub = IntakeServiceStub(channel)
    path = (ids["county"], ids["township"], ids["community"], ids["nb-1"])
    first = stub.SubmitConcern(_submit(ids, idempotency_key="k-1"), metadata=_as("party_secretary", path))
    again = stub.SubmitConcern(_submit(ids, idempotency_key="k-1"), metadata=_as("party_secretary", path))
    other = stub.SubmitConcern(_submit(ids, idempotency_key="k-1"),
                               metadata=_as("member", path, entity_id="someone-else"))
    assert again.concern_id == first.concern_id
    assert other.concern_id != first.concern_id


def test_online_message_ids_of_different_callers_never_collide(server):
    channel, ids = server
    stub = IntakeServiceStub(channel)

    def batch(neighbourhood):
        return pb.SubmitOnlineMessagesRequest(source="wechat:shared-name", messages=[
            pb.OnlineMessage(source_message_id="m1", neighbourhood_id=ids[neighbourhood], text="电梯坏了")])

    first = stub.SubmitOnlineMessages(batch("nb-2"), metadata=_secretary(ids, "nb-2"))
    second = stub.SubmitOnlineMessages(batch("nb-1"), metadata=_secretary(ids, "nb-1"))
    assert [o.outcome for o in (*first.outcomes, *second.outcomes)] == ["created", "created"]
    assert first.outcomes[0].concern_id != second.outcomes[0].concern_id


def test_asking_figures_over_grpc_answer_a_place_in_scope_and_refuse_the_rest(server):
    channel, ids = server
    stub = IntakeServiceStub(channel)
    stub.SubmitConcern(_submit(ids, "nb-2"), metadata=_secretary(ids, "nb-2"))
    # The fixture's clock (2026-11-02 09:00 UTC) received it on the second of the days asked.

    def ask(place: str, metadata, from_day: str = "2026-11-01", to_day: str = "2026-11-02"):
        return stub.GetAskingFigures(pb.GetAskingFiguresRequest(place_id=ids[place], from_day=from_day,
                                                                to_day=to_day), metadata=metadata)

    figures = ask("community", _as("community_admin", (ids["county"], ids["township"], ids["community"])))
    assert (figures.households, figures.concerns_received, figures.from_day) == (3, 1, "2026-11-01")
    assert {c.word: c.concerns for c in figures.by_channel} == {"door_visit": 0, "sit_down_talk": 0, "online": 1}
    for place, metadata, from_day, code in [
            ("nb-2", _secretary(ids, "nb-1"), "2026-11-01", grpc.StatusCode.NOT_FOUND),
            ("community", _secretary(ids, "nb-2"), "2026-11-01", grpc.StatusCode.NOT_FOUND),
            ("nb-2", _as("member", (ids["county"], ids["township"], ids["community"], ids["nb-2"])), "2026-11-01",
             grpc.StatusCode.PERMISSION_DENIED),
            ("nb-2", _secretary(ids, "nb-2"), "2026-11-31", grpc.StatusCode.INVALID_ARGUMENT)]:
        with pytest.raises(grpc.RpcError) as refused:
            ask(place, metadata, from_day)
        assert refused.value.code() == code, (place, from_day)
