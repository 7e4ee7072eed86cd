"""Reading and writing topics directly, for tests that check what is really on the broker."""
from __future__ import annotations

import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.structs import TopicPartition


def read_topic(broker: str, topic: str, expected: int | None = None, timeout_s: float = 20) -> list:
    """Every record on `topic` from the beginning: once at least `expected` have arrived, or
    (with no `expected`) once the topic has gone quiet."""
    consumer = KafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False, fetch_max_wait_ms=10)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        records, deadline, quiet_polls = [], time.monotonic() + timeout_s, 0
        while time.monotonic() < deadline:
            if expected is not None and len(records) >= expected:
                break
            batches = consumer.poll(timeout_ms=100)
            for batch in batches.values():
                records.extend(batch)
            quiet_polls = 0 if batches else quiet_polls + 1
            if expected is None and quiet_polls >= 3:
                break
        return records
    finally:
        consumer.close()


def produce(broker: str, topic: str, messages: list[tuple[bytes, bytes | None]]) -> None:
    producer = KafkaProducer(bootstrap_servers=broker)
    try:
        for key, value in messages:
            producer.send(topic, key=key, value=value)
        producer.flush(10)
    finally:
        producer.close()


def uncommitted(broker: str, group: str, topic: str, expected: int) -> int:
    """How many of the `expected` records on `topic` the group has not committed past.

    The end of each partition is taken from the records themselves: Tansu's ListOffsets answer
    for "latest" is not reliable.
    """
    records = read_topic(broker, topic, expected)
    admin = KafkaAdminClient(bootstrap_servers=broker)
    try:
        committed = admin.list_group_offsets(group).get(group, {})
    finally:
        admin.close()

    def position(partition: int) -> int:
        meta = committed.get(TopicPartition(topic, partition))
        return meta.offset if meta else 0

    return sum(1 for r in records if r.offset >= position(r.partition))


def wait_for(predicate, timeout_s: float = 20, interval_s: float = 0.05, message: str = "condition"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {message}")
