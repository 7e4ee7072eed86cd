"""The settings listener drops a replica's cached settings when a change to one of its service's
settings arrives, or a record it cannot read (which may have been one). Records as the broker
hands them over; no broker."""
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from lianyi.intake.v1.events_pb2 import ConcernsMerged
from lianyi.settings.v1.settings_pb2 import SettingChanged
from servicekit import envelope
from servicekit.config import RuntimeSettings
from servicekit.events import Place
from servicekit.settings_listener import SettingsListener

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Cached:
    """Intake's settings as far as the listener sees them: which are its own, and the cache."""

    service = "intake"

    def __init__(self):
        self.forgotten = 0

    def owns(self, key: str) -> bool:
        return key.split(".", 1)[0] == self.service

    def forget(self) -> None:
        self.forgotten += 1


def sealed(payload, version: int | None = None) -> bytes:
    event = envelope.seal(payload, producer="intake", place=Place(""), occurred_at=AT)
    if version is not None:
        event.event_version = version
    return event.SerializeToString()


def change(key: str) -> SettingChanged:
    return SettingChanged(key=key, scope_id="*", value_json="7", version=2)


def heard(raw: bytes | None) -> tuple[bool, int]:
    cached = Cached()
    dropped = SettingsListener(cached, RuntimeSettings()).apply({"partition-0": [SimpleNamespace(value=raw)]})
    return dropped, cached.forgotten


def test_a_change_to_one_of_its_settings_drops_the_cache():
    assert heard(sealed(change("intake.duplicates.window_days"))) == (True, 1)


def test_a_change_to_another_services_settings_keeps_it():
    assert heard(sealed(change("dispatch.deadlines.joint_days"))) == (False, 0)


@pytest.mark.parametrize("raw", [
    sealed(change("intake.duplicates.window_days"), version=envelope.version_of(SettingChanged) + 1),
    b"not an envelope",
    sealed(ConcernsMerged(survivor_id="c1")),
], ids=["a newer SettingChanged", "garbage", "not a SettingChanged"])
def test_a_record_it_cannot_read_drops_the_cache_since_it_may_have_been_a_change_to_one(raw, caplog):
    """Keeping the cache would serve old values until the safety TTL, minutes later."""
    assert heard(raw) == (True, 1)
    assert "lianyi.settings.v1" in caplog.text
