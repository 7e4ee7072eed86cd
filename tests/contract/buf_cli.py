"""The Buf CLI as the contract tests run it: on a workspace (a folder holding buf.yaml and proto/)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2

REPOSITORY = Path(__file__).resolve().parents[2]
SNAPSHOT = REPOSITORY / "proto" / "contract.binpb"
# The flags `make proto-snapshot` builds the snapshot with: without source info, so comments and
# layout are not contract. Keep the two in step (the snapshot freshness test holds them together).
SNAPSHOT_FLAGS = ("--exclude-source-info",)
# buf's exit code when it ran and found problems (lint or breaking); anything else non-zero is
# buf failing to run at all (a syntax error, a missing --against file).
FOUND_PROBLEMS = 100


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    column: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message} [{self.rule}]"


def buf_binary() -> Path:
    """The buf binary of this environment (buf-bin from the dev extras); a missing one fails, not skips."""
    installed = Path(sysconfig.get_path("scripts")) / "buf"
    if installed.is_file():
        return installed
    on_path = shutil.which("buf")
    if on_path:
        return Path(on_path)
    pytest.fail(
        f"the buf binary is missing (not in {installed.parent} nor on PATH): the contract checks "
        "need it; `make install` installs buf-bin from pyproject.toml's dev extras",
        pytrace=False,
    )


def _run(workspace: Path, *args: str) -> list[Finding]:
    result = subprocess.run(
        [str(buf_binary()), *args, "--error-format=json"],
        cwd=workspace, capture_output=True, text=True, timeout=60,
    )
    findings = [_finding(line) for line in result.stdout.splitlines() if line.strip()]
    compiled = not any(f.rule == "COMPILE" for f in findings)
    found_problems = result.returncode == FOUND_PROBLEMS
    if not compiled or result.returncode not in (0, FOUND_PROBLEMS) or found_problems != bool(findings):
        pytest.fail(f"buf {' '.join(args)} failed to run (exit {result.returncode}):\n"
                    + "\n".join(map(str, findings)) + result.stderr, pytrace=False)
    return findings


def _finding(line: str) -> Finding:
    raw = json.loads(line)
    return Finding(raw.get("path", "<input>"), raw.get("start_line", 0), raw.get("start_column", 0),
                   raw["type"], raw["message"])


def breaking_changes(workspace: Path, against: Path) -> list[Finding]:
    """What `buf breaking proto --against <image>` reports for the workspace, under its buf.yaml."""
    return _run(workspace, "breaking", "proto", "--against", str(against))


def lint_problems(workspace: Path) -> list[Finding]:
    """What `buf lint` reports for the workspace, under its buf.yaml."""
    return _run(workspace, "lint")


def build_image(workspace: Path, out: Path, *, source_info: bool = False) -> Path:
    """Build proto/ into an image at `out`, with the snapshot's flags unless source info is asked for."""
    flags = () if source_info else SNAPSHOT_FLAGS
    _run(workspace, "build", "proto", *flags, "-o", str(out))
    return out


def descriptor_set(image: Path) -> descriptor_pb2.FileDescriptorSet:
    """An image parsed as the FileDescriptorSet it is on the wire (buf's own additions kept as unknown fields)."""
    return descriptor_pb2.FileDescriptorSet.FromString(image.read_bytes())
