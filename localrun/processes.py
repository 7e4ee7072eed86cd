"""Starting and stopping child processes without leaving orphans."""
from __future__ import annotations

import ctypes
import os
import random
import signal
import socket
import subprocess
import time
import urllib.request

_PR_SET_PDEATHSIG = 1


# Loaded here, in the parent: the child between fork and exec may only call what needs no lock
# another thread could have held at the fork (the supervisor forks while threads migrate
# databases), and loading a library takes the dynamic loader's lock.
try:
    _PRCTL = ctypes.CDLL("libc.so.6", use_errno=True).prctl
except OSError:  # not Linux: orderly shutdown still stops children
    _PRCTL = None


def die_with_parent() -> None:
    """In a child before exec: have the kernel send SIGTERM if the parent dies, even by SIGKILL."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


# Ports for our own listeners come from below the kernel's ephemeral range (32768+ on Linux):
# a port the kernel handed out (bind to 0) could be taken by an outgoing connection in the
# moment between choosing it and the child process binding it.
# Each pytest-xdist worker chooses from its own part of the range: the record of ports handed out
# is per process, and two workers could otherwise hand out one port between choosing and binding.
_LISTEN_PORTS = range(20_000, 32_000)
_handed_out: set[int] = set()


def _ports() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1" ... under pytest-xdist
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if not worker.startswith("gw") or count < 2:
        return _LISTEN_PORTS
    share = len(_LISTEN_PORTS) // count
    start = _LISTEN_PORTS.start + int(worker[2:]) % count * share
    return range(start, start + share)


def free_port() -> int:
    """A loopback port nobody listens on now, not handed out before by this process."""
    ports = _ports()
    for port in random.sample(ports, min(200, len(ports))):
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port found in {ports.start}-{ports.stop - 1}")


def wait_for_port(address: str, timeout_s: float, process: subprocess.Popen | None = None) -> None:
    host, port = address.rsplit(":", 1)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {address}")
        try:
            with socket.create_connection((host, int(port)), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {address} after {timeout_s}s")


def wait_until_ready(url: str, timeout_s: float, process: subprocess.Popen | None = None) -> None:
    """Poll a /readyz URL until it answers 200."""
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} was ready")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError as exc:
            last = str(exc)
        time.sleep(0.1)
    raise TimeoutError(f"{url} not ready after {timeout_s}s: {last}")


def stop(process: subprocess.Popen, timeout_s: float = 15) -> int:
    """SIGTERM, then SIGKILL if it has not exited in time; returns the exit code."""
    return stop_all([process], timeout_s)[0]


def stop_all(started: list[subprocess.Popen], timeout_s: float = 15) -> list[int]:
    """SIGTERM to each at once, then SIGKILL to any still running after `timeout_s`; returns the
    exit codes."""
    for process in started:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + timeout_s
    for process in started:
        try:
            process.wait(max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return [process.returncode for process in started]
