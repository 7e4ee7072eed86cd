"""A real dispatch process (`python -m services.dispatch`) killed with SIGKILL in the middle of a
delivery to the county platform: once it is started again, every delivery arrives and each is
applied once; the interrupted attempt stays on record."""
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from localrun import processes
from servicekit.ids import new_id
from services.dispatch.platform import storage
from tests.integration.platform_receiver import Platform

REPO = Path(__file__).resolve().parents[2]
SECRET = b"shared-with-the-county-platform"
NEIGHBOURHOOD = "0193b3c2-0000-7000-9000-00000000000a"


@pytest.fixture
def dispatch_db(tmp_path, migrated_db):
    url = f"sqlite:///{tmp_path / 'dispatch.db'}"
    return url, migrated_db("dispatch", url)


def start_dispatch(url: str, platform_url: str, broker: str, tmp_path: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "LIANYI_VAR_DIR": str(tmp_path / "var"), "LIANYI_BROKER": broker,
           "LIANYI_AUTH_SIGNING_KEY": "k" * 40, "LIANYI_DISPATCH_DATABASE_URL": url,
           "LIANYI_DISPATCH_GRPC_ADDR": f"127.0.0.1:{processes.free_port()}",
           "LIANYI_DISPATCH_HTTP_ADDR": f"127.0.0.1:{processes.free_port()}",
           "LIANYI_DISPATCH_PLATFORM_URL": platform_url, "LIANYI_DISPATCH_PLATFORM_SECRET": SECRET.decode(),
           "LIANYI_DISPATCH_PLATFORM_TIMEOUT_S": "2"}
    env.pop("LIANYI_TEST_CLOCK_FILE", None)
    log = (tmp_path / "dispatch.log").open("ab")
    return subprocess.Popen([sys.executable, "-m", "services.dispatch", "serve"], cwd=REPO, env=env,
                            stdout=log, stderr=subprocess.STDOUT, preexec_fn=processes.die_with_parent)


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_dispatch_process_killed_mid_delivery_delivers_everything_once_after_restart(dispatch_db, broker, tmp_path):
    url, db = dispatch_db
    keys = []
    with db.write() as tx:
        for task in ("task-1", "task-2", "task-1"):
            keys.append(new_id())
            storage.enqueue(tx.conn, delivery_id=keys[-1], task_id=task, neighbourhood_id=NEIGHBOURHOOD,
                            event_type="task.escalated", body={"task_id": task}, at=datetime.now(UTC))

    def delivered() -> bool:
        with db.read() as conn:
            return all(d.state == "delivered" for d in storage.list_deliveries(conn))

    with Platform(SECRET, lambda: datetime.now(UTC), hold_first=True) as platform:
        first = start_dispatch(url, platform.url, broker, tmp_path)
        try:
            # The platform applied the first request and holds it open: the kill lands before the answer.
            assert platform.holding.wait(60), (tmp_path / "dispatch.log").read_text()[-3000:]
            first.send_signal(signal.SIGKILL)
            assert first.wait(10) == -signal.SIGKILL
        finally:
            if first.poll() is None:
                first.kill()
        (held,) = platform.applied
        with db.read() as conn:
            interrupted = {d.delivery_id: d for d in storage.list_deliveries(conn)}[held]
        assert interrupted.state == "pending" and [(a.status, a.error) for a in interrupted.history] == \
            [(0, storage.IN_FLIGHT)], "the interrupted attempt is on record, without an outcome"
        platform.release.set()

        second = start_dispatch(url, platform.url, broker, tmp_path)
        try:
            # The dead process's lease (15 s) runs out first.
            wait_for(delivered, 90, "every delivery to be delivered")
        finally:
            stopped = processes.stop(second)
    assert stopped == 0, "the restarted process stops in order"
    assert sorted(platform.applied) == sorted(keys), "every delivery applied, each once"
    assert [(r.attempt, r.status) for r in platform.seen(held)][-1] == (2, 200)
    assert platform.applied.index(keys[0]) < platform.applied.index(keys[2]), "one task's events in order"
    with db.read() as conn:
        history = {d.delivery_id: d.history for d in storage.list_deliveries(conn)}[held]
    assert [(a.number, a.status) for a in history] == [(1, 0), (2, 200)]
