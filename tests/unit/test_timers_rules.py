"""The pure rules of timers: what a payload, kind and due time may be, and how retries back off."""
from datetime import UTC, datetime, timedelta

import pytest

from servicekit import timers
from servicekit.timer_runner import RETRY_CAP, retry_delay

DUE = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_a_payload_is_stored_as_compact_sorted_json_keeping_chinese_readable():
    assert timers.encode_payload({"b": [1, 2], "a": "投票"}) == '{"a":"投票","b":[1,2]}'
    assert timers.encode_payload({}) == "{}"


@pytest.mark.parametrize("payload, problem", [
    (["not", "a", "dict"], "dict with string keys"),
    ({1: "number key"}, "dict with string keys"),
    ({"when": DUE}, "plain JSON"),
    ({"ratio": float("nan")}, "plain JSON"),
    ({"text": "x" * timers.PAYLOAD_MAX_CHARS}, "at most"),
])
def test_a_payload_that_is_not_a_small_json_object_is_refused(payload, problem):
    with pytest.raises(ValueError, match=problem):
        timers.encode_payload(payload)


@pytest.mark.parametrize("kind, subject, due, problem", [
    ("Vote Closes", "s-1", DUE, "kind"),
    ("", "s-1", DUE, "kind"),
    ("vote.closes", "", DUE, "subject"),
    ("vote.closes", "s" * 101, DUE, "subject"),
    ("vote.closes", "s-1", DUE.replace(tzinfo=None), "aware"),
])
def test_scheduling_refuses_a_bad_kind_subject_or_naive_due_time_before_touching_the_database(
        kind, subject, due, problem):
    with pytest.raises(ValueError, match=problem):
        timers.schedule(None, kind, subject, due)  # type: ignore[arg-type]


def test_retries_back_off_by_doubling_up_to_a_cap():
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [timedelta(seconds=s) for s in (10, 20, 40, 80)]
    assert retry_delay(7) == timedelta(seconds=640) < RETRY_CAP
    assert retry_delay(8) == RETRY_CAP == retry_delay(1000)
