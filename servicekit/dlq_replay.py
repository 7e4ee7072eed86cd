"""Replaying dead-lettered events after a fix, once each:
`python -m services.<name> replay-dlq [--topic T] [--dry-run]`.

The consumer parks an event it cannot apply on its topic's DLQ twin with headers naming the
consumer group, the original topic, partition and offset, and the error (servicekit.consumer).
A DLQ twin is shared by every service consuming the topic, so replay takes only the records its
own service's group parked, reading each DLQ whole from the beginning, outside any group.

Each event is applied straight through the service's own subscription, in one unit of work with
its inbox claim (servicekit.consumer.apply_once), rather than re-published to the original topic:
- the original topic belongs to the service that publishes it: the others' KafkaUsers may not
  write there, and a copy there would reach every other consumer of the topic again (their inboxes
  would drop it by event id, but only while its row is kept);
- the command sees each outcome at once, and can report an event that still fails instead of it
  going round to the DLQ a second time;
- the inbox claim commits with the effects, so the inbox is the record of what was replayed: a
  second run (or one running beside the live consumer) finds the event id there and applies
  nothing twice. The inbox retention therefore exceeds the DLQ's (servicekit.config).
An event that fails again stays where it is, in the DLQ (nothing is ever removed from it), and is
reported. A replayed event is applied after others of its neighbourhood that came later: what it
does must not depend on that order, as after any outage.

Records no fix can replay (undecodable, or of an event the service no longer handles) have an
outcome of their own: they stay in the DLQ until it expires (90 days), and must not make every run
until then look like one with events still failing. The exit status (Report.exit_status) says
which case a run is: 0 all done, 1 some still failing, 3 only unreplayable ones left, 4 the DLQ
was not read to its end (the report covers what was read; run again).
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kafka.structs import TopicPartition

from servicekit import envelope as envelopes
from servicekit import inbox, kafka, metrics
from servicekit.clock import Clock
from servicekit.config import RuntimeSettings
from servicekit.consumer import Subscription, apply_once
from servicekit.topics import dlq
from servicekit.unit_of_work import UnitsOfWork

log = logging.getLogger(__name__)

REPLAYED, ALREADY_APPLIED, WOULD_REPLAY = "replayed", "already_applied", "would_replay"
# Still failing: after another fix, another run may replay it.
FAILED = "failed"
# Never replayable by any run: no envelope in the bytes, or an event the service no longer handles.
UNDECODABLE, NOT_SUBSCRIBED = "undecodable", "not_subscribed"
UNREPLAYABLE = (UNDECODABLE, NOT_SUBSCRIBED)
# The command's exit statuses (2 is argparse's, for a wrong command line).
EXIT_DONE, EXIT_FAILING, EXIT_UNREPLAYABLE, EXIT_INCOMPLETE = 0, 1, 3, 4
_POLL_MS = 200


@dataclass(frozen=True)
class Replay:
    """What became of one dead-lettered event."""

    dlq_topic: str
    dlq_offset: int
    source: str  # topic[partition]@offset it was first delivered at
    event_id: str
    outcome: str
    error: str = ""


@dataclass
class Report:
    replays: list[Replay] = field(default_factory=list)
    # Why the DLQs were not read to their end ("" when they were): the replays are what was read.
    incomplete: str = ""

    def counts(self) -> dict[str, int]:
        return dict(Counter(r.outcome for r in self.replays))

    @property
    def failed(self) -> list[Replay]:
        """Still failing: worth another run after another fix."""
        return [r for r in self.replays if r.outcome == FAILED]

    @property
    def unreplayable(self) -> list[Replay]:
        """Never replayable: they stay in the DLQ until it expires."""
        return [r for r in self.replays if r.outcome in UNREPLAYABLE]

    def exit_status(self) -> int:
        """The most pressing of: not read to the end (4), some still failing (1), some never
        replayable (3); else 0."""
        if self.incomplete:
            return EXIT_INCOMPLETE
        if self.failed:
            return EXIT_FAILING
        return EXIT_UNREPLAYABLE if self.unreplayable else EXIT_DONE


def dead_letters(settings: RuntimeSettings, dlq_topics: list[str], timeout_s: float = 60) -> Iterator[Any]:
    """Every record on the DLQ topics, from the beginning to their end."""
    reader = kafka.reader(settings, client_id="lianyi-dlq-replay")
    # The end is where the broker says it is once nothing more comes in a fetch's whole wait: the
    # end offsets alone are not enough (Tansu's answer for "latest" can stop short of the last
    # records of a batch), and an empty poll alone may be a fetch still under way.
    quiet_ms = 2 * settings.kafka_reader_fetch_max_wait_ms + 500
    try:
        for topic in dlq_topics:
            partitions = [TopicPartition(topic, p) for p in sorted(reader.partitions_for_topic(topic) or ())]
            if not partitions:
                log.warning("%s does not exist: nothing dead-lettered there", topic)
                continue
            reader.assign(partitions)
            reader.seek_to_beginning(*partitions)
            ends = reader.end_offsets(partitions)
            # Only the time spent reading counts: the caller applies each record before asking for
            # the next, and a slow apply must not cut the replay short.
            reading_s = 0.0
            while True:
                if reading_s > timeout_s:
                    raise TimeoutError(f"{topic}: not read to its end within {timeout_s:g}s of reading")
                started = time.monotonic()
                at_end = all(reader.position(p) >= ends[p] for p in partitions)
                batches = reader.poll(timeout_ms=quiet_ms if at_end else _POLL_MS)
                reading_s += time.monotonic() - started
                if not batches and at_end:
                    break
                for records in batches.values():
                    yield from records
    finally:
        reader.close()


def replay(records: Iterable[Any], group: str, units: UnitsOfWork, subscriptions: list[Subscription[Any]],
           clock: Clock, dry_run: bool = False) -> Report:
    """Apply, once each, the dead-lettered records the consumer `group` parked (others' are left
    alone); with `dry_run`, only say what would be applied."""
    subscribed = {(s.topic, s.event_type): s for s in subscriptions}
    report = Report()
    for record in _until_unreadable(records, report):
        headers = {k: v.decode(errors="replace") for k, v in (record.headers or [])}
        if headers.get("lianyi-consumer") != group:
            continue
        topic = headers.get("lianyi-source-topic") or record.topic.removesuffix(".dlq")
        source = f"{topic}[{headers.get('lianyi-source-partition', '?')}]@{headers.get('lianyi-source-offset', '?')}"

        def done(outcome: str, event_id: str = "", error: str = "", _r: Any = record, _s: str = source) -> None:
            report.replays.append(Replay(_r.topic, _r.offset, _s, event_id, outcome, error))

        try:
            envelope = envelopes.decode(record.value)
        except Exception as exc:
            done(UNDECODABLE, headers.get("lianyi-event-id", ""), f"undecodable: {exc}")
            continue
        subscription = subscribed.get((topic, envelope.event_type))
        if subscription is None:
            done(NOT_SUBSCRIBED, envelope.event_id, f"{group} does not handle {envelope.event_type} from {topic}")
            continue
        try:
            event = subscription.inbound(envelope)
            if dry_run:
                with units.db.read() as conn:
                    seen = inbox.was_applied(conn, envelope.event_id)
                done(ALREADY_APPLIED if seen else WOULD_REPLAY, envelope.event_id)
                continue
            applied = apply_once(units, subscription, event, topic, clock)
        except Exception as exc:
            log.warning("replaying %s from %s@%d failed again", envelope.event_id, record.topic, record.offset,
                        exc_info=True)
            done(FAILED, envelope.event_id, f"{type(exc).__name__}: {exc}")
            continue
        done(REPLAYED if applied else ALREADY_APPLIED, envelope.event_id)
    return report


def _until_unreadable(records: Iterable[Any], report: Report) -> Iterator[Any]:
    """The records, until reading them fails (a timeout, the broker): then the report says so and
    keeps what was replayed so far, to be printed and counted like any other."""
    iterator = iter(records)
    while True:
        try:
            record = next(iterator)
        except StopIteration:
            return
        except Exception as exc:
            log.warning("the DLQ could not be read to its end", exc_info=True)
            report.incomplete = f"{type(exc).__name__}: {exc}"
            return
        yield record


def run(service: str, settings: RuntimeSettings, units: UnitsOfWork, subscriptions: list[Subscription[Any]],
        clock: Clock, only: list[str], dry_run: bool) -> Report:
    """The replay-dlq command's work: the DLQ twins of the topics the service consumes (or of
    `only` among them), replayed and reported in the log, the metrics and a summary."""
    consumed = sorted({s.topic for s in subscriptions})
    unknown = sorted(set(only) - set(consumed) - {dlq(t) for t in consumed})
    if unknown:
        raise ValueError(f"{service} consumes none of {unknown}; it consumes {consumed}")
    chosen = [t for t in consumed if not only or t in only or dlq(t) in only]
    report = replay(dead_letters(settings, [dlq(t) for t in chosen]), service, units, subscriptions, clock,
                    dry_run)
    for r in report.replays:
        level = logging.WARNING if r.outcome in (FAILED, *UNREPLAYABLE) else logging.INFO
        log.log(level, "%s %s (%s@%d, first at %s)%s", r.outcome, r.event_id or "?", r.dlq_topic, r.dlq_offset,
                r.source, f": {r.error}" if r.error else "")
        if not dry_run:
            metrics.dlq_replayed.labels(service, r.dlq_topic, r.outcome).inc()
    counts = report.counts()
    log.info("%s replay-dlq%s over %s: %s", service, " (dry run)" if dry_run else "", [dlq(t) for t in chosen],
             ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "nothing dead-lettered",
             extra={"outcomes": counts})
    if report.incomplete:
        log.error("%s replay-dlq stopped before the end of the DLQs: %s", service, report.incomplete)
    if not dry_run:
        # A success: read to the end, nothing left that another fix could replay.
        if not report.incomplete and not report.failed:
            metrics.job_last_success.labels(service, "replay-dlq").set(clock.now().timestamp())
        metrics.push_jobs(settings.pushgateway, service, "replay-dlq")
    return report
