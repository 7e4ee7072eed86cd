"""The gateway's metrics port belongs to gunicorn's master alone: its workers, forked after the
master started serving it, do not keep a copy of the listening socket (which would hold the port
after the master died). Read from /proc: the listening socket's inode, and whose descriptors
point at it."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest
import requests

from localrun import processes
from tests.gateway_process import running_gateway

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc")


def _listening_inode(port: int) -> str:
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":  # 0A: LISTEN
            return fields[9]
    raise AssertionError(f"nothing listens on {port}")


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    return inodes


def _children(pid: int) -> list[int]:
    return [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()]


def test_only_the_master_holds_the_metrics_socket(tmp_path):
    nowhere = f"127.0.0.1:{processes.free_port()}"
    env = {"LIANYI_AUTH_SIGNING_KEY": secrets.token_urlsafe(48), "LIANYI_GATEWAY_WORKERS": "2",
           **{f"LIANYI_{name}_GRPC_ADDR": nowhere for name in ("INTAKE", "DELIBERATION", "DISPATCH", "EVALUATION")}}
    with running_gateway(tmp_path, env) as gateway:
        assert requests.get(f"{gateway.metrics_url}/metrics", timeout=10).status_code == 200
        metrics_socket = _listening_inode(int(gateway.metrics_url.rsplit(":", 1)[1]))
        workers = _children(gateway.process.pid)
        assert len(workers) == 2, workers
        assert metrics_socket in _socket_inodes(gateway.process.pid)
        assert [pid for pid in workers if metrics_socket in _socket_inodes(pid)] == []
