"""gRPC transport settings: plaintext and a maximum connection age by default, TLS only when it is
configured completely, and the processes refuse to start with certificates they cannot use."""
from __future__ import annotations

import json
import logging

import pytest
from pydantic import ValidationError

from servicekit import service
from servicekit.config import MissingSetting, RuntimeSettings
from servicekit.grpc_client import service_config
from servicekit.grpc_server import connection_age_options
from servicekit.grpc_tls import GrpcTls, TlsFiles
from services.intake import wiring
from tests.tls_certificates import authority

CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"


@pytest.fixture
def logging_kept():
    """Starting a process sends every log record to stdout as JSON; pytest's capture stays."""
    root, kafka = logging.getLogger(), logging.getLogger("kafka")
    handlers, level, kafka_level = root.handlers[:], root.level, kafka.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    kafka.setLevel(kafka_level)


@pytest.fixture
def files(tmp_path):
    (tmp_path / "tls.crt").write_text(CERTIFICATE)
    (tmp_path / "tls.key").write_text(KEY)
    (tmp_path / "ca.crt").write_text(CERTIFICATE)
    return tmp_path


def test_without_settings_grpc_is_plaintext_with_a_maximum_connection_age():
    runtime = RuntimeSettings()
    assert GrpcTls.from_settings(runtime) is None
    assert runtime.grpc_max_connection_age_s == 300 and runtime.grpc_max_connection_age_grace_s == 30
    assert connection_age_options(300, 30) == [("grpc.max_connection_age_ms", 300_000),
                                               ("grpc.max_connection_age_grace_ms", 30_000)]
    assert connection_age_options(None, 30) == []


def test_channels_balance_round_robin_and_keep_the_callers_method_settings():
    method = {"name": [{"service": "lianyi.intake.v1.IntakeService"}], "timeout": "1s"}
    config = json.loads(service_config([method]))
    assert config == {"loadBalancingConfig": [{"round_robin": {}}], "methodConfig": [method]}


@pytest.mark.parametrize("given, problem", [
    ({"grpc_tls_cert": "tls.crt"}, "LIANYI_GRPC_TLS_CERT and LIANYI_GRPC_TLS_KEY go together"),
    ({"grpc_tls_key": "tls.key"}, "LIANYI_GRPC_TLS_CERT and LIANYI_GRPC_TLS_KEY go together"),
    ({"grpc_tls_ca": "ca.crt"}, "LIANYI_GRPC_TLS_CA .mutual TLS. needs LIANYI_GRPC_TLS_CERT"),
    ({"grpc_tls_cert": "tls.crt", "grpc_tls_ca": "ca.crt"}, "go together"),
])
def test_half_configured_tls_is_refused(files, given, problem):
    with pytest.raises(ValidationError, match=problem):
        RuntimeSettings(**{name: files / file for name, file in given.items()})


def test_complete_settings_give_the_files_contents(tmp_path):
    ca = authority(tmp_path, "ours")
    issued = ca.issue("intake", server=True)
    tls = GrpcTls.from_settings(RuntimeSettings(grpc_tls_cert=issued.certificate, grpc_tls_key=issued.key,
                                                grpc_tls_ca=ca.certificate))
    assert tls is not None and tls.mutual
    assert tls.files == TlsFiles(issued.certificate, issued.key, ca.certificate)
    material = tls.current()
    assert (material.certificate, material.key, material.ca) == (
        issued.certificate.read_bytes(), issued.key.read_bytes(), ca.certificate.read_bytes())
    one_way = GrpcTls.from_settings(RuntimeSettings(grpc_tls_cert=issued.certificate, grpc_tls_key=issued.key))
    assert one_way is not None and not one_way.mutual


@pytest.mark.parametrize("variable, change, problem", [
    ("LIANYI_GRPC_TLS_CERT", "missing", "LIANYI_GRPC_TLS_CERT: cannot read"),
    ("LIANYI_GRPC_TLS_KEY", "tls.crt", "LIANYI_GRPC_TLS_KEY: .* holds no PEM private key"),
    ("LIANYI_GRPC_TLS_CA", "tls.key", "LIANYI_GRPC_TLS_CA: .* holds no PEM certificate"),
])
def test_a_service_refuses_to_serve_with_certificates_it_cannot_use(files, monkeypatch, logging_kept, variable, change,
                                                                    problem):
    monkeypatch.setenv("LIANYI_VAR_DIR", str(files))
    monkeypatch.setenv("LIANYI_AUTH_SIGNING_KEY", "s" * 40)
    for name, file in (("CERT", "tls.crt"), ("KEY", "tls.key"), ("CA", "ca.crt")):
        monkeypatch.setenv(f"LIANYI_GRPC_TLS_{name}", str(files / file))
    monkeypatch.setenv(variable, str(files / change))
    with pytest.raises(SystemExit, match=problem):
        service.main("intake", wiring.build, ["serve"])


def test_the_gateway_refuses_to_start_with_certificates_it_cannot_read(files, monkeypatch, logging_kept):
    from services.gateway.app import create_app

    monkeypatch.setenv("LIANYI_AUTH_SIGNING_KEY", "s" * 40)
    monkeypatch.setenv("LIANYI_GRPC_TLS_CERT", str(files / "tls.crt"))
    monkeypatch.setenv("LIANYI_GRPC_TLS_KEY", str(files / "gone.key"))
    with pytest.raises(MissingSetting, match="LIANYI_GRPC_TLS_KEY: cannot read"):
        create_app()
