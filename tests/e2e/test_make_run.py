"""`make run`'s launcher, run after every other test (tests/conftest.py orders it last): on the
default addresses it comes up on an empty var/ right after the rest of the suite, serves, and
Ctrl-C leaves no process behind and every port free for the next `make run`."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from localrun import ports
from localrun.supervisor import Addresses
from servicekit.config import SERVICES
from tests.e2e.conftest import FAST_KAFKA, submission

# Cleared from the launcher's environment, so that it runs on the defaults whatever the caller set.
ADDRESS_VARIABLES = {"LIANYI_BROKER", "LIANYI_GATEWAY_HTTP_ADDR", "LIANYI_GATEWAY_METRICS_ADDR",
                     *(f"LIANYI_{name.upper()}_{kind}_ADDR" for name in SERVICES for kind in ("GRPC", "HTTP"))}


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


def _require_free(defaults: Addresses) -> None:
    """Skip when something else holds a default port (a developer's open `make run`); with CI set, fail."""
    taken = ports.conflicts(defaults.wanted())
    if not taken:
        return
    reason = "make run's default ports are taken:\n  " + "\n  ".join(taken)
    if os.environ.get("CI"):
        pytest.fail(reason + "\n(CI is set, so the defaults must come up)")
    pytest.skip(reason + "\n(with CI set this fails)")


def test_launcher_serves_on_the_default_addresses_after_the_suite_then_stops_everything_on_ctrl_c(
        tmp_path, request):
    assert request.session.items[-1] is request.node, "this check belongs after every other test"
    defaults = Addresses()
    _require_free(defaults)
    var_dir = tmp_path / "var"
    env = {key: value for key, value in os.environ.items() if key not in ADDRESS_VARIABLES}
    env.update({**FAST_KAFKA, "LIANYI_VAR_DIR": str(var_dir)})
    launcher = subprocess.Popen([sys.executable, "-m", "localrun"], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        banner = ""
        deadline = time.monotonic() + 90
        while "Press Ctrl-C" not in banner and time.monotonic() < deadline:
            line = launcher.stdout.readline()
            assert line, f"launcher exited early:\n{banner}"
            banner += line
        assert "gateway:  http://127.0.0.1:8080\n" in banner and "broker:   127.0.0.1:9092\n" in banner, banner
        demo = json.loads((var_dir / "demo-credentials.json").read_text())
        response = requests.post("http://127.0.0.1:8080/api/v1/concerns", timeout=10,
                                 json=submission(demo["neighbourhoods"]["N1"]),
                                 headers={"X-Api-Key": demo["api_key"]["api_key"]})
        assert response.status_code == 201, response.text
        for name in SERVICES:  # each service on its own default port
            assert requests.get(f"http://{defaults.http[name]}/readyz", timeout=10).status_code == 200
        assert len(_processes_with(f"LIANYI_VAR_DIR={var_dir}")) >= 6  # launcher, 4 services, gateway

        launcher.send_signal(signal.SIGINT)
        assert launcher.wait(60) == 0
    finally:
        if launcher.poll() is None:
            launcher.kill()
    time.sleep(0.5)
    assert _processes_with(f"LIANYI_VAR_DIR={var_dir}") == [], "orphans left behind"
    assert ports.conflicts(defaults.wanted()) == [], "a second make run could not start at once"
    assert {p.name for p in var_dir.glob("*.db")} == {"intake.db", "deliberation.db", "dispatch.db", "evaluation.db"}
    assert (var_dir / "signing-key").stat().st_mode & 0o077 == 0, "the signing key is readable by others"
