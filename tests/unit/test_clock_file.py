"""The movable test clock (localrun.clock): the system time plus an offset in a file that tests
move forward; every reader sees a move at its next reading; it never goes back."""
from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta

import pytest

from localrun.clock import ClockFileError, MovableClock, format_offset, move_forward, parse_offset, read_offset, start


@pytest.fixture
def clock_file(tmp_path):
    path = tmp_path / "test-clock"
    start(path)
    return path


def _ahead(clock: MovableClock) -> timedelta:
    """How far the clock reads ahead of the system, to the second."""
    return timedelta(seconds=round((clock.now() - datetime.now(UTC)).total_seconds()))


def test_a_new_clock_file_starts_at_real_time_and_a_restart_keeps_the_moved_time(clock_file):
    assert _ahead(MovableClock(clock_file)) == timedelta(0)
    move_forward(clock_file, timedelta(days=3))
    assert start(clock_file) == timedelta(days=3), "starting again on the same var/ keeps its time"
    assert _ahead(MovableClock(clock_file)) == timedelta(days=3)


def test_every_reader_sees_a_move_at_its_next_reading(clock_file):
    gateway, service = MovableClock(clock_file), MovableClock(clock_file)
    gateway.now(), service.now()
    move_forward(clock_file, timedelta(days=30))
    assert _ahead(gateway) == _ahead(service) == timedelta(days=30)


def test_moves_in_quick_succession_are_each_seen(clock_file):
    # A replaced file's inode is often reused at once, and the moves fall within one tick of the
    # file system's clock: the reader must still tell every version apart.
    clock = MovableClock(clock_file)
    for n in range(1, 51):
        move_forward(clock_file, timedelta(seconds=1))
        move_forward(clock_file, timedelta(seconds=1))  # unread: the same inode and tick as the last read
        assert clock.offset() == timedelta(seconds=2 * n)


def test_readers_never_see_a_half_written_or_earlier_offset_while_it_moves(clock_file):
    clock, done, seen, errors = MovableClock(clock_file), threading.Event(), [], []

    def read() -> None:
        while not done.is_set():
            try:
                seen.append(clock.offset())
            except Exception as exc:
                errors.append(exc)
                return

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(200):
            move_forward(clock_file, timedelta(minutes=1))
    finally:
        done.set()
        reader.join()
    assert errors == []
    assert seen == sorted(seen) and len(seen) > 200
    assert clock.offset() == timedelta(minutes=200)


def test_the_clock_only_moves_forward(clock_file):
    move_forward(clock_file, timedelta(hours=2))
    with pytest.raises(ValueError, match="only moves forward"):
        move_forward(clock_file, timedelta(seconds=-1))
    assert read_offset(clock_file) == timedelta(hours=2)


def test_an_offset_written_smaller_by_hand_stops_every_reading(clock_file):
    clock = MovableClock(clock_file)
    move_forward(clock_file, timedelta(days=1))
    clock.now()
    clock_file.write_text("3600\n")
    with pytest.raises(ClockFileError, match="went back"):
        clock.now()


@pytest.mark.parametrize("text, problem", [
    ("-86400\n", "negative"), ("-0.5", "negative"), ("", "not an offset"), ("soon", "not an offset"),
    ("1e5", "not an offset"), ("nan", "not an offset"), ("86400 seconds", "not an offset"),
    ("1.1234567", "not an offset"), ("999999999999", "more than"),
])
def test_a_negative_or_garbled_offset_is_refused_by_name(tmp_path, text, problem):
    path = tmp_path / "test-clock"
    path.write_text(text)
    with pytest.raises(ClockFileError, match=problem):
        MovableClock(path)
    with pytest.raises(ClockFileError, match=problem):
        start(path)


def test_a_garbled_file_written_after_start_stops_every_reading(clock_file):
    clock = MovableClock(clock_file)
    clock_file.write_text("tomorrow")
    with pytest.raises(ClockFileError, match="not an offset"):
        clock.now()


def test_a_missing_clock_file_is_refused_at_once_and_when_it_goes(tmp_path, clock_file):
    with pytest.raises(ClockFileError, match="does not exist"):
        MovableClock(tmp_path / "no-such-clock")
    clock = MovableClock(clock_file)
    os.unlink(clock_file)
    with pytest.raises(ClockFileError, match="gone"):
        clock.now()


def test_offsets_keep_every_microsecond():
    offset = timedelta(days=91, microseconds=7)
    assert format_offset(offset) == "7862400.000007\n"
    assert parse_offset(format_offset(offset)) == offset
    assert parse_offset("2.5") == timedelta(seconds=2, microseconds=500000)
