"""A gateway as production runs it (gunicorn, its config, several workers, the metrics port) on free
loopback ports, for tests that need more than one gateway or one whose upstreams differ from the
running system's."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from localrun import processes


@dataclass
class GatewayProcess:
    url: str  # the public port
    metrics_url: str  # http://host:port of the metrics port
    process: subprocess.Popen
    log: Path


@contextmanager
def running_gateway(directory: Path, env: dict[str, str]) -> Iterator[GatewayProcess]:
    """A gunicorn gateway with `env` over this process's environment, but on its own free ports and
    files under `directory`; ready (its /readyz answered 200) on entry, stopped on exit."""
    directory.mkdir(parents=True, exist_ok=True)
    public, metrics = (f"127.0.0.1:{processes.free_port()}" for _ in range(2))
    full_env = {**os.environ, **env, "LIANYI_VAR_DIR": str(directory), "LIANYI_GATEWAY_HTTP_ADDR": public,
                "LIANYI_GATEWAY_METRICS_ADDR": metrics, "PROMETHEUS_MULTIPROC_DIR": str(directory / "prometheus")}
    log = directory / "gateway.log"
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "python:services.gateway.gunicorn_conf",
             "services.gateway.app:create_app()"],
            env=full_env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=processes.die_with_parent)
    try:
        try:
            processes.wait_until_ready(f"http://{public}/readyz", 60, process)
        except (RuntimeError, TimeoutError) as exc:
            raise AssertionError(f"the gateway did not start ({exc}):\n{log.read_text()[-3000:]}") from None
        yield GatewayProcess(f"http://{public}", f"http://{metrics}", process, log)
    finally:
        processes.stop(process)
