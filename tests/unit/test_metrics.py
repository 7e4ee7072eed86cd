"""What the metrics report: lag buckets up to an hour, build info, leases, the outbox backlog and its
age on every replica (not only on the relay lease's holder)."""
from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY

from lianyi.intake.v1.events_pb2 import ConcernFacts, ConcernReceived
from servicekit import envelope, metrics
from servicekit.clock import FixedClock
from servicekit.config import RuntimeSettings
from servicekit.messaging_schema import relay_lease
from servicekit.outbox import Outbox
from servicekit.relay import LEASE_TTL, Lease, OutboxRelay

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def _value(name, **labels):
    return REGISTRY.get_sample_value(name, labels)


def _with_leases(db, *names):
    with db.write() as tx:
        tx.conn.execute(relay_lease.insert(), [{"name": name, "generation": 0} for name in names])
    return db


def _queue(db, box, count, at):
    with db.write() as tx:
        for n in range(count):
            payload = ConcernReceived(concern=ConcernFacts(concern_id=f"c{n}", neighbourhood_id="nb-1"))
            box.add(tx, envelope.seal(payload, producer="intake", place=envelope.Place("nb-1"), occurred_at=at))


def test_event_lag_buckets_tell_minutes_from_an_hour():
    bounds = metrics.event_lag._upper_bounds
    assert {60, 600, 3600} <= set(bounds)
    metrics.event_lag.labels("t.lag").observe(1200)
    assert _value("lianyi_event_lag_seconds_bucket", topic="t.lag", le="600.0") == 0
    assert _value("lianyi_event_lag_seconds_bucket", topic="t.lag", le="1800.0") == 1


def test_build_info_names_the_version_and_service():
    metrics.set_build_info("unit")
    assert metrics.version() not in ("", "unknown")  # `make install` installs the distribution
    assert _value("lianyi_build_info", version=metrics.version(), service="unit") == 1


def test_the_lease_gauge_follows_the_holder_and_each_take_is_counted_once(memory_db):
    db, clock = _with_leases(memory_db, "unit-lease"), FixedClock(T0)
    taken = _value("lianyi_lease_acquired_total", lease="unit-lease") or 0
    a, b = Lease(db, "a", clock, name="unit-lease"), Lease(db, "b", clock, name="unit-lease")
    assert a.hold() == 1
    assert _value("lianyi_lease_held", lease="unit-lease") == 1
    clock.advance(seconds=LEASE_TTL.total_seconds() / 2 + 1)
    a.forget()
    assert a.hold() == 1  # renewed, and forgetting is not losing: no new take
    assert _value("lianyi_lease_acquired_total", lease="unit-lease") == taken + 1
    a.release()
    assert _value("lianyi_lease_held", lease="unit-lease") == 0
    assert b.hold() == 2
    assert _value("lianyi_lease_acquired_total", lease="unit-lease") == taken + 2


def test_a_replica_without_the_relay_lease_reports_the_backlog_and_its_age(memory_db):
    db, clock = _with_leases(memory_db, "outbox"), FixedClock(T0)
    box = Outbox("lianyi.intake.v1")
    _queue(db, box, 3, at=T0)
    clock.advance(seconds=91)
    Lease(db, "elsewhere", clock).hold()  # another replica publishes (or is stuck)
    relay = OutboxRelay(db, box, RuntimeSettings(), clock, "here")
    assert relay.publish_once(producer=None) == 0  # not holding: never touches a producer
    assert _value("lianyi_relay_lease_held") == 0
    assert _value("lianyi_lease_held", lease="outbox") == 0
    assert _value("lianyi_outbox_backlog") == 3
    # A row's age runs from its event's occurrence (T0), which the outbox stores as created_at.
    assert _value("lianyi_outbox_oldest_pending_seconds") == timedelta(seconds=91).total_seconds()
