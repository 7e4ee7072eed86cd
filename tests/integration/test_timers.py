"""Timers on a service's real database (SQLite, and PostgreSQL where present): fired when due, in
due order, once, with their effects and events in one transaction, by one runner at a time."""
import os
import select
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY

from servicekit import migrations, timers
from servicekit.database import Database
from servicekit.errors import FailedPrecondition
from servicekit.messaging_schema import outbox
from servicekit.timers import timers as timer_table
from tests.integration.timer_child import KIND, effects, effects_metadata, remind, runner, units_of
from tests.running import Running

SERVICE = "deliberation"  # every service has the same table; this one migrates fastest
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def db(database_url, migrated_db) -> Database:
    db = migrated_db(SERVICE, database_url)
    effects_metadata.create_all(db.engine)
    return db


class AlwaysHeld:
    """A lease every runner believes it holds: two runners then race as a zombie would."""

    def hold(self) -> bool:
        return True

    def release(self) -> None:
        pass



def schedule(db, subject: str, due, payload=None, kind: str = KIND) -> None:
    with units_of(db).start() as uow:
        timers.schedule(uow, kind, subject, due, payload)


def effect_rows(db) -> list[tuple[str, str]]:
    with db.read() as conn:
        return [tuple(row) for row in conn.execute(
            sa.select(effects.c.subject_id, effects.c.note).order_by(effects.c.seq))]


def outbox_count(db) -> int:
    with db.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar_one()


def timer_rows(db, subject: str) -> list:
    with db.read() as conn:
        return conn.execute(sa.select(timer_table).where(timer_table.c.subject_id == subject)
                            .order_by(timer_table.c.id)).all()


