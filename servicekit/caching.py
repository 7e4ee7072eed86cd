"""The one time-to-live cache: for data that changes rarely and is read on every request, and for
verified credentials until they expire."""
from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from servicekit.clock import Clock

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """Values live `ttl` after they are put (or until the time given with them). A missing value
    (None) is never cached, so something created a moment ago is found at once. Bounded: when
    full, it starts afresh rather than track what is least used (entries are cheap to reload)."""

    def __init__(self, clock: Clock, ttl: timedelta, max_entries: int = 10_000):
        self.clock, self.ttl, self.max_entries = clock, ttl, max_entries
        self._entries: dict[K, tuple[datetime, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value if it is still fresh, else None."""
        with self._lock:
            entry = self._entries.get(key)
        return entry[1] if entry is not None and entry[0] > self.clock.now() else None

    def put(self, key: K, value: V, *, expires_at: datetime | None = None) -> None:
        """Keep a value until `expires_at`, or for the cache's ttl."""
        until = expires_at if expires_at is not None else self.clock.now() + self.ttl
        with self._lock:
            if len(self._entries) >= self.max_entries and key not in self._entries:
                self._entries.clear()
            self._entries[key] = (until, value)

    def get_or_load(self, key: K, load: Callable[[], V | None]) -> V | None:
        """The fresh value, or what `load` gives (kept unless it is None)."""
        value = self.get(key)
        if value is None:
            value = load()
            if value is not None:
                self.put(key, value)
        return value

    def clear(self) -> None:
        """Drop every value, so a change made here is seen here at once (other processes hear of
        it through the events that announce it, or when their copies expire)."""
        with self._lock:
            self._entries.clear()
