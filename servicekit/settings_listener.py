"""Every replica applies a settings change at once: a thread in each process reads the small
topic lianyi.settings.v1 for itself (no consumer group: every replica must see every change) and
drops the service's cached settings when a change to one of its settings arrives, or a record it
cannot read (which may have been one).

It reads from the beginning at start (the topic is small, and a change made while the process was
away is then heard too), and commits nothing. If the broker is down it retries; the cache's
safety time-to-live bounds how long a replica can go on with an old value meanwhile.
"""
from __future__ import annotations

import logging
import threading
from typing import Any

from kafka.structs import TopicPartition

from lianyi.settings.v1.settings_pb2 import SettingChanged
from servicekit import envelope, kafka, metrics, topics
from servicekit.config import RuntimeSettings
from servicekit.errors import UndecodableEvent
from servicekit.settings_store import CountySettings

log = logging.getLogger(__name__)

POLL_MS = 500
_MAX_BACKOFF_S = 5.0
_SETTING_CHANGED = envelope.event_type_of(SettingChanged)


class SettingsListener:
    def __init__(self, settings: CountySettings, runtime: RuntimeSettings, client_id: str = ""):
        self.settings, self.runtime = settings, runtime
        self.client_id = client_id or f"{settings.service}-settings"
        # Set once the listener reads the topic (tests wait for it; the process does not).
        self.listening = threading.Event()

    def run(self, stop: threading.Event) -> None:
        """Listen until `stop` is set; reconnects with backoff when the broker fails."""
        backoff = 0.5
        while not stop.is_set():
            consumer = None
            try:
                consumer = kafka.reader(self.runtime, self.client_id)
                if not self._assign(consumer, stop):
                    return
                # Whatever was announced while nobody listened is in what follows; meanwhile the
                # cache may hold values older than that.
                self.settings.forget()
                self.listening.set()
                backoff = 0.5
                while not stop.is_set():
                    self.apply(consumer.poll(timeout_ms=POLL_MS))
            except Exception:
                metrics.settings_listener_errors.inc()
                log.exception("settings listener failed; retrying in %.1fs", backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF_S)
            finally:
                self.listening.clear()
                if consumer is not None:
                    consumer.close()

    def apply(self, batches: dict[Any, list[Any]]) -> bool:
        """Drop the cached settings if these records announce a change to one of ours, or might (a
        record this listener cannot read); True if so."""
        ours = sum(self._may_be_ours(record.value) for records in batches.values() for record in records)
        if ours:
            metrics.settings_changes_heard.inc(ours)
            self.settings.forget()
            log.info("%d change(s) to %s's settings heard; cached settings dropped", ours, self.settings.service)
        return bool(ours)

    def _may_be_ours(self, raw: bytes | None) -> bool:
        try:
            sealed = envelope.decode(raw)
            if sealed.event_type != _SETTING_CHANGED:
                raise UndecodableEvent(f"{sealed.event_type} is not a {_SETTING_CHANGED}")
            payload = envelope.open_payload(sealed, SettingChanged)
            assert isinstance(payload, SettingChanged)
        except UndecodableEvent as exc:
            # Nothing but settings changes goes on this topic, so this may be a change to one of
            # ours that we cannot read (a newer version of SettingChanged): keeping the cache
            # would serve the old value until the safety TTL, minutes away.
            log.warning("a record on %s this replica cannot read (%s); dropping cached settings in case it was "
                        "a change to %s's", topics.SETTINGS, exc, self.settings.service)
            return True
        return self.settings.owns(payload.key)

    @staticmethod
    def _assign(consumer: Any, stop: threading.Event) -> bool:
        """Read every partition from the beginning once the topic exists; False if stopped first."""
        while not stop.is_set():
            partitions = consumer.partitions_for_topic(topics.SETTINGS)
            if partitions:
                assigned = [TopicPartition(topics.SETTINGS, partition) for partition in sorted(partitions)]
                consumer.assign(assigned)
                consumer.seek_to_beginning(*assigned)
                return True
            log.info("waiting for topic %s", topics.SETTINGS)
            stop.wait(1.0)
        return False
