"""Kafka wiring: producers, consumers and topic creation with lianyi's settings.

Nothing connects at import time; each factory connects when called.
"""
from __future__ import annotations

import logging
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from servicekit.config import RuntimeSettings
from servicekit.topics import TopicSpec, catalogue

log = logging.getLogger(__name__)


def security(settings: RuntimeSettings) -> dict[str, Any]:
    """The connection's security settings, the same for every client: PLAINTEXT, or TLS with the
    cluster's CA and (for a broker that authenticates clients by certificate) the client's own."""
    if settings.kafka_security_protocol == "PLAINTEXT":
        return {"security_protocol": "PLAINTEXT"}
    options: dict[str, Any] = {"security_protocol": "SSL", "ssl_check_hostname": True,
                               "ssl_cafile": str(settings.kafka_ssl_cafile)}
    if settings.kafka_ssl_certfile is not None:
        options["ssl_certfile"] = str(settings.kafka_ssl_certfile)
        options["ssl_keyfile"] = str(settings.kafka_ssl_keyfile)
    return options


def producer(settings: RuntimeSettings, client_id: str, max_block_ms: int = 60_000) -> KafkaProducer:
    """An idempotent producer (acks=all): retries cannot reorder or double a partition's records.
    `max_block_ms` bounds how long one send may wait (for a topic's metadata, or buffer space)."""
    return KafkaProducer(
        bootstrap_servers=settings.broker,
        **security(settings),
        client_id=client_id,
        max_block_ms=max_block_ms,
        acks="all",
        enable_idempotence=True,
        linger_ms=2,
        retries=10,
        retry_backoff_ms=100,
    )


def consumer(settings: RuntimeSettings, group: str, topics: list[str]) -> KafkaConsumer:
    """A consumer that commits only when told to, after its transactions commit."""
    return KafkaConsumer(
        *topics,
        bootstrap_servers=settings.broker,
        **security(settings),
        group_id=group,
        client_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_interval_ms=settings.kafka_max_poll_interval_ms,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        max_poll_records=settings.kafka_max_poll_records,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        fetch_min_bytes=settings.kafka_fetch_min_bytes,
    )


def reader(settings: RuntimeSettings, client_id: str) -> KafkaConsumer:
    """A consumer outside any consumer group, for a process that reads a whole small topic for
    itself (assign and seek; nothing is committed): no group join to wait for."""
    return KafkaConsumer(
        bootstrap_servers=settings.broker,
        **security(settings),
        group_id=None,
        client_id=client_id,
        enable_auto_commit=False,
        # Also how soon a record is heard (Tansu does not cut the fetch short): see the setting.
        fetch_max_wait_ms=settings.kafka_reader_fetch_max_wait_ms,
        # Changes are rare and small: hand each over at once rather than wait for a fuller fetch.
        fetch_min_bytes=1,
    )


def ensure_topics(settings: RuntimeSettings, specs: list[TopicSpec] | None = None) -> list[str]:
    """Create the topics that are missing (by default the whole catalogue) with their partition
    counts; the broker would otherwise auto-create them with its own on first produce.
    Returns the names created."""
    specs = catalogue(settings.topic_partitions) if specs is None else specs
    admin = KafkaAdminClient(bootstrap_servers=settings.broker, client_id="lianyi-topics", **security(settings))
    try:
        existing = set(admin.list_topics())
        missing = [spec for spec in specs if spec.name not in existing]
        if missing:
            try:
                admin.create_topics(
                    [NewTopic(s.name, s.partitions, 1, topic_configs=s.config) for s in missing]
                )
            except TopicAlreadyExistsError:
                log.info("topics created concurrently by another process")
        return [s.name for s in missing]
    finally:
        admin.close()
