"""Escalations delivered to a real HTTP server standing in for the county platform, from dispatch's
real database (SQLite, and PostgreSQL where present): signed, retried until taken, each
Idempotency-Key applied once, one task's events in order, every attempt on record."""
import itertools
import logging
import random
import threading
import time
from datetime import timedelta

import pytest

from servicekit.ids import new_id
from services.dispatch.platform import storage
from services.dispatch.platform.config import PlatformSettings
from services.dispatch.platform.deliverer import PlatformDeliverer
from tests.integration.platform_receiver import Platform
from tests.running import Running

SECRET = b"shared-with-the-county-platform"
NEIGHBOURHOOD = "0193b3c2-0000-7000-9000-00000000000a"


@pytest.fixture
def db(database_url, migrated_db):
    return migrated_db("dispatch", database_url)


def deliverer(db, clock, url, secret=SECRET, timeout_s=2.0, holder="deliverer-a") -> PlatformDeliverer:
    return PlatformDeliverer(db, PlatformSettings(url=url, secret=secret, timeout_s=timeout_s, poll_s=0.05), clock,
                             holder=holder, rng=random.Random(1))


def enqueue(db, clock, task_id: str, what: str = "task.escalated") -> str:
    delivery_id = new_id()
    with db.write() as tx:
        storage.enqueue(tx.conn, delivery_id=delivery_id, task_id=task_id, neighbourhood_id=NEIGHBOURHOOD,
                        event_type=what, body={"task_id": task_id, "what": what, "summary": "占用公共绿地"},
                        at=clock.now())
    return delivery_id


def listed(db, **filters) -> dict[str, storage.Delivery]:
    with db.read() as conn:
        return {d.delivery_id: d for d in storage.list_deliveries(conn, **filters)}


def test_an_escalation_arrives_signed_with_its_event_type_and_idempotency_key(db, clock):
    with Platform(SECRET, clock.now) as platform:
        key = enqueue(db, clock, "task-1")
        assert deliverer(db, clock, platform.url).deliver_due() == 1
    assert platform.applied == [key] and platform.refusals == []
    assert platform.bodies[key] == {"task_id": "task-1", "what": "task.escalated", "summary": "占用公共绿地"}
    assert [(r.attempt, r.event_type, r.status) for r in platform.requests] == [(1, "task.escalated", 200)]
    delivery = listed(db)[key]
    assert delivery.state == "delivered" and delivery.last_status == 200 and delivery.attempts == 1
    (attempt,) = delivery.history
    assert (attempt.number, attempt.status, attempt.error) == (1, 200, None) and attempt.duration_ms is not None


def test_enqueueing_a_delivery_again_changes_nothing(db, clock):
    key = enqueue(db, clock, "task-1")
    with db.write() as tx:
        storage.enqueue(tx.conn, delivery_id=key, task_id="task-1", neighbourhood_id=NEIGHBOURHOOD,
                        event_type="task.escalated", body={"other": True}, at=clock.now() + timedelta(hours=1))
    (delivery,) = listed(db).values()
    assert '"other"' not in delivery.body and delivery.created_at == clock.now()


def test_a_signature_with_the_wrong_secret_is_refused_and_the_delivery_tried_again_later(db, clock):
    with Platform(SECRET, clock.now) as platform:
        key = enqueue(db, clock, "task-1")
        deliverer(db, clock, platform.url, secret=b"not-the-platform-s-secret").deliver_due()
        assert platform.applied == [] and "does not match" in platform.refusals[0]
        delivery = listed(db)[key]
        assert delivery.state == "pending" and delivery.last_status == 401 and delivery.next_attempt_at > clock.now()
        assert "HTTP 401: signature does not match" in delivery.history[0].error
        # The county sets the right secret; the retry goes through once due.
        fixed = deliverer(db, clock, platform.url, holder="deliverer-b")
        clock.advance(seconds=20)
        assert fixed.deliver_due() == 1
    assert platform.applied == [key] and [r.status for r in platform.seen(key)] == [401, 200]
    assert [(a.number, a.status) for a in listed(db)[key].history] == [(1, 401), (2, 200)]


def test_a_stale_timestamp_is_refused_by_the_receiver(db, clock):
    ten_minutes_on = lambda: clock.now() + timedelta(minutes=10)  # noqa: E731 (a clock the sender's lags)
    with Platform(SECRET, ten_minutes_on) as platform:
        key = enqueue(db, clock, "task-1")
        deliverer(db, clock, platform.url).deliver_due()
    assert platform.applied == [] and "600s old" in platform.refusals[0]
    assert listed(db)[key].last_status == 401 and listed(db)[key].state == "pending"


