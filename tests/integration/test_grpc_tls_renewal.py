"""Renewed certificates are taken up by running processes: cert-manager renews each process's
certificate a month before its end and the kubelet swaps the mounted files; a server then presents
the new one from its next handshake and keeps serving, a client's next call goes out with its new
one, and the loaded certificate's end is a metric. Files that do not belong together are refused
with a message that says so, at start, and ignored (the old ones kept) when they appear later.
Real certificates (openssl), a real server and real clients on loopback."""
from __future__ import annotations

import socket
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import grpc
import pytest
from cryptography import x509
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import REGISTRY

from localrun import processes
from servicekit.config import MissingSetting
from servicekit.grpc_client import open_channel
from servicekit.grpc_server import GrpcServer
from servicekit.grpc_tls import GrpcTls, TlsFiles
from tests.tls_certificates import MountedSecret, authority

KEY = "k" * 40
EXPIRY = "lianyi_grpc_tls_certificate_expiry_timestamp_seconds"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pki")
    ours, theirs = authority(directory, "ours"), authority(directory, "theirs")
    return SimpleNamespace(
        ours=ours, theirs=theirs,
        server=ours.issue("intake", server=True, days=1),
        renewed=ours.issue("intake", server=True, days=3, stem_suffix="-renewed"),
        other=ours.issue("dispatch", server=True, days=1),
        client=ours.issue("gateway", server=False),
        stranger=theirs.issue("gateway", server=False))


@pytest.fixture
def server(pki, tmp_path):
    """A mutual-TLS server reading its certificate from a mounted Secret."""
    secret = MountedSecret(tmp_path / "intake-grpc-tls")
    secret.write(pki.server.certificate, pki.server.key, pki.ours.certificate)
    address = f"127.0.0.1:{processes.free_port()}"
    started = GrpcServer(address, [], KEY, tls=GrpcTls(TlsFiles(secret.certificate, secret.key, secret.ca)))
    started.start()
    yield SimpleNamespace(address=address, secret=secret)
    started.stop(0)


def _health(channel: grpc.Channel) -> int:
    return health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5).status


def _presented(address: str, pki) -> bytes:
    """The certificate (DER) the server presents to a new connection, seen from a TLS client with
    a certificate of our CA (the server asks for one)."""
    context = ssl.create_default_context(cafile=pki.ours.certificate)
    context.load_cert_chain(pki.client.certificate, pki.client.key)
    context.set_alpn_protocols(["h2"])
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname="localhost") as tls:
        presented = tls.getpeercert(binary_form=True)
    assert presented is not None
    return presented


def _der(path: Path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(path.read_text())


def _not_after(path: Path) -> datetime:
    return x509.load_pem_x509_certificate(path.read_bytes()).not_valid_after_utc


def test_a_server_presents_the_renewed_certificate_and_keeps_serving(pki, server):
    client = GrpcTls(TlsFiles(pki.client.certificate, pki.client.key, pki.ours.certificate))
    with open_channel(server.address, client) as channel:
        assert _health(channel) == health_pb2.HealthCheckResponse.SERVING
        assert _presented(server.address, pki) == _der(pki.server.certificate)

        server.secret.write(pki.renewed.certificate, pki.renewed.key, pki.ours.certificate)

        assert _presented(server.address, pki) == _der(pki.renewed.certificate)
        # The metric follows the certificate loaded: the renewed one's end, two days later.
        assert REGISTRY.get_sample_value(EXPIRY) == _not_after(pki.renewed.certificate).timestamp()
        assert _not_after(pki.renewed.certificate) - _not_after(pki.server.certificate) > timedelta(days=1)
        # The connection made before the renewal goes on; so do new ones.
        assert _health(channel) == health_pb2.HealthCheckResponse.SERVING
    with open_channel(server.address, client) as fresh:
        assert _health(fresh) == health_pb2.HealthCheckResponse.SERVING


def test_a_renewal_that_does_not_fit_together_is_ignored_and_the_old_certificate_kept(pki, server, caplog):
    # A certificate with another certificate's key (say, one file of a half-done update).
    server.secret.write(pki.renewed.certificate, pki.other.key, pki.ours.certificate)
    assert _presented(server.address, pki) == _der(pki.server.certificate)
    assert "cannot be used" in caplog.text and "is not the key of the certificate" in caplog.text
    # Once the files fit together, they are taken.
    server.secret.write(pki.renewed.certificate, pki.renewed.key, pki.ours.certificate)
    assert _presented(server.address, pki) == _der(pki.renewed.certificate)


def test_a_client_calls_with_its_renewed_certificate_on_the_channel_it_has(pki, server, tmp_path):
    """The client's certificate is first one the server's CA did not sign (refused), then,
    renewed in its mounted files, one it did: the same channel, and the stub made on it before,
    are answered without a restart."""
    mounted = MountedSecret(tmp_path / "gateway-grpc-tls")
    mounted.write(pki.stranger.certificate, pki.stranger.key, pki.ours.certificate)
    with open_channel(server.address, GrpcTls(TlsFiles(mounted.certificate, mounted.key, mounted.ca))) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        with pytest.raises(grpc.RpcError) as refused:
            stub.Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE

        mounted.write(pki.client.certificate, pki.client.key, pki.ours.certificate)

        assert stub.Check(health_pb2.HealthCheckRequest(), timeout=5).status == health_pb2.HealthCheckResponse.SERVING


def test_a_certificate_and_the_key_of_another_are_refused_at_start_naming_both(pki):
    with pytest.raises(MissingSetting, match=r"LIANYI_GRPC_TLS_KEY: .*dispatch.key is not the key of the "
                                             r"certificate in .*intake.crt \(LIANYI_GRPC_TLS_CERT\)"):
        GrpcTls(TlsFiles(pki.server.certificate, pki.other.key, pki.ours.certificate))


def test_the_loaded_certificates_end_is_exported(pki):
    GrpcTls(TlsFiles(pki.server.certificate, pki.server.key))
    end = REGISTRY.get_sample_value(EXPIRY)
    assert end == _not_after(pki.server.certificate).timestamp()
    assert datetime.now(UTC) < datetime.fromtimestamp(end, UTC) <= datetime.now(UTC) + timedelta(days=1, minutes=5)
