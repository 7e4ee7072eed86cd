"""Real certificates for tests, made with the `openssl` command line: a CA, and certificates it
signs for a server on loopback (localhost, 127.0.0.1) and for a client, as PEM files."""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Issued:
    certificate: Path
    key: Path


@dataclass(frozen=True)
class Authority:
    """A CA that signs certificates into `directory`."""

    directory: Path
    name: str

    @property
    def certificate(self) -> Path:
        return self.directory / f"{self.name}-ca.crt"

    @property
    def key(self) -> Path:
        return self.directory / f"{self.name}-ca.key"

    def issue(self, subject: str, *, server: bool) -> Issued:
        """A certificate for `subject`, signed by this CA: for a server (names localhost and
        127.0.0.1, usable by clients too) or for a client only."""
        stem = self.directory / f"{self.name}-{subject}"
        _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-keyout", f"{stem}.key", "-out", f"{stem}.csr", "-subj", f"/CN={subject}")
        extensions = stem.with_suffix(".ext")
        extensions.write_text(
            "basicConstraints=critical,CA:FALSE\n"
            + ("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n" if server
               else f"subjectAltName=DNS:{subject}\nextendedKeyUsage=clientAuth\n"))
        _openssl("x509", "-req", "-in", f"{stem}.csr", "-CA", str(self.certificate), "-CAkey", str(self.key),
                 "-CAcreateserial", "-days", "1", "-sha256", "-extfile", str(extensions), "-out", f"{stem}.crt")
        return Issued(Path(f"{stem}.crt"), Path(f"{stem}.key"))


def authority(directory: Path, name: str) -> Authority:
    """A new self-signed CA called `name`, valid for a day."""
    made = Authority(directory, name)
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
             "-keyout", str(made.key), "-out", str(made.certificate), "-subj", f"/CN=lianyi test CA {name}",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return made


def _openssl(*args: str) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("the openssl command is needed to make the tests' certificates")
    proc = subprocess.run([openssl, *args], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, f"openssl {args[0]} failed:\n{proc.stderr}"
