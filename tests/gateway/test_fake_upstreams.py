"""The fake stands where the real Upstreams stands: the same attributes and the same RPCs, so a
gateway change that calls something new fails here rather than passing against a fake that differs."""
from __future__ import annotations

import grpc
import pytest

from lianyi.intake.v1 import intake_service_pb2 as intake_pb
from servicekit.config import GatewaySettings
from services.gateway.clients import Upstreams
from tests.gateway.fakes import FakeRpcError, FakeUpstreams


@pytest.fixture
def real():
    services = ("intake", "deliberation", "dispatch", "evaluation")
    upstreams = Upstreams(GatewaySettings(http_addr="127.0.0.1:8080", upstreams=dict.fromkeys(services, "127.0.0.1:9"),
                                          max_body_bytes=65536, rpc_timeout_s=5, workers=1, threads=1))
    yield upstreams
    upstreams.close()


def _rpcs(stub) -> set[str]:
    return {name for name in vars(stub) if name[:1].isupper()}


def test_the_fake_has_every_attribute_the_real_upstreams_has(real):
    fake = FakeUpstreams()
    public = {name for name in dir(real) if not name.startswith("_")}
    assert public <= set(dir(fake))
    for name in ("intake", "directory", "accounts", "deliberation", "dispatch", "evaluation"):
        assert _rpcs(getattr(real, name)) == {m.name for m in getattr(fake, name).methods}, name
    assert real.audit.keys() == fake.audit.keys()
    for name, stub in real.audit.items():
        assert _rpcs(stub) == {m.name for m in fake.audit[name].methods}


def test_a_fake_refusal_is_a_grpc_error_with_its_code_and_details():
    error = FakeRpcError(grpc.StatusCode.NOT_FOUND, "no concern c-1")
    assert isinstance(error, grpc.RpcError)
    assert (error.code(), error.details()) == (grpc.StatusCode.NOT_FOUND, "no concern c-1")


def test_an_rpc_the_test_did_not_answer_is_recorded_and_fails():
    fake = FakeUpstreams()
    with pytest.raises(AssertionError, match="no answer"):
        fake.intake.GetConcern(intake_pb.GetConcernRequest(concern_id="c-1"))
    assert [c.method for c in fake.unanswered] == ["GetConcern"]
