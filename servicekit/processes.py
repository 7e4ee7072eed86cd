"""Starting and stopping child processes without leaving orphans."""
from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
import time
import urllib.request

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In a child before exec: have the kernel send SIGTERM if the parent dies, even by SIGKILL."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: orderly shutdown still stops children


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode
