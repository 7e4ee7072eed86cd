"""The hook that gives a process the movable test clock (servicekit.clock.clock_from_environment):
only when asked, only where localrun exists, only on loopback addresses and SQLite."""
from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta

import pytest

from localrun.clock import move_forward, start
from localrun.supervisor import Addresses, LocalSystem
from servicekit.clock import TEST_CLOCK_VARIABLE, MovableClockRefused, SystemClock, clock_from_environment

LOCAL_SERVICE = {"listens_on": ["127.0.0.1:9201", "127.0.0.1:9101"], "database_url": "sqlite:///var/intake.db"}


@pytest.fixture
def asked(tmp_path) -> dict[str, str]:
    """An environment asking for the movable clock, whose file is three days ahead."""
    path = tmp_path / "test-clock"
    start(path)
    move_forward(path, timedelta(days=3))
    return {TEST_CLOCK_VARIABLE: str(path)}


def _days_ahead(clock) -> float:
    return round((clock.now() - datetime.now(UTC)) / timedelta(days=1), 3)


def test_without_the_variable_a_process_keeps_the_system_clock():
    assert isinstance(clock_from_environment(**LOCAL_SERVICE, environ={}), SystemClock)
    assert isinstance(clock_from_environment(["0.0.0.0:8080"], environ={TEST_CLOCK_VARIABLE: ""}), SystemClock)


@pytest.mark.parametrize("listens_on, database_url", [
    (["127.0.0.1:9201", "127.0.0.1:9101"], "sqlite:///var/intake.db"),
    (["127.0.0.2:9201", "[::1]:9101"], "sqlite+pysqlite:////tmp/x/intake.db"),
    (["localhost:8080"], None),  # the gateway: no database
])
def test_a_local_process_that_asks_gets_the_moved_time(asked, listens_on, database_url):
    clock = clock_from_environment(listens_on, database_url, environ=asked)
    assert _days_ahead(clock) == 3


def test_without_localrun_as_in_the_production_image_the_process_stops_with_why(asked, monkeypatch):
    monkeypatch.setitem(sys.modules, "localrun.clock", None)  # makes importing it fail
    with pytest.raises(MovableClockRefused, match="exists only in local runs and tests"):
        clock_from_environment(**LOCAL_SERVICE, environ=asked)


@pytest.mark.parametrize("address", ["0.0.0.0:9201", "10.1.2.3:9201", "[::]:9201", "intake:50051",
                                     "my-laptop.example:8080"])
def test_a_process_listening_beyond_loopback_is_refused_the_movable_clock(asked, address):
    with pytest.raises(MovableClockRefused, match=f"listens on {re.escape(address)}"):
        clock_from_environment(["127.0.0.1:9101", address], "sqlite:///var/intake.db", environ=asked)
    with pytest.raises(MovableClockRefused, match="listens on"):
        clock_from_environment([address], environ=asked)  # the gateway likewise


@pytest.mark.parametrize("database_url", ["postgresql+psycopg://lianyi@db:5432/intake",
                                          "postgresql://postgres@127.0.0.1:5432/test"])
def test_a_service_on_a_shared_database_is_refused_the_movable_clock(asked, database_url):
    with pytest.raises(MovableClockRefused, match="not SQLite"):
        clock_from_environment(LOCAL_SERVICE["listens_on"], database_url, environ=asked)


def test_a_missing_clock_file_stops_the_process(tmp_path):
    from localrun.clock import ClockFileError

    with pytest.raises(ClockFileError, match="does not exist"):
        clock_from_environment(**LOCAL_SERVICE, environ={TEST_CLOCK_VARIABLE: str(tmp_path / "nowhere")})


def test_make_run_keeps_real_time_even_when_the_shell_asks_for_the_movable_clock(tmp_path, monkeypatch):
    monkeypatch.setenv(TEST_CLOCK_VARIABLE, str(tmp_path / "left-over-clock"))
    make_run = LocalSystem(tmp_path / "var", Addresses())
    assert TEST_CLOCK_VARIABLE not in make_run.env()
    with pytest.raises(RuntimeError, match="keeps real time"):
        make_run.move_clock(days=1)

    tests = LocalSystem(tmp_path / "e2e-var", Addresses(), movable_clock=True)
    assert tests.env()[TEST_CLOCK_VARIABLE] == str(tmp_path / "e2e-var" / "test-clock")
