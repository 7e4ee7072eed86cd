"""The one injectable source of time, so deadlines, windows and quarters can be tested."""
from __future__ import annotations

import importlib
import ipaddress
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time, always timezone-aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests: stands still until advanced."""

    def __init__(self, start: datetime):
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)


# Set by the local run (localrun.supervisor.LocalSystem(movable_clock=True)) for end-to-end tests.
TEST_CLOCK_VARIABLE = "LIANYI_TEST_CLOCK_FILE"


class MovableClockRefused(RuntimeError):
    """A process was asked for the movable test clock somewhere it must not have one."""


def clock_from_environment(listens_on: Iterable[str], database_url: str | None = None,
                           environ: Mapping[str, str] = os.environ) -> Clock:
    """The system clock; or, in a local run that asks for it with LIANYI_TEST_CLOCK_FILE, the
    clock that tests move forward (localrun.clock). `listens_on` is every address the process
    serves on, `database_url` its database (None for the gateway, which has none)."""
    path = environ.get(TEST_CLOCK_VARIABLE, "")
    if not path:
        return SystemClock()
    # By name, not by an import statement: the production image has no localrun package at
    # all (.dockerignore; the Dockerfile checks), so there the variable stops the process
    # instead of being ignored, and nobody believes they moved a production clock.
    try:
        movable = importlib.import_module("localrun.clock")
    except ImportError:
        raise MovableClockRefused(
            f"{TEST_CLOCK_VARIABLE} is set, but the movable clock exists only in local runs and tests "
            "(localrun is not installed here); unset it") from None
    # A process others can reach serves real people: a clock moved ahead there would expire
    # their sessions and access codes, fire deadlines early and sign tokens that stay valid
    # in the real future. Only a process on this machine's loopback may have one.
    reachable = [address for address in listens_on if not _is_loopback(address)]
    if reachable:
        raise MovableClockRefused(f"{TEST_CLOCK_VARIABLE} is set, but this process listens on {', '.join(reachable)}: "
                                  "the movable clock is for local runs, where every address is loopback")
    # Moved time is written into the data for good (received, issued, expires, fired at). The
    # local run's databases are SQLite files of its own var/; PostgreSQL means a shared
    # database (production's, or a team's), whose data must keep real time.
    if database_url is not None and database_url.partition(":")[0].partition("+")[0] != "sqlite":
        raise MovableClockRefused(f"{TEST_CLOCK_VARIABLE} is set, but this process's database is not SQLite: "
                                  "the movable clock is for local runs, each with its own SQLite files")
    clock: Clock = movable.MovableClock(path)
    return clock


def _is_loopback(address: str) -> bool:
    host = address.rpartition(":")[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name other than localhost may resolve anywhere
