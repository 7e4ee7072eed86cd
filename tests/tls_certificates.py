"""Real certificates for tests, made with the `openssl` command line: a CA, and certificates it
signs for a server on loopback (localhost, 127.0.0.1) and for a client, as PEM files."""
from __future__ import annotations

import os
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

    def issue(self, subject: str, *, server: bool, days: int = 1, stem_suffix: str = "") -> Issued:
        """A certificate for `subject`, signed by this CA, valid for `days`: for a server (names
        localhost and 127.0.0.1, usable by clients too) or for a client only. Another
        `stem_suffix` issues a second one (a renewal) beside the first."""
        stem = self.directory / f"{self.name}-{subject}{stem_suffix}"
        _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-keyout", f"{stem}.key", "-out", f"{stem}.csr", "-subj", f"/CN={subject}")
        extensions = stem.with_suffix(".ext")
        extensions.write_text(
            "basicConstraints=critical,CA:FALSE\n"
            + ("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n" if server
               else f"subjectAltName=DNS:{subject}\nextendedKeyUsage=clientAuth\n"))
        _openssl("x509", "-req", "-in", f"{stem}.csr", "-CA", str(self.certificate), "-CAkey", str(self.key),
                 "-CAcreateserial", "-days", str(days), "-sha256", "-extfile", str(extensions), "-out", f"{stem}.crt")
        return Issued(Path(f"{stem}.crt"), Path(f"{stem}.key"))


class MountedSecret:
    """A kubernetes.io/tls Secret as the kubelet mounts it: tls.crt, tls.key and ca.crt are links
    into `..data`, itself a link to a directory of this version's files; an update writes a new
    directory and swaps `..data` in one rename (its AtomicWriter), as after cert-manager renews."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.version = 0
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def certificate(self) -> Path:
        return self.directory / "tls.crt"

    @property
    def key(self) -> Path:
        return self.directory / "tls.key"

    @property
    def ca(self) -> Path:
        return self.directory / "ca.crt"

    def write(self, certificate: Path, key: Path, ca: Path) -> None:
        self.version += 1
        files = self.directory / f"..v{self.version}"
        files.mkdir()
        for name, source in (("tls.crt", certificate), ("tls.key", key), ("ca.crt", ca)):
            shutil.copyfile(source, files / name)
        swap = self.directory / "..data_tmp"
        swap.symlink_to(files.name)
        os.replace(swap, self.directory / "..data")
        for name in ("tls.crt", "tls.key", "ca.crt"):
            if not (self.directory / name).is_symlink():
                (self.directory / name).symlink_to(f"..data/{name}")


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
