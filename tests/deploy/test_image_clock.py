"""The movable test clock cannot be switched on in production.

The image has no `localrun` (test_image_contents.py), and the clock that tests move lives there.
Here the image's own entrypoints run where localrun cannot be imported, as in the image, with
LIANYI_TEST_CLOCK_FILE set: each stops with the reason, instead of serving on real time while
someone believes it moved (or respawning for ever, in gunicorn's case). The manifests never
set the variable in the first place.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from localrun import processes
from servicekit.clock import TEST_CLOCK_VARIABLE

REPO_ROOT = Path(__file__).resolve().parents[2]
REASON = "the movable clock exists only in local runs and tests"


def _as_in_the_image(tmp_path: Path, **env: str) -> dict[str, str]:
    """An environment where `localrun` is not importable (a package of that name that refuses
    to import comes first on the path) and the movable clock is asked for."""
    shadow = tmp_path / "shadow" / "localrun"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('no localrun in the production image')\n")
    clock_file = tmp_path / "test-clock"
    clock_file.write_text("0.000000\n")
    return {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(shadow.parent), "LIANYI_VAR_DIR": str(tmp_path / "var"),
            "LIANYI_AUTH_SIGNING_KEY": "k" * 40, TEST_CLOCK_VARIABLE: str(clock_file), **env}


def test_a_service_of_the_image_refuses_to_serve_on_a_movable_clock(tmp_path):
    env = _as_in_the_image(tmp_path, LIANYI_INTAKE_DATABASE_URL=f"sqlite:///{tmp_path / 'intake.db'}",
                           LIANYI_INTAKE_GRPC_ADDR=f"127.0.0.1:{processes.free_port()}",
                           LIANYI_INTAKE_HTTP_ADDR=f"127.0.0.1:{processes.free_port()}")
    served = subprocess.run([sys.executable, "-m", "services.intake", "serve"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert served.returncode != 0
    assert REASON in served.stderr, served.stderr[-2000:]


def test_the_gateway_of_the_image_stops_rather_than_serve_on_a_movable_clock(tmp_path):
    env = _as_in_the_image(tmp_path, LIANYI_GATEWAY_HTTP_ADDR=f"127.0.0.1:{processes.free_port()}",
                           LIANYI_GATEWAY_WORKERS="1")
    # The image's command line (Dockerfile CMD).
    gateway = subprocess.run([sys.executable, "-m", "gunicorn", "--config", "python:services.gateway.gunicorn_conf",
                              "services.gateway.app:create_app()"], env=env, cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)
    assert gateway.returncode == 3, "gunicorn halts on a worker that cannot boot (WORKER_BOOT_ERROR)"
    assert REASON in gateway.stderr, gateway.stderr[-2000:]


def test_no_manifest_asks_for_the_movable_clock():
    naming = [str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / "deploy").rglob("*")
              if p.is_file() and TEST_CLOCK_VARIABLE in p.read_text(errors="replace")]
    assert naming == []
