"""The TTL cache used for rarely-changing lookups."""
from datetime import datetime, timedelta, timezone

from servicekit.caching import TtlCache
from servicekit.clock import FixedClock


def test_a_value_is_reused_until_it_expires_and_misses_are_never_cached():
    clock = FixedClock(datetime(2026, 11, 1, tzinfo=timezone.utc))
    cache: TtlCache[str] = TtlCache(clock, timedelta(seconds=30))
    loads = []

    def load(value):
        def loader():
            loads.append(value)
            return value
        return loader

    assert cache.get("k", load("v1")) == "v1"
    assert cache.get("k", load("v2")) == "v1"
    clock.advance(seconds=31)
    assert cache.get("k", load("v3")) == "v3"
    assert cache.get("missing", load(None)) is None
    assert cache.get("missing", load("found")) == "found"
    assert loads == ["v1", "v3", None, "found"]
