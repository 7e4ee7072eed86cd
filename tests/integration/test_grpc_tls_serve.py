"""A domain service started as Kubernetes starts it (`python -m services.intake serve`, the
LIANYI_GRPC_TLS_* files and a maximum connection age in its environment) serves gRPC over
mutual TLS only, and closes each connection at the maximum age: the whole `serve` path, not a
server built by hand."""
from __future__ import annotations

import os
import secrets
import socket
import ssl
import struct
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from localrun import processes
from servicekit.grpc_client import open_channel
from servicekit.grpc_tls import GrpcTls, TlsFiles
from tests.tls_certificates import authority

REPO_ROOT = Path(__file__).resolve().parents[2]
MAX_AGE_S = 1.0
_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
_SETTINGS, _PING, _GOAWAY = 0x4, 0x6, 0x7


@pytest.fixture(scope="module")
def intake(broker, tmp_path_factory):
    directory = tmp_path_factory.mktemp("intake-tls")
    ours = authority(directory, "ours")
    server, client = ours.issue("intake", server=True), ours.issue("gateway", server=False)
    grpc_addr, http_addr = (f"127.0.0.1:{processes.free_port()}" for _ in range(2))
    env = {**os.environ, "LIANYI_VAR_DIR": str(directory), "LIANYI_BROKER": broker,
           "LIANYI_INTAKE_DATABASE_URL": f"sqlite:///{directory / 'intake.db'}",
           "LIANYI_INTAKE_GRPC_ADDR": grpc_addr, "LIANYI_INTAKE_HTTP_ADDR": http_addr,
           "LIANYI_AUTH_SIGNING_KEY": secrets.token_urlsafe(48),
           "LIANYI_GRPC_TLS_CERT": str(server.certificate), "LIANYI_GRPC_TLS_KEY": str(server.key),
           "LIANYI_GRPC_TLS_CA": str(ours.certificate),
           "LIANYI_GRPC_MAX_CONNECTION_AGE_S": str(MAX_AGE_S), "LIANYI_GRPC_MAX_CONNECTION_AGE_GRACE_S": "0.5"}
    migrate = subprocess.run([sys.executable, "-m", "services.intake", "migrate"], cwd=REPO_ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    assert migrate.returncode == 0, migrate.stderr
    log = directory / "intake.log"
    with open(log, "ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "services.intake", "serve"], cwd=REPO_ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True, preexec_fn=processes.die_with_parent)
    try:
        try:
            processes.wait_until_ready(f"http://{http_addr}/readyz", 60, process)
        except (RuntimeError, TimeoutError) as exc:
            raise AssertionError(f"intake did not start ({exc}):\n{log.read_text()[-3000:]}") from None
        yield SimpleNamespace(address=grpc_addr, ca=ours, client=client, log=log)
    finally:
        processes.stop(process)


def _health(channel: grpc.Channel) -> int:
    return health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5).status


def test_it_serves_mutual_tls_and_refuses_plaintext(intake):
    assert "serving gRPC on" in intake.log.read_text() and "(mutual TLS)" in intake.log.read_text()
    client = GrpcTls(TlsFiles(intake.client.certificate, intake.client.key, intake.ca.certificate))
    with open_channel(intake.address, client) as channel:
        assert _health(channel) == health_pb2.HealthCheckResponse.SERVING
    with open_channel(intake.address, None) as plaintext, pytest.raises(grpc.RpcError) as refused:
        _health(plaintext)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


def _frame(kind: int, flags: int = 0, payload: bytes = b"") -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + b"\0\0\0\0" + payload


def _read_exactly(conn: ssl.SSLSocket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed before a GOAWAY")
        data += chunk
    return data


def test_it_closes_each_connection_at_the_maximum_age(intake):
    """An HTTP/2 connection spoken by hand (the client's side of the handshake, nothing more):
    the server says GOAWAY, with no error, once LIANYI_GRPC_MAX_CONNECTION_AGE_S has passed
    (gRPC adds up to 10 % jitter); without the setting it would stay open for 300 s."""
    context = ssl.create_default_context(cafile=intake.ca.certificate)
    context.load_cert_chain(intake.client.certificate, intake.client.key)
    context.set_alpn_protocols(["h2"])
    host, port = intake.address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname="localhost") as conn:
        assert conn.selected_alpn_protocol() == "h2"
        opened = time.monotonic()
        conn.sendall(_PREFACE + _frame(_SETTINGS))
        while True:
            length, kind, flags = struct.unpack(">I", b"\0" + _read_exactly(conn, 3))[0], *_read_exactly(conn, 2)
            _read_exactly(conn, 4)
            payload = _read_exactly(conn, length)
            if kind == _SETTINGS and not flags & 0x1:
                conn.sendall(_frame(_SETTINGS, 0x1))  # acknowledged, as a client must
            elif kind == _PING and not flags & 0x1:
                conn.sendall(_frame(_PING, 0x1, payload))
            elif kind == _GOAWAY:
                break
        after = time.monotonic() - opened
    error_code = struct.unpack(">I", payload[4:8])[0]
    assert error_code == 0, (error_code, payload[8:])
    assert 0.8 * MAX_AGE_S <= after <= 1.1 * MAX_AGE_S + 2, after
