"""The one TTL cache: rarely-changing lookups, and credentials until they expire."""
from datetime import UTC, datetime, timedelta

from servicekit.caching import TtlCache
from servicekit.clock import FixedClock

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_a_value_is_reused_until_it_expires_and_misses_are_never_cached():
    clock = FixedClock(T0)
    cache: TtlCache[str, str] = TtlCache(clock, timedelta(seconds=30))
    loads = []

    def load(value):
        def loader():
            loads.append(value)
            return value
        return loader

    assert cache.get_or_load("k", load("v1")) == "v1"
    assert cache.get_or_load("k", load("v2")) == "v1"
    clock.advance(seconds=31)
    assert cache.get_or_load("k", load("v3")) == "v3"
    assert cache.get_or_load("missing", load(None)) is None
    assert cache.get_or_load("missing", load("found")) == "found"
    assert loads == ["v1", "v3", None, "found"]


def test_a_value_put_with_its_own_expiry_lives_exactly_that_long():
    clock = FixedClock(T0)
    cache: TtlCache[str, str] = TtlCache(clock, timedelta(hours=1))
    cache.put("token", "principal", expires_at=T0 + timedelta(seconds=60))
    clock.advance(seconds=59)
    assert cache.get("token") == "principal"
    clock.advance(seconds=1)
    assert cache.get("token") is None, "gone at its own expiry, though the cache's ttl is an hour"


def test_a_full_cache_starts_afresh_and_clear_forgets_everything():
    clock = FixedClock(T0)
    cache: TtlCache[int, int] = TtlCache(clock, timedelta(minutes=1), max_entries=2)
    cache.put(1, 1)
    cache.put(2, 2)
    cache.put(2, 20)  # replacing a key does not count as growing
    assert (cache.get(1), cache.get(2)) == (1, 20)
    cache.put(3, 3)
    assert (cache.get(1), cache.get(2), cache.get(3)) == (None, None, 3)
    cache.clear()
    assert cache.get(3) is None
