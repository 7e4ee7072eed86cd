"""gRPC between the processes over TLS when certificates are configured: a real server on
loopback with certificates made for the test answers a client the same CA vouches for, and
refuses plaintext, strangers and callers without a certificate."""
from __future__ import annotations

from types import SimpleNamespace

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from localrun import processes
from servicekit.config import RuntimeSettings
from servicekit.grpc_client import open_channel, target
from servicekit.grpc_server import GrpcServer
from servicekit.grpc_tls import GrpcTls, TlsFiles
from tests.tls_certificates import authority

KEY = "k" * 40


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pki")
    ours, theirs = authority(directory, "ours"), authority(directory, "theirs")
    return SimpleNamespace(ours=ours, theirs=theirs, server=ours.issue("intake", server=True),
                           client=ours.issue("gateway", server=False),
                           stranger=theirs.issue("gateway", server=False))


def _tls(issued, ca=None) -> GrpcTls:
    """Credentials as a process gets them: from its settings."""
    tls = GrpcTls.from_settings(RuntimeSettings(grpc_tls_cert=issued.certificate, grpc_tls_key=issued.key,
                                                grpc_tls_ca=ca))
    assert tls is not None
    return tls


@pytest.fixture
def serve(pki):
    started = []

    def start(tls: GrpcTls) -> str:
        address = f"127.0.0.1:{processes.free_port()}"
        server = GrpcServer(address, [], KEY, tls=tls)
        server.start()
        started.append(server)
        return address

    yield start
    for server in started:
        server.stop(0)


def _health(channel: grpc.Channel) -> int:
    return health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5).status


def _refused(channel: grpc.Channel) -> grpc.StatusCode:
    with channel, pytest.raises(grpc.RpcError) as refused:
        _health(channel)
    return refused.value.code()


@pytest.fixture
def mutual(pki, serve):
    """A mutual-TLS server's address; after the test, it still answers a client its CA vouches
    for (so a refusal was the server's choice, not a server that was not there)."""
    address = serve(_tls(pki.server, pki.ours.certificate))
    yield address
    with open_channel(address, _tls(pki.client, pki.ours.certificate)) as channel:
        assert _health(channel) == health_pb2.HealthCheckResponse.SERVING


def test_a_client_the_same_ca_vouches_for_is_answered_over_mutual_tls(pki, mutual):
    with open_channel(mutual, _tls(pki.client, pki.ours.certificate)) as channel:
        assert _health(channel) == health_pb2.HealthCheckResponse.SERVING


def test_a_plaintext_client_is_refused(pki, mutual):
    address = mutual
    assert _refused(open_channel(address, None)) == grpc.StatusCode.UNAVAILABLE


def test_a_client_whose_certificate_another_ca_signed_is_refused(pki, mutual):
    address = mutual
    # It trusts the server's CA; the server does not trust its.
    stranger = GrpcTls(TlsFiles(pki.stranger.certificate, pki.stranger.key, pki.ours.certificate))
    assert _refused(open_channel(address, stranger)) == grpc.StatusCode.UNAVAILABLE


def test_with_a_ca_a_client_without_a_certificate_is_refused(pki, mutual):
    address = mutual
    anonymous = grpc.ssl_channel_credentials(root_certificates=pki.ours.certificate.read_bytes())
    assert _refused(grpc.secure_channel(target(address), anonymous)) == grpc.StatusCode.UNAVAILABLE


def test_a_client_refuses_a_server_its_ca_did_not_sign(pki, mutual):
    address = mutual
    assert _refused(open_channel(address, _tls(pki.client, pki.theirs.certificate))) == grpc.StatusCode.UNAVAILABLE


def test_without_a_ca_the_server_speaks_tls_without_asking_for_client_certificates(pki, serve):
    address = serve(_tls(pki.server))
    anonymous = grpc.ssl_channel_credentials(root_certificates=pki.ours.certificate.read_bytes())
    with grpc.secure_channel(target(address), anonymous) as channel:
        assert _health(channel) == health_pb2.HealthCheckResponse.SERVING
    assert _refused(open_channel(address, None)) == grpc.StatusCode.UNAVAILABLE
