"""A clock that end-to-end tests move forward for every process of a local run at once.

Its time is the system's plus an offset kept in one file (under the run's var/). A test moves
time by writing a larger offset; each process's next `now()` already reads the new time, so a
token the gateway signs after a move is checked by a service on the same time. The clock only
moves forward: time that ran backwards would make issued-at checks, leases and timers lie.

Processes use it only through `servicekit.clock.clock_from_environment`, which refuses it
outside local runs; this package is never in the production image (.dockerignore).
"""
from __future__ import annotations

import fcntl
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Seconds, to the microsecond, e.g. "2592000.000000". A sign is read only to refuse it by name.
_OFFSET = re.compile(r"\s*(-?)(\d{1,12})(?:\.(\d{1,6}))?\s*")
# Far enough for any test; beyond it the sum overflows datetime or is a mistake.
MAX_OFFSET = timedelta(days=100 * 366)
_US = 1_000_000
# FAT's two seconds: the coarsest modification time a file system here might keep.
_COARSEST_MTIME_NS = 2_000_000_000


class ClockFileError(RuntimeError):
    """The clock file is missing, garbled, negative, or went backwards."""


def parse_offset(text: str, path: Path | str = "the clock file") -> timedelta:
    """The offset written in a clock file, or ClockFileError saying what is wrong with it."""
    match = _OFFSET.fullmatch(text)
    if match is None:
        raise ClockFileError(f"{path} holds {text[:40]!r}, not an offset in seconds (e.g. 86400.0)")
    sign, whole, fraction = match.groups()
    offset = timedelta(microseconds=int(whole) * _US + int((fraction or "").ljust(6, "0")))
    if sign:
        raise ClockFileError(f"{path} holds a negative offset ({text.strip()}): the test clock only moves forward")
    if offset > MAX_OFFSET:
        raise ClockFileError(f"{path} moves time {offset.days} days ahead, more than {MAX_OFFSET.days}")
    return offset


def format_offset(offset: timedelta) -> str:
    micros = offset // timedelta(microseconds=1)
    return f"{micros // _US}.{micros % _US:06d}\n"


def read_offset(path: Path) -> timedelta:
    """The offset now in the file at `path`."""
    try:
        return parse_offset(path.read_text(), path)
    except FileNotFoundError:
        raise ClockFileError(f"the test clock file {path} does not exist") from None


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    # Two writers (a test and a helper thread, say) must not both read offset N and write N + d.
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _write(path: Path, offset: timedelta) -> None:
    """Replace the file in one step (readers see the old offset or the new, never half of one),
    with a modification time later than the old file's: readers notice a change by it."""
    try:
        previous_ns = os.stat(path).st_mtime_ns
    except FileNotFoundError:
        previous_ns = 0
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    try:
        with os.fdopen(descriptor, "w") as out:
            out.write(format_offset(offset))
        # The inode of a replaced file may be reused at once, and two moves may fall within one
        # tick of the file system's coarse clock: an mtime that always increases tells them apart.
        for stamp in (max(time.time_ns(), previous_ns + 1), previous_ns + _COARSEST_MTIME_NS):
            os.utime(temporary, ns=(stamp, stamp))
            if os.stat(temporary).st_mtime_ns > previous_ns:
                break
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def start(path: Path) -> timedelta:
    """Create the clock file at offset zero unless it exists (a restarted run keeps its time);
    returns its offset, so a garbled file is reported before any process starts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path):
        if not path.exists():
            _write(path, timedelta(0))
        return read_offset(path)


def move_forward(path: Path, delta: timedelta) -> timedelta:
    """Move the clock in `path` forward by `delta` for every process reading it; returns the new
    offset. Refuses to move backwards."""
    if delta < timedelta(0):
        raise ValueError(f"the test clock only moves forward, not by {delta}")
    with _locked(path):
        offset = read_offset(path) + delta
        if offset > MAX_OFFSET:
            raise ValueError(f"moving by {delta} would put the test clock more than {MAX_OFFSET.days} days ahead")
        _write(path, offset)
    return offset


class MovableClock:
    """The system time plus the offset in a clock file, re-read whenever the file changes."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._lock = threading.Lock()
        # (the file's identity and modification time, its offset): one tuple, swapped whole.
        self._seen: tuple[tuple[int, int], timedelta] = ((-1, -1), timedelta(0))
        self._reload()

    def now(self) -> datetime:
        # One stat per reading (1.7 us in all, against 0.3 for the system clock, on the dev machine):
        # a move is seen by the very next reading, in every process.
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            raise ClockFileError(f"the test clock file {self.path} has gone") from None
        key, offset = self._seen
        if (stat.st_ino, stat.st_mtime_ns) != key:
            offset = self._reload()
        return datetime.now(UTC) + offset

    def offset(self) -> timedelta:
        """How far this clock is ahead of the system's."""
        self.now()
        return self._seen[1]

    def _reload(self) -> timedelta:
        with self._lock:
            try:
                with open(self.path) as source:
                    stat = os.fstat(source.fileno())  # the identity of what is read, not of a newer file
                    offset = parse_offset(source.read(), self.path)
            except FileNotFoundError:
                raise ClockFileError(f"the test clock file {self.path} does not exist") from None
            previous = self._seen[1]
            if offset < previous:
                raise ClockFileError(f"{self.path} went back from {previous} to {offset}: the test clock only "
                                     "moves forward")
            self._seen = ((stat.st_ino, stat.st_mtime_ns), offset)
            return offset
