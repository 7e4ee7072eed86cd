"""A small time-to-live cache for data that changes rarely and is read on every request."""
from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from datetime import timedelta
from typing import Generic, TypeVar

from servicekit.clock import Clock

V = TypeVar("V")


class TtlCache(Generic[V]):
    """Values live `ttl` after loading; a missing value (None) is never cached, so something
    created a moment ago is found at once."""

    def __init__(self, clock: Clock, ttl: timedelta, max_entries: int = 10_000):
        self.clock, self.ttl, self.max_entries = clock, ttl, max_entries
        self._entries: dict[Hashable, tuple[object, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], V | None]) -> V | None:
        now = self.clock.now()
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        value = load()
        if value is not None:
            with self._lock:
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
                self._entries[key] = (now + self.ttl, value)
        return value

    def clear(self) -> None:
        """Drop every value, so a change made here is seen here at once (other processes see it
        when their copies expire)."""
        with self._lock:
            self._entries.clear()
