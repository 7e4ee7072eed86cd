"""A county setting's versions on a real database: every change to one place and qualifier gets
a version above the last, across a clear too, and two changes at once take turns (PostgreSQL runs
them side by side; SQLite lets one write at a time), so what each reports is what stands."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from servicekit import migrations
from servicekit.database import Database
from servicekit.errors import NotFound
from tests.integration.conftest import intake_parts
from tests.integration.test_county_settings import WINDOW, settings_events, window_at


def test_a_value_set_again_after_a_clear_goes_on_from_the_clears_version(desk):
    """Replicas and other consumers may compare versions: one that starts again at 1 reads as old."""
    county, nb = desk.parts.settings.county, desk.ids["nb-1"]
    county.set(WINDOW, nb, "", 7)
    county.clear(WINDOW, nb, "")
    again = county.set(WINDOW, nb, "", 14)
    assert again.version == 3
    assert [(event.version, event.cleared) for _, event in settings_events(desk.db)] == [
        (1, False), (2, True), (3, False)]


def test_a_set_racing_a_clear_leaves_the_value_it_reports(desk):
    county, nb = desk.parts.settings.county, desk.ids["nb-1"]
    county.set(WINDOW, nb, "", 7)
    cleared, kept = one_beside_another(desk, lambda: county.clear(WINDOW, nb, ""),
                                       lambda: county.set(WINDOW, nb, "", 14))
    assert (cleared.value, kept.value, kept.version) == (7, 14, 3)
    assert window_at(desk, "nb-1") == 14
    assert_events_tell_what_stands(desk)


def test_a_clear_racing_a_set_removes_it_with_a_later_version(desk):
    county, nb = desk.parts.settings.county, desk.ids["nb-1"]
    county.set(WINDOW, nb, "", 7)
    kept, cleared = one_beside_another(desk, lambda: county.set(WINDOW, nb, "", 14),
                                       lambda: county.clear(WINDOW, nb, ""))
    assert (kept.version, cleared.value, cleared.version) == (2, 14, 2)
    assert window_at(desk, "nb-1") == 30, "the default"
    assert_events_tell_what_stands(desk)


@pytest.mark.parametrize("before", [None, 7], ids=["new", "replaced"])
def test_two_sets_at_once_each_get_their_own_version_and_the_later_stands(desk, before):
    county, nb = desk.parts.settings.county, desk.ids["nb-1"]
    if before is not None:
        county.set(WINDOW, nb, "", before)
    first, second = one_beside_another(desk, lambda: county.set(WINDOW, nb, "", 14),
                                       lambda: county.set(WINDOW, nb, "", 21))
    assert (second.version - first.version, second.setting_id) == (1, first.setting_id)
    assert window_at(desk, "nb-1") == 21
    assert_events_tell_what_stands(desk)


def test_two_clears_at_once_remove_the_value_once(desk):
    county, nb = desk.parts.settings.county, desk.ids["nb-1"]
    county.set(WINDOW, nb, "", 7)
    first, second = one_beside_another(desk, lambda: county.clear(WINDOW, nb, ""),
                                       lambda: county.clear(WINDOW, nb, ""), may_refuse=True)
    assert first.value == 7 and isinstance(second, NotFound)
    assert [event.cleared for _, event in settings_events(desk.db)] == [False, True]


def test_a_value_from_before_versions_were_kept_goes_on_from_its_own(database_url, clock):
    db = Database(database_url)
    migrations.upgrade(db, "intake", "0017")  # values, but no version kept beside them
    with db.write() as tx:
        tx.conn.execute(sa.text(
            "INSERT INTO county_settings (id, key, scope_id, qualifier, value, version, updated_at, updated_by) "
            "VALUES ('old-value', :key, '*', '', '45', 5, :at, 'system')"),
            {"key": WINDOW, "at": clock.now().replace(tzinfo=None)})
    migrations.upgrade(db, "intake")
    county = intake_parts(db, clock).settings.county
    county.clear(WINDOW, "*", "")
    assert county.set(WINDOW, "*", "", 60).version == 7

    migrations.downgrade(db, "intake", "0017")
    with db.read() as conn:
        assert "county_setting_versions" not in sa.inspect(conn).get_table_names()
        assert conn.execute(sa.text("SELECT version FROM county_settings WHERE key = :key"), {"key": WINDOW}).scalar_one() == 7
    db.dispose()


def one_beside_another(desk, first, second, may_refuse: bool = False) -> tuple[object, object]:
    """Run `first` until its change is made but not committed (it is held open as it audits it),
    then `second` beside it; once `second` has had time to run into `first`, let `first` commit.
    Returns what each returned, or (if they `may_refuse`) the exception it raised."""
    county = desk.parts.settings.county
    outcomes: dict[str, object] = {}

    def run(name, change):
        try:
            outcomes[name] = change()
        except Exception as exc:  # what it raised is what the test asserts on
            outcomes[name] = exc

    ahead = threading.Thread(target=run, args=("first", first))
    beside = threading.Thread(target=run, args=("second", second))
    audit = county.audit
    county.audit = held = HeldOpen(audit, ahead)
    try:
        ahead.start()
        assert held.holding.wait(10), "the first change is made"
        beside.start()
        beside.join(0.5)
        assert "second" not in outcomes, "the second change waits for the first's transaction"
    finally:
        held.release.set()
        for thread in (ahead, beside):
            if thread.ident is not None:  # started
                thread.join(30)
        county.audit = audit
    refused = [outcome for outcome in outcomes.values() if isinstance(outcome, Exception)]
    assert may_refuse or not refused, f"both changes are made: {refused}"
    return outcomes["first"], outcomes["second"]


class HeldOpen:
    """The audit log, holding `holder`'s transaction open once its change is audited."""

    def __init__(self, audit, holder: threading.Thread):
        self.audit, self.holder = audit, holder
        self.holding, self.release = threading.Event(), threading.Event()

    def record(self, *args, **kwargs):
        self.audit.record(*args, **kwargs)
        if threading.current_thread() is self.holder:
            self.holding.set()
            assert self.release.wait(10), "released"


def assert_events_tell_what_stands(desk):
    """Each change's version is above the one before, and the last tells what stands now."""
    events = [event for _, event in settings_events(desk.db)]
    versions = [event.version for event in events]
    assert versions == sorted(set(versions)), f"versions rise: {versions}"
    (listed,) = desk.parts.settings.county.at(desk.ids["nb-1"], WINDOW)
    here = [(v.value_json, v.version) for v in listed.values if v.scope_id == desk.ids["nb-1"]]
    assert here == ([] if events[-1].cleared else [(events[-1].value_json, events[-1].version)])
