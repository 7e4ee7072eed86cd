"""Housekeeping on real databases: exactly the rows past their retention go, in batches; an
unpublished outbox row stays however old; running it again changes nothing; the command reports
its counts in the log and to a Pushgateway."""
from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from localrun import clock as localrun_clock
from servicekit import housekeeping
from servicekit.clock import TEST_CLOCK_VARIABLE
from servicekit.config import RuntimeSettings
from servicekit.messaging_schema import inbox, outbox

REPO_ROOT = Path(__file__).resolve().parents[2]


def _outbox_row(created: datetime, published: datetime | None) -> dict:
    return dict(event_id=str(uuid.uuid4()), event_type="lianyi.test.v1.Happened", topic="lianyi.test.v1",
                message_key="nb-1", payload=b"x", created_at=created, published_at=published)


def _inbox_row(applied: datetime) -> dict:
    return dict(event_id=str(uuid.uuid4()), event_type="lianyi.test.v1.Happened", topic="lianyi.test.v1",
                applied_at=applied)


def _fill(db, now: datetime) -> dict[str, set[str]]:
    """Rows on both sides of the default retentions (outbox 7 days, inbox 120 days), by what
    should become of them."""
    day = timedelta(days=1)
    rows = {
        "outbox_old": [_outbox_row(now - 30 * day, now - 30 * day + timedelta(seconds=n)) for n in range(7)],
        "outbox_recent": [_outbox_row(now - 6 * day, now - 6 * day) for _ in range(3)],
        # Never published (no broker for a month): owed to the others, so it stays.
        "outbox_unpublished": [_outbox_row(now - 40 * day, None) for _ in range(2)],
        "inbox_old": [_inbox_row(now - 121 * day - timedelta(minutes=n)) for n in range(5)],
        "inbox_recent": [_inbox_row(now - 119 * day) for _ in range(4)],
    }
    # Interleaved, as they are written: an unpublished row sits among old published ones.
    with db.write() as tx:
        tx.conn.execute(outbox.insert(), [rows["outbox_unpublished"][0], *rows["outbox_old"][:3],
                                          rows["outbox_unpublished"][1], *rows["outbox_old"][3:],
                                          *rows["outbox_recent"]])
        tx.conn.execute(inbox.insert(), [*rows["inbox_old"], *rows["inbox_recent"]])
    return {name: {r["event_id"] for r in group} for name, group in rows.items()}


def _left(db) -> tuple[set[str], set[str]]:
    with db.read() as conn:
        return (set(conn.execute(sa.select(outbox.c.event_id)).scalars()),
                set(conn.execute(sa.select(inbox.c.event_id)).scalars()))


def test_prune_deletes_exactly_what_is_past_retention_in_batches_and_again_nothing(database_url, migrated_db,
                                                                                    clock):
    db = migrated_db("deliberation", database_url)
    ids = _fill(db, clock.now())
    settings = RuntimeSettings(prune_batch_size=2)  # several batches each, one of them partial

    assert housekeeping.prune(db, settings, clock, pause_s=0) == housekeeping.Pruned(outbox=7, inbox=5)
    kept = (ids["outbox_recent"] | ids["outbox_unpublished"], ids["inbox_recent"])
    assert _left(db) == kept

    assert housekeeping.prune(db, settings, clock, pause_s=0) == housekeeping.Pruned(outbox=0, inbox=0)
    assert _left(db) == kept


def test_retention_is_a_setting(database_url, migrated_db, clock):
    db = migrated_db("deliberation", database_url)
    ids = _fill(db, clock.now())
    settings = RuntimeSettings(outbox_retention_h=24 * 5, inbox_retention_days=119.5)
    assert housekeeping.prune(db, settings, clock, pause_s=0) == housekeeping.Pruned(outbox=10, inbox=5)
    assert _left(db) == (ids["outbox_unpublished"], ids["inbox_recent"])


class _Pushgateway(http.server.BaseHTTPRequestHandler):
    """A Pushgateway's receiving end: what was pushed, by path. Subclass per test (`pushed`)."""

    pushed: list[tuple[str, str]]

    def do_PUT(self):  # prometheus_client pushes with PUT (replacing the group)
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.pushed.append((self.path, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_):
        pass


def test_the_prune_command_reports_its_counts_and_runs_twice_harmlessly(database_url, migrated_db, tmp_path):
    db = migrated_db("dispatch", database_url)
    ids = _fill(db, datetime.now(UTC))
    pushgateway = type("Pushgateway", (_Pushgateway,), {"pushed": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), pushgateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {**os.environ, "LIANYI_DISPATCH_DATABASE_URL": database_url, "LIANYI_VAR_DIR": str(tmp_path),
           "LIANYI_PRUNE_BATCH_SIZE": "3", "LIANYI_PUSHGATEWAY": f"127.0.0.1:{server.server_port}"}
    try:
        runs = [subprocess.run([sys.executable, "-m", "services.dispatch", "prune"], cwd=REPO_ROOT, env=env,
                               capture_output=True, text=True, timeout=120) for _ in range(2)]
    finally:
        server.shutdown()
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr + runs[1].stderr
    assert "pruned 7 published outbox rows" in runs[0].stdout and "and 5 inbox rows" in runs[0].stdout
    assert "pruned 0 published outbox rows" in runs[1].stdout and "and 0 inbox rows" in runs[1].stdout
    assert _left(db) == (ids["outbox_recent"] | ids["outbox_unpublished"], ids["inbox_recent"])
    (first_path, first), (_, second) = pushgateway.pushed
    assert first_path == "/metrics/job/lianyi-prune/service/dispatch"
    assert 'lianyi_rows_pruned_total{service="dispatch",table="outbox"} 7.0' in first
    assert 'lianyi_rows_pruned_total{service="dispatch",table="inbox"} 5.0' in first
    assert 'lianyi_rows_pruned_total{service="dispatch",table="outbox"} 0.0' in second
    assert 'lianyi_job_last_success_timestamp_seconds{command="prune",service="dispatch"}' in second


def test_the_prune_command_keeps_the_time_serve_keeps(migrated_db, tmp_path):
    """A local run whose clock was moved 30 days ahead serves on that time, so its prune must
    judge retention on it too (not the system's): rows 6 and 119 days old are then past theirs."""
    database_url = f"sqlite:///{tmp_path / 'dispatch.db'}"  # the movable clock is for SQLite only
    db = migrated_db("dispatch", database_url)
    ids = _fill(db, datetime.now(UTC))
    clock_file = tmp_path / "clock"
    localrun_clock.start(clock_file)
    localrun_clock.move_forward(clock_file, timedelta(days=30))
    env = {**os.environ, "LIANYI_DISPATCH_DATABASE_URL": database_url, "LIANYI_VAR_DIR": str(tmp_path),
           TEST_CLOCK_VARIABLE: str(clock_file)}
    env.pop("LIANYI_PUSHGATEWAY", None)
    run = subprocess.run([sys.executable, "-m", "services.dispatch", "prune"], cwd=REPO_ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "pruned 10 published outbox rows" in run.stdout and "and 9 inbox rows" in run.stdout
    assert _left(db) == (ids["outbox_unpublished"], set())
