"""The suite's order (tests/conftest.py): unmarked tests, then those that move time for real
processes, then the make-run check, each group in the order it was collected."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import E2E, MAKE_RUN_CHECK, pytest_collection_modifyitems


class _Item:
    def __init__(self, name: str, path: Path = E2E.parent / "unit" / "test_x.py", moves_time: bool = False):
        self.name, self.path, self.moves_time, self.markers = name, path, moves_time, []

    def get_closest_marker(self, name: str):
        return pytest.mark.moves_time.mark if name == "moves_time" and self.moves_time else None

    def add_marker(self, marker) -> None:
        self.markers.append(marker.mark)


def test_tests_that_move_time_run_after_the_others_and_the_make_run_check_runs_last():
    items = [_Item("make run", MAKE_RUN_CHECK), _Item("deadline", E2E / "test_d.py", moves_time=True),
             _Item("unit a"), _Item("reminder", E2E / "test_r.py", moves_time=True), _Item("e2e b", E2E / "test_b.py")]
    pytest_collection_modifyitems(None, items)
    assert [i.name for i in items] == ["unit a", "e2e b", "deadline", "reminder", "make run"]


def test_the_end_to_end_tests_share_one_worker_and_the_others_do_not():
    items = [_Item("unit a"), _Item("e2e b", E2E / "test_b.py"), _Item("make run", MAKE_RUN_CHECK)]
    pytest_collection_modifyitems(None, items)
    groups = {i.name: [m.args for m in i.markers if m.name == "xdist_group"] for i in items}
    assert groups == {"unit a": [], "e2e b": [("e2e",)], "make run": [("e2e",)]}
