"""`make run`'s launcher: everything comes up on an empty var/, and Ctrl-C leaves no process behind."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from localrun.supervisor import Addresses
from tests.e2e.conftest import FAST_KAFKA, submission


def _processes_with(marker: str) -> list[int]:
    """Pids whose environment carries `marker` (our children inherit LIANYI_VAR_DIR)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def test_launcher_serves_then_stops_everything_on_ctrl_c(tmp_path):
    addresses = Addresses.free()
    var_dir = tmp_path / "var"
    env = {**os.environ, **FAST_KAFKA, "LIANYI_VAR_DIR": str(var_dir), "LIANYI_BROKER": addresses.broker,
           "LIANYI_GATEWAY_HTTP_ADDR": addresses.gateway}
    for name, address in addresses.grpc.items():
        env[f"LIANYI_{name.upper()}_GRPC_ADDR"] = address
        env[f"LIANYI_{name.upper()}_HTTP_ADDR"] = addresses.http[name]
    launcher = subprocess.Popen([sys.executable, "-m", "localrun"], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        banner = ""
        deadline = time.monotonic() + 90
        while "Press Ctrl-C" not in banner and time.monotonic() < deadline:
            line = launcher.stdout.readline()
            assert line, f"launcher exited early:\n{banner}"
            banner += line
        assert f"http://{addresses.gateway}" in banner
        demo = json.loads((var_dir / "demo-credentials.json").read_text())
        response = requests.post(f"http://{addresses.gateway}/api/v1/concerns", timeout=10,
                                 json=submission(demo["neighbourhoods"]["N1"]),
                                 headers={"X-Api-Key": demo["api_key"]["api_key"]})
        assert response.status_code == 201, response.text
        assert len(_processes_with(f"LIANYI_VAR_DIR={var_dir}")) >= 6  # launcher, 4 services, gateway

        launcher.send_signal(signal.SIGINT)
        assert launcher.wait(60) == 0
    finally:
        if launcher.poll() is None:
            launcher.kill()
    time.sleep(0.5)
    assert _processes_with(f"LIANYI_VAR_DIR={var_dir}") == [], "orphans left behind"
    assert {p.name for p in var_dir.glob("*.db")} == {"intake.db", "deliberation.db", "dispatch.db", "evaluation.db"}
    assert (var_dir / "signing-key").stat().st_mode & 0o077 == 0, "the signing key is readable by others"