def wait_for(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_due_timers_fire_in_due_order_and_only_once_due(db, clock):
    fired = []
    run = runner(db, clock, {KIND: lambda uow, timer: fired.append(timer.subject_id)})
    for subject, minutes in (("c", 3), ("a", 1), ("b", 2)):
        schedule(db, subject, clock.now() + timedelta(minutes=minutes))

    run.fire_due()
    assert fired == []
    clock.advance(minutes=2)
    assert run.fire_due() == clock.now() + timedelta(minutes=1), "says when the next one is due"
    assert fired == ["a", "b"]
    run.fire_due()
    assert fired == ["a", "b"], "a fired timer does not fire again"
    clock.advance(minutes=1)
    assert run.fire_due() is None
    assert fired == ["a", "b", "c"]


def test_a_fired_timers_effect_and_event_commit_with_it_or_not_at_all(db, clock):
    def remind_then_fail(uow, timer):
        remind(uow, timer)
        raise RuntimeError("after the effect")

    schedule(db, "ok", clock.now(), {"note": "due"})
    runner(db, clock).fire_due()
    assert effect_rows(db) == [("ok", "due")] and outbox_count(db) == 1
    assert timer_rows(db, "ok")[0].fired_at == clock.now()

    schedule(db, "broken", clock.now())
    runner(db, clock, {KIND: remind_then_fail}).fire_due()
    assert effect_rows(db) == [("ok", "due")] and outbox_count(db) == 1, "no effect and no event"
    (row,) = timer_rows(db, "broken")
    assert row.fired_at is None and row.attempts == 1 and row.last_error == "RuntimeError: after the effect"


def test_rescheduling_moves_a_timer_and_cancelling_removes_it(db, clock):
    run = runner(db, clock)
    schedule(db, "moved", clock.now() + timedelta(minutes=1), {"note": "first"})
    schedule(db, "moved", clock.now() + timedelta(minutes=5), {"note": "second"})
    schedule(db, "cancelled", clock.now() + timedelta(minutes=1))
    with units_of(db).start() as uow:
        assert timers.cancel(uow, KIND, "cancelled") is True
        assert timers.cancel(uow, KIND, "cancelled") is False
        assert timers.cancel(uow, KIND, "never") is False

    clock.advance(minutes=2)
    run.fire_due()
    assert effect_rows(db) == []
    clock.advance(minutes=3)
    run.fire_due()
    assert effect_rows(db) == [("moved", "second")]
    assert len(timer_rows(db, "moved")) == 1 and timer_rows(db, "cancelled") == []


def test_a_fired_timer_can_be_scheduled_again_even_by_its_own_handler(db, clock):
    def remind_and_repeat(uow, timer):
        remind(uow, timer)
        if timer.payload["left"]:
            timers.schedule(uow, KIND, timer.subject_id, timer.due_at + timedelta(days=1),
                            {"left": timer.payload["left"] - 1})

    run = runner(db, clock, {KIND: remind_and_repeat})
    schedule(db, "weekly", clock.now(), {"left": 2})
    for _ in range(5):
        run.fire_due()
        clock.advance(days=1)
    assert effect_rows(db) == [("weekly", "")] * 3
    assert [row.fired_at is not None for row in timer_rows(db, "weekly")] == [True] * 3
    with units_of(db).start() as uow:
        assert timers.cancel(uow, KIND, "weekly") is False, "a fired timer cannot be cancelled"


def test_a_failing_handler_is_retried_with_backoff_then_marked_failed_while_others_fire(db, clock):
    attempts = []

    def flaky(uow, timer):
        if timer.subject_id == "bad":
            attempts.append(clock.now())
            raise RuntimeError("x" * 1000)
        remind(uow, timer)

    def failed_total():
        return REGISTRY.get_sample_value("lianyi_timers_failed_total", {"kind": KIND}) or 0

    failed_before = failed_total()
    run = runner(db, clock, {KIND: flaky}, timer_max_attempts=3)
    start = clock.now()
    schedule(db, "bad", start)
    schedule(db, "good-1", start)
    run.fire_due()
    schedule(db, "good-2", start + timedelta(seconds=15))
    for _ in range(40):  # 100 seconds in steps of 2.5
        clock.advance(seconds=2.5)
        run.fire_due()

    assert [a - start for a in attempts] == [timedelta(0), timedelta(seconds=10), timedelta(seconds=30)]
    assert effect_rows(db) == [("good-1", ""), ("good-2", "")]
    (row,) = timer_rows(db, "bad")
    assert row.attempts == 3 and row.failed_at == start + timedelta(seconds=30) and row.fired_at is None
    assert row.last_error.startswith("RuntimeError: xxx") and len(row.last_error) == timers.ERROR_MAX_CHARS
    assert failed_total() == failed_before + 1
    schedule(db, "bad", clock.now(), {"note": "again"})
    runner(db, clock).fire_due()
    assert effect_rows(db)[-1] == ("bad", "again"), "a failed timer does not block scheduling it anew"


def test_a_refused_timer_or_one_the_database_refuses_fails_without_stopping_the_runner(db, clock):
    def refuse(uow, timer):
        raise FailedPrecondition("the vote is already closed")

    def broken(uow, timer):  # a bug the database refuses every time: not an outage to wait out
        uow.conn.execute(sa.text("SELECT no_such_column FROM timers"))

    run = runner(db, clock, {KIND: remind, "test.refused": refuse, "test.broken": broken}, timer_max_attempts=5)
    schedule(db, "refused", clock.now(), kind="test.refused")
    schedule(db, "broken", clock.now(), kind="test.broken")
    schedule(db, "fine", clock.now() + timedelta(seconds=1))
    clock.advance(seconds=1)
    run.fire_due()
    assert effect_rows(db) == [("fine", "")]
    (refused,) = timer_rows(db, "refused")
    assert refused.attempts == 1 and refused.failed_at is not None, "a domain refusal is not retried"
    (broken_row,) = timer_rows(db, "broken")
    assert broken_row.attempts == 1 and broken_row.failed_at is None, "counted, and tried again later"
    assert "no_such_column" in broken_row.last_error


def test_a_timer_of_a_kind_this_replica_does_not_handle_waits_for_one_that_does(db, clock):
    """As during a rolling deploy: an older replica holding the lease leaves a newer kind alone
    (counted as unhandled) instead of failing it, and the newer replica fires it."""
    old = runner(db, clock, {KIND: remind})
    schedule(db, "vote-1", clock.now(), kind="test.newer")
    schedule(db, "fine", clock.now())
    for _ in range(3):
        assert old.fire_due() is None, "nothing of its kinds is left: no busy wake-up for the other"
        clock.advance(minutes=10)
    (waiting,) = timer_rows(db, "vote-1")
    assert (waiting.attempts, waiting.fired_at, waiting.last_error) == (0, None, None)
    assert REGISTRY.get_sample_value("lianyi_timers_unhandled_due") == 1
    fired = []
    runner(db, clock, {KIND: remind, "test.newer": lambda uow, timer: fired.append(timer.subject_id)}).fire_due()
    assert fired == ["vote-1"]
    assert REGISTRY.get_sample_value("lianyi_timers_unhandled_due") == 0


def test_two_racing_runners_fire_each_of_many_timers_exactly_once(database_url, migrated_db, clock):
    first = migrated_db(SERVICE, database_url)
    effects_metadata.create_all(first.engine)
    second = Database(database_url)  # its own engine and pool, as another replica would have
    calls, count = [], 60

    def slow_remind(uow, timer):
        calls.append(timer.subject_id)
        remind(uow, timer)
        time.sleep(0.001)  # long enough for the other runner to reach the same row

    for n in range(count):
        schedule(first, f"s-{n:02d}", clock.now() + timedelta(seconds=n % 7))
    clock.advance(seconds=10)
    try:
        runners = [runner(db, clock, {KIND: slow_remind}, holder=f"r{i}", lease=AlwaysHeld(), timer_poll_s=0.05)
                   for i, db in enumerate((first, second))]
        with Running(runners[0].run, stop_within_s=5), Running(runners[1].run, stop_within_s=5):
            wait_for(lambda: len(effect_rows(first)) >= count)
            time.sleep(0.1)  # room for a late second firing to show up
    finally:
        second.dispose()
    assert sorted(calls) == [f"s-{n:02d}" for n in range(count)], "each handler call was a claimed timer"
    assert sorted(subject for subject, _ in effect_rows(first)) == sorted(calls)
    assert outbox_count(first) == count


def test_only_the_lease_holder_fires_and_a_gone_holder_is_replaced_once_its_lease_expires(db, clock):
    gone, heir = runner(db, clock, holder="gone"), runner(db, clock, holder="heir")
    schedule(db, "first", clock.now())
    gone.fire_due()  # takes the lease, then its process vanishes without releasing it
    schedule(db, "second", clock.now())
    assert heir.fire_due() is None
    clock.advance(seconds=10)
    heir.fire_due()
    assert effect_rows(db) == [("first", "")], "the lease is still the gone holder's"
    clock.advance(seconds=6)
    heir.fire_due()
    assert effect_rows(db) == [("first", ""), ("second", "")]


def test_a_runner_killed_before_commit_leaves_the_timer_due_and_the_next_fires_it_once(db, database_url, clock):
    schedule(db, "crash", clock.now(), {"note": "once"})
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.timer_child", database_url, clock.now().isoformat()],
        cwd=REPO, stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        ready, _, _ = select.select([child.stdout], [], [], 30)
        assert ready and child.stdout.readline() == b"ready\n", "the child's handler was reached"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        child.stdout.close()

    (row,) = timer_rows(db, "crash")
    assert row.fired_at is None and row.attempts == 0 and effect_rows(db) == [] and outbox_count(db) == 0
    clock.advance(seconds=16)  # the dead child's lease runs out
    run = runner(db, clock)
    run.fire_due()
    run.fire_due()
    assert effect_rows(db) == [("crash", "once")] and outbox_count(db) == 1


def test_a_sleeping_runner_wakes_when_a_timer_is_scheduled_and_stops_promptly(db, clock):
    fired = []
    run = runner(db, clock, {KIND: lambda uow, timer: fired.append(timer.subject_id)}, timer_poll_s=60)
    with Running(run.run, stop_within_s=5) as running:
        wait_for(lambda: run.alarm.wake_at is not None)  # asleep for a minute unless woken
        schedule(db, "now", clock.now())
        wait_for(lambda: fired == ["now"], seconds=2)
        wait_for(lambda: run.alarm.wake_at is not None)
        started = time.monotonic()
        running.stop.set()
        running.thread.join(2)
        assert time.monotonic() - started < 1
    with db.read() as conn:
        assert conn.execute(sa.text("SELECT holder FROM relay_lease WHERE name = 'timers'")).scalar() is None, \
            "a stopped runner gives up its lease"


def test_a_running_runner_notices_the_clock_moved_forward_within_its_poll_interval(db, clock):
    fired = []
    run = runner(db, clock, {KIND: lambda uow, timer: fired.append(timer.subject_id)}, timer_poll_s=0.2)
    schedule(db, "in-an-hour", clock.now() + timedelta(hours=1))
    with Running(run.run, stop_within_s=5):
        wait_for(lambda: run.alarm.wake_at is not None)
        time.sleep(0.25)  # it has looked again at least once, and found nothing due
        assert fired == []
        clock.advance(hours=1)
        started = time.monotonic()
        wait_for(lambda: fired == ["in-an-hour"], seconds=2)
        assert time.monotonic() - started < 1, "within its poll interval, give or take a busy machine"


@pytest.mark.parametrize("service", ["intake", "deliberation", "dispatch", "evaluation"])
def test_every_service_keeps_timers_and_their_lease(service, tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'service.db'}")
    try:
        migrations.upgrade(db, service)
        with db.read() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM relay_lease WHERE name = 'timers'")).scalar() == 1
            assert conn.execute(sa.select(sa.func.count()).select_from(timer_table)).scalar() == 0
    finally:
        db.dispose()
