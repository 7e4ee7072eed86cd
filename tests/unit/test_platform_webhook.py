"""The county platform webhook's pure rules: the signature a receiver checks, and how retries
back off; and the settings the deliverer refuses to start with."""
import random
from datetime import timedelta

import pytest

from services.dispatch.platform.config import PlatformSettingRefused, load_platform_settings
from services.dispatch.platform.webhook import BACKOFF_CAP, SignatureRefused, backoff, sign, verify

SECRET = b"county-platform-shared-secret"
BODY = '{"task_id":"t-1","summary":"违建阳光房"}'.encode()
NOW = 1_793_000_000


def test_a_signature_verifies_with_the_same_secret_body_and_time():
    header = sign(SECRET, NOW, BODY)
    assert header.startswith(f"t={NOW},v1=") and len(header.split("v1=")[1]) == 64
    verify(SECRET, header, BODY, now=NOW + 299)


def test_a_signature_made_with_another_secret_is_refused_as_not_matching():
    with pytest.raises(SignatureRefused, match="does not match"):
        verify(SECRET, sign(b"someone-else-s-secret-value", NOW, BODY), BODY, now=NOW)


def test_an_altered_body_is_refused():
    with pytest.raises(SignatureRefused, match="does not match"):
        verify(SECRET, sign(SECRET, NOW, BODY), BODY.replace(b"t-1", b"t-2"), now=NOW)


def test_a_replay_with_a_fresh_timestamp_does_not_match_because_the_timestamp_is_signed():
    old = sign(SECRET, NOW, BODY)
    replayed = f"t={NOW + 3600}," + old.split(",", 1)[1]
    with pytest.raises(SignatureRefused, match="does not match"):
        verify(SECRET, replayed, BODY, now=NOW + 3600)


@pytest.mark.parametrize("sent_at, reason", [(NOW - 301, "old"), (NOW + 301, "in the future")])
def test_a_genuine_signature_outside_the_tolerance_is_refused_as_stale(sent_at, reason):
    with pytest.raises(SignatureRefused, match=f"301s {reason}"):
        verify(SECRET, sign(SECRET, sent_at, BODY), BODY, now=NOW)


@pytest.mark.parametrize("header", [
    "", "garbage", f"v1={'0' * 64}", f"t=soon,v1={'0' * 64}", f"t={NOW}", f"t={NOW},t={NOW},v1=ab", f"t={NOW},v1=",
])
def test_a_malformed_header_is_refused_with_its_reason(header):
    with pytest.raises(SignatureRefused, match="malformed"):
        verify(SECRET, header, BODY, now=NOW)


def test_a_refusal_is_a_value_error_for_callers_that_catch_those():
    assert issubclass(SignatureRefused, ValueError)


def test_any_one_of_several_signatures_matching_suffices_while_a_secret_is_rotated():
    header = sign(SECRET, NOW, BODY) + ",v1=" + "0" * 64
    verify(SECRET, header, BODY, now=NOW)


class Highest(random.Random):
    """The top of the jitter range, to read the ceiling."""

    def random(self) -> float:
        return 0.999999


def test_backoff_ceiling_doubles_from_two_seconds_and_is_capped_at_ten_minutes():
    ceilings = [backoff(attempt, Highest()).total_seconds() for attempt in range(1, 12)]
    assert [round(c) for c in ceilings[:5]] == [2, 4, 8, 16, 32]
    assert max(ceilings) <= BACKOFF_CAP.total_seconds() and round(ceilings[-1]) == 600
    assert backoff(10_000, Highest()) <= BACKOFF_CAP


def test_backoff_is_jittered_over_the_whole_range_below_its_ceiling():
    rng = random.Random(7)
    waits = [backoff(8, rng) for _ in range(200)]
    assert len(set(waits)) > 190, "attempts that failed together spread out"
    assert min(waits) < timedelta(seconds=30) and max(waits) > timedelta(seconds=220)
    assert all(timedelta(0) <= wait <= timedelta(seconds=256) for wait in waits)


@pytest.mark.parametrize("environ, problem", [
    ({"LIANYI_DISPATCH_PLATFORM_URL": "ftp://platform.example/hook", "LIANYI_DISPATCH_PLATFORM_SECRET": "x" * 32},
     "http"),
    ({"LIANYI_DISPATCH_PLATFORM_URL": "platform.example/hook", "LIANYI_DISPATCH_PLATFORM_SECRET": "x" * 32}, "http"),
    ({"LIANYI_DISPATCH_PLATFORM_URL": "https://platform.example/hook", "LIANYI_DISPATCH_PLATFORM_SECRET": "short"},
     "16 bytes"),
    ({"LIANYI_DISPATCH_PLATFORM_URL": "https://platform.example/hook"}, "16 bytes"),
    ({"LIANYI_DISPATCH_PLATFORM_TIMEOUT_S": "soon"}, "number of seconds"),
    ({"LIANYI_DISPATCH_PLATFORM_TIMEOUT_S": "0"}, "number of seconds"),
])
def test_platform_settings_that_make_no_sense_stop_the_process_with_a_clear_message(environ, problem):
    with pytest.raises(PlatformSettingRefused, match=problem):
        load_platform_settings(environ)


def test_without_a_url_deliveries_wait_and_the_secret_never_shows_in_a_repr():
    assert load_platform_settings({}).url is None
    settings = load_platform_settings({"LIANYI_DISPATCH_PLATFORM_URL": "http://127.0.0.1:8080/hook",
                                       "LIANYI_DISPATCH_PLATFORM_SECRET": "s3cret-s3cret-s3cret"})
    assert settings.timeout_s == 10 and "s3cret" not in repr(settings)
