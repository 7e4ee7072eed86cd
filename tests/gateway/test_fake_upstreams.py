"""The fake stands where the real Upstreams stands: the same attributes and stubs, the same RPCs,
called the same ways, ending the same way, so a gateway change that calls something new fails here
rather than passing against a fake that differs."""
from __future__ import annotations

import inspect
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from lianyi.intake.v1 import intake_service_pb2 as intake_pb
from lianyi.settings.v1 import settings_pb2 as settings_pb
from lianyi.settings.v1 import settings_pb2_grpc
from servicekit.config import GatewaySettings
from services.gateway.clients import Upstreams
from tests.gateway.fakes import FakeRpcError, FakeStub, FakeUpstreams

# Where Upstreams keeps its stubs (one per service, or a dict of one per upstream for what every
# service serves), named so that a stub kept where _stubs does not look cannot go unchecked.
STUBS = {"intake", "directory", "accounts", "audit", "settings", "deliberation", "dispatch", "evaluation"}


@pytest.fixture
def real():
    services = ("intake", "deliberation", "dispatch", "evaluation")
    upstreams = Upstreams(GatewaySettings(http_addr="127.0.0.1:8080", upstreams=dict.fromkeys(services, "127.0.0.1:9"),
                                          max_body_bytes=65536, rpc_timeout_s=5, workers=1, threads=1))
    yield upstreams
    upstreams.close()


def _stubs(upstreams, is_stub) -> dict[str, object]:
    """Every stub by where it sits: "intake", "audit.dispatch", "settings.evaluation", ..."""
    found = {}
    for name, value in vars(upstreams).items():
        for where, stub in (value.items() if isinstance(value, dict) else [("", value)]):
            if is_stub(stub):
                found[f"{name}.{where}" if where else name] = stub
    return found


def _generated(stub) -> bool:
    return type(stub).__module__.endswith("_pb2_grpc")


def _rpcs(stub) -> set[str]:
    return {name for name in vars(stub) if name[:1].isupper()}


def test_the_fake_has_every_attribute_and_stub_the_real_upstreams_has(real):
    fake = FakeUpstreams()
    public = {name for name in dir(real) if not name.startswith("_")}
    assert public <= set(dir(fake))
    real_stubs, fake_stubs = _stubs(real, _generated), _stubs(fake, lambda s: isinstance(s, FakeStub))
    assert {where.split(".")[0] for where in real_stubs} == STUBS
    assert real_stubs.keys() == fake_stubs.keys()
    for where, stub in real_stubs.items():
        assert _rpcs(stub) == {m.name for m in fake_stubs[where].methods}, where


def _parameters(function) -> list[tuple[str, object]]:
    return [(p.name, p.default) for p in inspect.signature(function).parameters.values()]


def test_each_fake_rpc_is_called_every_way_a_real_one_is_with_the_same_parameters(real):
    fake_stubs = _stubs(FakeUpstreams(), lambda s: isinstance(s, FakeStub))
    for where, stub in _stubs(real, _generated).items():
        for name in _rpcs(stub):
            rpc, faked = getattr(stub, name), getattr(fake_stubs[where], name)
            ways = {"__call__", *(way for way in dir(type(rpc)) if not way.startswith("_"))}
            assert ways == {"__call__", "future", "with_call"}, f"{where}.{name} is not a unary RPC"
            for way in ways:
                assert _parameters(getattr(rpc, way)) == _parameters(getattr(faked, way)), (where, name, way)


@pytest.fixture
def settings_service():
    """A real SettingsService on loopback, so grpcio's own calls can be held beside the fake's: it
    knows the place "*" and nothing else."""
    class Servicer(settings_pb2_grpc.SettingsServiceServicer):
        def ListSettings(self, request, context):  # noqa: N802 (the proto's name)
            if request.scope_id != "*":
                context.abort(grpc.StatusCode.NOT_FOUND, f"no place {request.scope_id}")
            return settings_pb.ListSettingsResponse(settings=[settings_pb.Setting(key="intake.duplicates.window_days")])

    server = grpc.server(ThreadPoolExecutor(max_workers=1))
    settings_pb2_grpc.add_SettingsServiceServicer_to_server(Servicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    yield settings_pb2_grpc.SettingsServiceStub(channel)
    channel.close()
    server.stop(None)


def _seen(call) -> dict:
    """What the gateway (or anyone) can see of a call made with .future() once it has ended."""
    try:
        outcome = call.result(timeout=5)
    except grpc.RpcError as error:
        outcome = "raised the call itself" if error is call else f"raised {error!r}"
    called_back = []
    call.add_done_callback(called_back.append)
    return {"outcome": outcome, "status": (call.code(), call.details()), "exception is the call": call.exception() is call,
            "a grpc.Future and grpc.Call": isinstance(call, grpc.Future) and isinstance(call, grpc.Call),
            "done": (call.done(), call.running(), call.cancelled(), call.is_active()),
            "called back with the call": called_back == [call], "traceback": call.traceback() is not None}


@pytest.mark.parametrize("scope_id", ["*", "nowhere"], ids=["answered", "refused"])
def test_a_fake_future_ends_as_grpcs_own_does(settings_service, scope_id):
    fake = FakeUpstreams().settings["intake"].ListSettings
    fake.returns(settings_service.ListSettings)  # the real service's answer, or its refusal
    request = settings_pb.ListSettingsRequest(scope_id=scope_id)
    assert _seen(fake.future(request)) == _seen(settings_service.ListSettings.future(request, timeout=5))


def test_a_blocking_call_raises_a_refusal_as_grpcs_own_does(settings_service):
    fake = FakeUpstreams().settings["intake"].ListSettings.fails(grpc.StatusCode.NOT_FOUND, "no place nowhere")
    raised = []
    for rpc in (fake, settings_service.ListSettings):
        with pytest.raises(grpc.RpcError) as refusal:
            rpc(settings_pb.ListSettingsRequest(scope_id="nowhere"), timeout=5)
        raised.append((refusal.value.code(), refusal.value.details(), isinstance(refusal.value, grpc.Call)))
    assert raised[0] == raised[1] == (grpc.StatusCode.NOT_FOUND, "no place nowhere", True)


def test_a_fake_refusal_is_a_grpc_error_with_its_code_and_details():
    error = FakeRpcError(grpc.StatusCode.NOT_FOUND, "no concern c-1")
    assert isinstance(error, grpc.RpcError)
    assert (error.code(), error.details()) == (grpc.StatusCode.NOT_FOUND, "no concern c-1")


def test_an_rpc_the_test_did_not_answer_is_recorded_and_fails():
    fake = FakeUpstreams()
    with pytest.raises(AssertionError, match="no answer"):
        fake.intake.GetConcern(intake_pb.GetConcernRequest(concern_id="c-1"))
    with pytest.raises(AssertionError, match="no answer"):
        fake.intake.GetConcern.future(intake_pb.GetConcernRequest(concern_id="c-2"))
    assert [c.request.concern_id for c in fake.unanswered] == ["c-1", "c-2"]
