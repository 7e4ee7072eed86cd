"""TLS between lianyi's processes: the credentials a gRPC server serves with and a client calls
with, from the PEM files the settings name (LIANYI_GRPC_TLS_CERT, _KEY and _CA).

One CA signs every process's certificate: a server presents its own and, when the CA is given,
requires the caller's (mutual TLS); a client checks the server's against the CA and presents its
own. No files configured: no TLS (the local run).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import grpc

from servicekit.config import MissingSetting, RuntimeSettings


@dataclass(frozen=True)
class GrpcTls:
    """This process's certificate chain and key, and the CA it trusts (None: the system's)."""

    certificate: bytes
    key: bytes
    ca: bytes | None = None

    @classmethod
    def from_settings(cls, runtime: RuntimeSettings) -> GrpcTls | None:
        """The files the settings name (which checked they come together), read now, or None
        when TLS is not configured. A file missing or not PEM stops the process here: grpc would
        only fail each handshake, with the reason in its own log."""
        if runtime.grpc_tls_cert is None or runtime.grpc_tls_key is None:
            return None
        ca = _pem("CA", runtime.grpc_tls_ca, "CERTIFICATE") if runtime.grpc_tls_ca is not None else None
        return cls(_pem("CERT", runtime.grpc_tls_cert, "CERTIFICATE"),
                   _pem("KEY", runtime.grpc_tls_key, "PRIVATE KEY"), ca)

    @property
    def mutual(self) -> bool:
        return self.ca is not None

    def server_credentials(self) -> grpc.ServerCredentials:
        """Serve with this certificate; with a CA, refuse callers without a certificate it signed."""
        return grpc.ssl_server_credentials([(self.key, self.certificate)], root_certificates=self.ca,
                                           require_client_auth=self.mutual)

    def channel_credentials(self) -> grpc.ChannelCredentials:
        """Check the server against the CA (its name against the host dialled) and present this
        process's certificate."""
        return grpc.ssl_channel_credentials(root_certificates=self.ca, private_key=self.key,
                                            certificate_chain=self.certificate)


def _pem(variable: str, path: Path, label: str) -> bytes:
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise MissingSetting(f"LIANYI_GRPC_TLS_{variable}: cannot read {path} ({exc.strerror})") from None
    # "PRIVATE KEY-----" also matches "RSA PRIVATE KEY" and "EC PRIVATE KEY".
    if f"{label}-----".encode() not in content:
        raise MissingSetting(f"LIANYI_GRPC_TLS_{variable}: {path} holds no PEM {label.lower()}")
    return content
