"""TLS between lianyi's processes: the credentials a gRPC server serves with and a client calls
with, from the PEM files the settings name (LIANYI_GRPC_TLS_CERT, _KEY and _CA).

One CA signs every process's certificate: a server presents its own and, when the CA is given,
requires the caller's (mutual TLS); a client checks the server's against the CA and presents its
own. No files configured: no TLS (the local run).

The files change under a running process: cert-manager renews each certificate (90 days) a month
before its end and the kubelet swaps the mounted files. So they are read again whenever they
change, and a process presents the new certificate without a restart: a server from its next
handshake on (grpc asks `server_credentials`' fetcher before each), a client from its next call
(servicekit.grpc_client rebuilds its channel). A change that cannot be used (a certificate with
another's key, half written) is logged and the files loaded before stay in use.
"""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import grpc
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from servicekit import metrics
from servicekit.config import MissingSetting, RuntimeSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TlsFiles:
    """Where this process's certificate chain, its key and the CA it trusts (None: the system's) are."""

    certificate: Path
    key: Path
    ca: Path | None = None


@dataclass(frozen=True)
class TlsMaterial:
    """One reading of the files: their contents, checked to belong together."""

    certificate: bytes
    key: bytes
    ca: bytes | None
    not_after: datetime  # the certificate's end of validity (UTC)


class GrpcTls:
    """This process's TLS files and what was last read from them, read again when they change."""

    def __init__(self, files: TlsFiles):
        self.files = files
        self._lock = threading.Lock()
        self._seen = _signature(files)
        # At start, files that cannot be used stop the process here, naming the variable: grpc
        # would only fail each handshake (or the bind), with the reason in its own log.
        self._material = read(files)
        self._reported: tuple[object, ...] | None = None
        metrics.grpc_tls_certificate_expiry.set(self._material.not_after.timestamp())

    @classmethod
    def from_settings(cls, runtime: RuntimeSettings) -> GrpcTls | None:
        """The files the settings name (which checked they come together), read now, or None
        when TLS is not configured."""
        if runtime.grpc_tls_cert is None or runtime.grpc_tls_key is None:
            return None
        return cls(TlsFiles(runtime.grpc_tls_cert, runtime.grpc_tls_key, runtime.grpc_tls_ca))

    @property
    def mutual(self) -> bool:
        return self.files.ca is not None

    def current(self) -> TlsMaterial:
        """What the files hold now: read again if any of them changed since last asked (three
        stat calls otherwise). A change that cannot be used keeps the material before it."""
        seen = _signature(self.files)
        if seen == self._seen:
            return self._material
        with self._lock:
            if seen == self._seen:
                return self._material
            try:
                material = read(self.files)
            except MissingSetting as exc:
                # Not remembered as seen: asked again, it is read again (a file half written now
                # is whole soon). Reported once per change.
                if self._reported != seen:
                    self._reported = seen
                    log.warning("the gRPC TLS files changed but cannot be used; keeping those loaded before, "
                                "valid until %s: %s", self._material.not_after.isoformat(), exc)
                return self._material
            self._seen, self._material = seen, material
        metrics.grpc_tls_certificate_expiry.set(material.not_after.timestamp())
        log.info("gRPC TLS files reloaded: the certificate is now valid until %s", material.not_after.isoformat())
        return material

    def server_credentials(self) -> grpc.ServerCredentials:
        """Serve with the current certificate, and with each new one from the next handshake on;
        with a CA, refuse callers without a certificate it signed."""
        served = [self.current()]

        def fetch() -> grpc.ServerCertificateConfiguration | None:
            # grpc calls this before every handshake; None keeps the configuration it has.
            material = self.current()
            if material is served[0]:
                return None
            served[0] = material
            return _server_configuration(material)

        # The stubs type the fetcher without None; grpc's own documentation gives None that meaning.
        return grpc.dynamic_ssl_server_credentials(_server_configuration(served[0]), fetch,  # type: ignore[arg-type]
                                                   require_client_authentication=self.mutual)

    def channel_credentials(self, material: TlsMaterial | None = None) -> grpc.ChannelCredentials:
        """Check the server against the CA (its name against the host dialled) and present this
        process's certificate (of `material`, or the current one)."""
        material = material or self.current()
        return grpc.ssl_channel_credentials(root_certificates=material.ca, private_key=material.key,
                                            certificate_chain=material.certificate)


def _server_configuration(material: TlsMaterial) -> grpc.ServerCertificateConfiguration:
    return grpc.ssl_server_certificate_configuration([(material.key, material.certificate)],
                                                     root_certificates=material.ca)


def _signature(files: TlsFiles) -> tuple[object, ...]:
    """What tells a changed file: the kubelet swaps a directory link (a new inode), an editor or
    `cp` rewrites in place (a new modification time or size). A missing file is a change too."""
    stamps: list[object] = []
    for path in (files.certificate, files.key, files.ca):
        if path is None:
            continue
        try:
            stat = os.stat(path)
        except OSError as exc:
            stamps.append(exc.errno)
        else:
            stamps.append((stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_size))
    return tuple(stamps)


def read(files: TlsFiles) -> TlsMaterial:
    """The files' contents, or MissingSetting naming the variable whose file cannot be used: not
    readable, not PEM, or a key that is not the certificate's."""
    certificate = _pem("CERT", files.certificate, "CERTIFICATE")
    key = _pem("KEY", files.key, "PRIVATE KEY")
    ca = _pem("CA", files.ca, "CERTIFICATE") if files.ca is not None else None
    try:
        leaf = x509.load_pem_x509_certificate(certificate)  # the chain's first: this process's own
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise MissingSetting(f"LIANYI_GRPC_TLS_CERT: {files.certificate} holds no certificate that can be read "
                             f"({exc})") from None
    try:
        private_key = serialization.load_pem_private_key(key, password=None)
    # TypeError: encrypted, and no password to give; UnsupportedAlgorithm: a key type not supported.
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise MissingSetting(f"LIANYI_GRPC_TLS_KEY: {files.key} holds no unencrypted private key that can be read "
                             f"({exc})") from None
    if ca is not None:
        try:
            x509.load_pem_x509_certificates(ca)
        except ValueError as exc:
            raise MissingSetting(f"LIANYI_GRPC_TLS_CA: {files.ca} holds no certificate that can be read "
                                 f"({exc})") from None
    # grpc would take a mismatched pair and fail to bind ("Failed to bind to address"), or fail
    # each handshake: say which files do not belong together instead.
    if _public(leaf.public_key()) != _public(private_key.public_key()):
        raise MissingSetting(f"LIANYI_GRPC_TLS_KEY: {files.key} is not the key of the certificate in "
                             f"{files.certificate} (LIANYI_GRPC_TLS_CERT): the two must come from one Secret "
                             "(tls.crt and tls.key)")
    return TlsMaterial(certificate, key, ca, leaf.not_valid_after_utc)


def _public(key: object) -> bytes:
    return key.public_bytes(serialization.Encoding.DER,  # type: ignore[attr-defined, no-any-return]
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def _pem(variable: str, path: Path, label: str) -> bytes:
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise MissingSetting(f"LIANYI_GRPC_TLS_{variable}: cannot read {path} ({exc.strerror})") from None
    # "PRIVATE KEY-----" also matches "RSA PRIVATE KEY" and "EC PRIVATE KEY".
    if f"{label}-----".encode() not in content:
        raise MissingSetting(f"LIANYI_GRPC_TLS_{variable}: {path} holds no PEM {label.lower()}")
    return content