def test_a_platform_down_for_an_hour_gets_everything_once_soon_after_it_recovers(db, clock):
    recovers_at = clock.now() + timedelta(hours=1)
    with Platform(SECRET, clock.now, failing=lambda: clock.now() < recovers_at) as platform:
        keys = [enqueue(db, clock, task) for task in ("task-1", "task-2", "task-1", "task-3")]
        run = deliverer(db, clock, platform.url)
        delivered_at = None
        for _minute in range(90):
            run.deliver_due()
            if delivered_at is None and len(platform.applied) == len(keys):
                delivered_at = clock.now()
            clock.advance(minutes=1)
    assert sorted(platform.applied) == sorted(keys), "nothing lost, nothing applied twice"
    assert delivered_at is not None and delivered_at - recovers_at <= timedelta(minutes=11)
    deliveries = listed(db)
    for key in keys:
        history = deliveries[key].history
        # Every attempt is on record, and matches what the platform saw.
        assert [(a.number, a.status) for a in history] == [(r.attempt, r.status) for r in platform.seen(key)]
        assert history[-1].status == 200 and all(a.status == 503 for a in history[:-1])
    # The first of each task kept being tried through the hour, no less often than every ten minutes.
    first = deliveries[keys[0]].history
    assert len([a for a in first if a.at < recovers_at]) >= 6
    assert max(b.at - a.at for a, b in itertools.pairwise(first)) <= timedelta(minutes=11)
    assert platform.applied.index(keys[0]) < platform.applied.index(keys[2]), "one task's events in order"


def test_a_slow_platform_is_retried_and_still_applies_the_delivery_once(db, clock):
    with Platform(SECRET, clock.now, slow_s=1.5) as platform:
        key = enqueue(db, clock, "task-1")
        run = deliverer(db, clock, platform.url, timeout_s=0.3)
        run.deliver_due()
        delivery = listed(db)[key]
        assert delivery.state == "pending" and delivery.history[0].status == 0
        assert delivery.history[0].error == "no answer within 0.3s"
        clock.advance(seconds=10)
        run.deliver_due()
    assert platform.applied == [key]
    assert [(a.number, a.status) for a in listed(db)[key].history] == [(1, 0), (2, 200)]


def test_a_later_event_of_a_task_waits_until_the_earlier_one_is_delivered(db, clock):
    fail = threading.Event()
    fail.set()
    with Platform(SECRET, clock.now, failing=fail.is_set) as platform:
        first = enqueue(db, clock, "task-1", "task.escalated")
        other = enqueue(db, clock, "task-2", "task.escalated")
        second = enqueue(db, clock, "task-1", "task.report_in")
        run = deliverer(db, clock, platform.url)
        assert run.deliver_due() == 2  # task-1's first and task-2's; task-1's second waits
        assert platform.seen(second) == []
        fail.clear()
        clock.advance(minutes=1)
        run.deliver_due()
        clock.advance(minutes=1)
        run.deliver_due()
    assert platform.applied == [first, other, second] or platform.applied == [other, first, second]
    assert platform.applied.index(first) < platform.applied.index(second)
    assert [r.attempt for r in platform.seen(second)] == [1]


def test_only_the_holder_of_the_platform_lease_delivers(db, clock):
    with Platform(SECRET, clock.now) as platform:
        holder = deliverer(db, clock, platform.url, holder="deliverer-a")
        other = deliverer(db, clock, platform.url, holder="deliverer-b")
        holder.deliver_due()  # takes the lease
        key = enqueue(db, clock, "task-1")
        assert other.deliver_due() == 0 and platform.requests == []
        assert holder.deliver_due() == 1
    assert platform.applied == [key]


def test_the_listing_pages_newest_first_and_filters_by_task_and_state(db, clock):
    with Platform(SECRET, clock.now) as platform:
        keys = [enqueue(db, clock, task) for task in ("task-1", "task-2", "task-1")]
        deliverer(db, clock, platform.url).deliver_due()  # task-1's first and task-2's
    with db.read() as conn:
        page = storage.list_deliveries(conn, limit=2)
        rest = storage.list_deliveries(conn, limit=2, after=page[-1].delivery_id)
        assert [d.delivery_id for d in page + rest] == keys[::-1]
        assert [d.delivery_id for d in storage.list_deliveries(conn, task_id="task-1")] == [keys[2], keys[0]]
        assert [d.delivery_id for d in storage.list_deliveries(conn, state="pending")] == [keys[2]]
        assert {d.delivery_id for d in storage.list_deliveries(conn, state="delivered")} == {keys[0], keys[1]}
        assert storage.backlog(conn) == (1, clock.now())


def test_the_running_deliverer_delivers_and_gives_up_its_lease_when_stopped(db, clock):
    with Platform(SECRET, clock.now) as platform:
        run = deliverer(db, clock, platform.url)
        with Running(run.run, stop_within_s=5):
            key = enqueue(db, clock, "task-1")
            _wait_for(lambda: listed(db)[key].state == "delivered")
        other = deliverer(db, clock, platform.url, holder="deliverer-b")
        assert other.lease.hold() is not None, "the stopped deliverer released the lease"
    assert platform.applied == [key]


def test_without_a_url_the_deliverer_sends_nothing_and_says_so_once(db, clock, caplog):
    key = enqueue(db, clock, "task-1")
    run = PlatformDeliverer(db, PlatformSettings(), clock, holder="deliverer-a")
    with caplog.at_level(logging.WARNING), Running(run.run, stop_within_s=5):
        _wait_for(lambda: "LIANYI_DISPATCH_PLATFORM_URL" in caplog.text)
    assert caplog.text.count("LIANYI_DISPATCH_PLATFORM_URL") == 1
    assert listed(db)[key].attempts == 0


def _wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
