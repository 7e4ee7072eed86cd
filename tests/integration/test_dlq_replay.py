"""Replaying the DLQ against the real broker: a poison event parked by the consumer is applied once
after the fix, a second replay applies nothing, one still failing stays and is reported, other
services' dead letters are left alone, and the live consumer keeps flowing throughout."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kafka.errors import KafkaTimeoutError

from lianyi.intake.v1.events_pb2 import ROUTE_DELIBERATION, ConcernFacts, ConcernReceived, TriageDecision
from servicekit import dlq_replay, envelope, kafka, topics
from servicekit.config import RuntimeSettings
from servicekit.consumer import EventConsumer
from servicekit.directory_replica import DirectoryReplica
from servicekit.outbox import Outbox
from servicekit.topics import TopicSpec, dlq
from services.deliberation import wiring
from services.deliberation.handlers import Deliberation
from tests.kafka_helpers import read_topic, wait_for
from tests.running import Running

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def topic(runtime_settings) -> str:
    name = f"test.{uuid.uuid4().hex[:10]}"
    kafka.ensure_topics(runtime_settings, [TopicSpec(name, 2), TopicSpec(dlq(name), 1)])
    return name


def _concern(description: str, neighbourhood: str = "nb-1") -> envelope.Envelope:
    concern = ConcernFacts(concern_id=f"c-{uuid.uuid4().hex[:8]}", neighbourhood_id=neighbourhood,
                           category="safety", description=description)
    concern.received_at.FromDatetime(datetime(2026, 11, 2, tzinfo=UTC))
    return envelope.seal(ConcernReceived(concern=concern, triage=TriageDecision(route=ROUTE_DELIBERATION)),
                         producer="intake", place=envelope.Place(neighbourhood), occurred_at=datetime.now(UTC))


def _produce(broker: str, topic: str, events, headers=None) -> None:
    producer = kafka.producer(RuntimeSettings(broker=broker), client_id="test")
    try:
        for event in events:
            value = event if isinstance(event, bytes) else event.SerializeToString()
            producer.send(topic, key=b"nb-1", value=value, headers=headers or [])
        producer.flush(10)
    finally:
        producer.close()


def test_a_dead_lettered_event_is_applied_once_after_the_fix_while_the_rest_keeps_flowing(
        database_url, migrated_db, clock, runtime_settings, topic):
    db = migrated_db("deliberation", database_url)
    built = wiring.build(db, Outbox(topics.DELIBERATION), clock)
    concerns = next(s for s in built.subscriptions if s.payload_class is ConcernReceived)
    pool = Deliberation(db, clock, DirectoryReplica(db))
    fixed = {"boom": False}

    def handle(uow, events):  # a bug on "boom" until it is fixed; "hopeless" fails whatever is fixed
        for event in events:
            if event.event.description == "hopeless" or (event.event.description == "boom" and not fixed["boom"]):
                raise RuntimeError(f"cannot handle {event.event.description}")
        concerns.handle(uow, events)

    subscription = replace(concerns, topic=topic, handle=handle)
    group = f"deliberation-{uuid.uuid4().hex[:6]}"
    pooled = lambda: len(pool.list_pool("nb-1", 500, "")[0])  # noqa: E731
    boom, hopeless = _concern("boom"), _concern("hopeless")
    # Another service's dead letter on the same (shared) DLQ twin: not this service's to replay.
    _produce(runtime_settings.broker, dlq(topic), [_concern("someone else's")],
             headers=[("lianyi-consumer", b"evaluation"), ("lianyi-source-topic", topic.encode())])
    _produce(runtime_settings.broker, topic, [_concern("good 1"), boom, hopeless, _concern("good 2")])
    consumer = EventConsumer(group=group, units=built.units, subscriptions=[subscription],
                             settings=runtime_settings, clock=clock)

    reading = runtime_settings.model_copy(update={"kafka_reader_fetch_max_wait_ms": 100})

    def replay(dry_run=False) -> dlq_replay.Report:
        return dlq_replay.run(group, reading, built.units, [subscription], clock, [], dry_run)

    with Running(consumer.run):
        wait_for(lambda: pooled() == 2, message="the good concerns pooled")
        parked = read_topic(runtime_settings.broker, dlq(topic), expected=3)
        assert {envelope.decode(r.value).event_id for r in parked[1:]} == {boom.event_id, hopeless.event_id}

        fixed["boom"] = True
        dry = replay(dry_run=True)
        assert [(r.event_id, r.outcome) for r in dry.replays] == [
            (boom.event_id, dlq_replay.WOULD_REPLAY), (hopeless.event_id, dlq_replay.WOULD_REPLAY)]
        assert pooled() == 2, "a dry run applies nothing"

        first = replay()
        assert [(r.event_id, r.outcome) for r in first.replays] == [
            (boom.event_id, dlq_replay.REPLAYED), (hopeless.event_id, dlq_replay.FAILED)]
        assert "cannot handle hopeless" in first.failed[0].error
        where = {k: v.decode() for k, v in parked[1].headers}
        assert first.replays[0].source == (
            f"{topic}[{where['lianyi-source-partition']}]@{where['lianyi-source-offset']}")
        assert pooled() == 3

        # Meanwhile the live consumer goes on.
        _produce(runtime_settings.broker, topic, [_concern("good 3")])
        wait_for(lambda: pooled() == 4, message="a later concern pooled")

        second = replay()
        assert [(r.event_id, r.outcome) for r in second.replays] == [
            (boom.event_id, dlq_replay.ALREADY_APPLIED), (hopeless.event_id, dlq_replay.FAILED)]
        assert pooled() == 4, "nothing replayed twice"
    # The one still failing is still dead-lettered, for the next fix; nothing was added to the DLQ.
    assert len(read_topic(runtime_settings.broker, dlq(topic))) == 3


def test_the_command_replays_the_services_own_dlq_once(database_url, migrated_db, runtime_settings, tmp_path):
    """`python -m services.deliberation replay-dlq` on the real topics: a ConcernReceived that
    deliberation dead-lettered from lianyi.intake.v1 is pooled once; --dry-run changes nothing."""
    migrated_db("deliberation", database_url)
    kafka.ensure_topics(runtime_settings, [TopicSpec(topics.INTAKE, 1), TopicSpec(dlq(topics.INTAKE), 1)])
    parked = _concern("parked, then fixed")
    _produce(runtime_settings.broker, dlq(topics.INTAKE), [parked, b"\x00garbage that is no envelope"], headers=[
        ("lianyi-consumer", b"deliberation"), ("lianyi-source-topic", topics.INTAKE.encode()),
        ("lianyi-source-partition", b"0"), ("lianyi-source-offset", b"41"), ("lianyi-event-id", b"")])
    env = {**os.environ, "LIANYI_DELIBERATION_DATABASE_URL": database_url, "LIANYI_VAR_DIR": str(tmp_path),
           "LIANYI_BROKER": runtime_settings.broker, "LIANYI_KAFKA_READER_FETCH_MAX_WAIT_MS": "100"}

    def command(*options: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "services.deliberation", "replay-dlq", *options],
                              cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)

    def outcome(run: subprocess.CompletedProcess) -> str:
        (line,) = [line for line in run.stdout.splitlines()  # the summary, not the JSON log lines
                   if parked.event_id in line.split() and not line.startswith("{")]
        return line.split()[0]

    dry = command("--dry-run", "--topic", topics.INTAKE)
    assert outcome(dry) == dlq_replay.WOULD_REPLAY, dry.stdout + dry.stderr
    runs = [command(), command("--topic", dlq(topics.INTAKE))]
    assert [outcome(r) for r in runs] == [dlq_replay.REPLAYED, dlq_replay.ALREADY_APPLIED]
    # The garbage can never be applied: reported as such, with an exit status of its own (3), not
    # the one of events still failing (1), which it would otherwise give every run for 90 days.
    assert [r.returncode for r in runs] == [dlq_replay.EXIT_UNREPLAYABLE] * 2, runs[0].stdout + runs[0].stderr
    assert all(any(line.startswith(dlq_replay.UNDECODABLE) for line in r.stdout.splitlines()) for r in runs)
    unknown = command("--topic", "lianyi.nothing.v1")
    assert unknown.returncode == 2 and "consumes none of" in unknown.stderr


def _parked(runtime_settings, group: str, topic: str, events) -> None:
    """Dead letters of `group` from `topic`, as its consumer parks them."""
    _produce(runtime_settings.broker, dlq(topic), events,
             headers=[("lianyi-consumer", group.encode()), ("lianyi-source-topic", topic.encode())])


def test_only_reading_counts_against_the_deadline_not_applying(database_url, migrated_db, clock, runtime_settings,
                                                                 topic):
    """Each record is applied before the next is read: a slow apply (here 1.5 s each, 4.5 s in
    all) must not use up a reading deadline of 3 s and stop the replay half done."""
    db = migrated_db("deliberation", database_url)
    built = wiring.build(db, Outbox(topics.DELIBERATION), clock)
    concerns = next(s for s in built.subscriptions if s.payload_class is ConcernReceived)

    def slow(uow, events):
        time.sleep(1.5)
        concerns.handle(uow, events)

    subscription = replace(concerns, topic=topic, handle=slow)
    group = f"deliberation-{uuid.uuid4().hex[:6]}"
    events = [_concern(f"slow {n}") for n in range(3)]
    _parked(runtime_settings, group, topic, events)
    reading = runtime_settings.model_copy(update={"kafka_reader_fetch_max_wait_ms": 100})
    report = dlq_replay.replay(dlq_replay.dead_letters(reading, [dlq(topic)], timeout_s=3), group, built.units,
                               [subscription], clock)
    assert report.incomplete == ""
    assert [(r.event_id, r.outcome) for r in report.replays] == [(e.event_id, dlq_replay.REPLAYED) for e in events]
    assert report.exit_status() == dlq_replay.EXIT_DONE


def test_a_dlq_that_cannot_be_read_to_its_end_still_reports_what_was_replayed(
        database_url, migrated_db, clock, runtime_settings, topic):
    db = migrated_db("deliberation", database_url)
    built = wiring.build(db, Outbox(topics.DELIBERATION), clock)
    concerns = replace(next(s for s in built.subscriptions if s.payload_class is ConcernReceived), topic=topic)
    group = f"deliberation-{uuid.uuid4().hex[:6]}"
    first, second = _concern("first"), _concern("second")
    _parked(runtime_settings, group, topic, [first, second])
    reading = runtime_settings.model_copy(update={"kafka_reader_fetch_max_wait_ms": 100})

    def broker_gone_after_one():
        with contextlib.closing(dlq_replay.dead_letters(reading, [dlq(topic)])) as records:
            yield next(records)
        raise KafkaTimeoutError("the broker stopped answering")

    report = dlq_replay.replay(broker_gone_after_one(), group, built.units, [concerns], clock)
    assert [(r.event_id, r.outcome) for r in report.replays] == [(first.event_id, dlq_replay.REPLAYED)]
    assert "the broker stopped answering" in report.incomplete
    assert report.exit_status() == dlq_replay.EXIT_INCOMPLETE
    # The next run reads it all: the first is in the inbox, the second is replayed now.
    again = dlq_replay.replay(dlq_replay.dead_letters(reading, [dlq(topic)]), group, built.units, [concerns], clock)
    assert [(r.event_id, r.outcome) for r in again.replays] == [
        (first.event_id, dlq_replay.ALREADY_APPLIED), (second.event_id, dlq_replay.REPLAYED)]
    assert again.exit_status() == dlq_replay.EXIT_DONE


def test_events_the_service_no_longer_handles_are_unreplayable_not_failing(
        database_url, migrated_db, clock, runtime_settings, topic):
    db = migrated_db("deliberation", database_url)
    built = wiring.build(db, Outbox(topics.DELIBERATION), clock)
    concerns = replace(next(s for s in built.subscriptions if s.payload_class is ConcernReceived), topic=topic)
    group = f"deliberation-{uuid.uuid4().hex[:6]}"
    orphan = _concern("of a type no longer handled")
    _parked(runtime_settings, group, topic, [orphan])
    reading = runtime_settings.model_copy(update={"kafka_reader_fetch_max_wait_ms": 100})
    no_longer = replace(concerns, payload_class=ConcernFacts)  # handles another type from the topic now
    report = dlq_replay.replay(dlq_replay.dead_letters(reading, [dlq(topic)]), group, built.units, [no_longer],
                               clock)
    assert [(r.event_id, r.outcome) for r in report.replays] == [(orphan.event_id, dlq_replay.NOT_SUBSCRIBED)]
    assert (report.failed, report.unreplayable) == ([], report.replays)
    assert report.exit_status() == dlq_replay.EXIT_UNREPLAYABLE
