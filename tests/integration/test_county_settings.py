"""County settings on a real database (SQLite, and PostgreSQL where present): values set, listed
and cleared with their audit entry and SettingChanged in the outbox, refusals by scope, the routing
table and the duplicate window as settings, the migration that moved the routing table, and a
change reaching another replica through the real broker."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from lianyi.settings.v1.settings_pb2 import SettingChanged
from servicekit import auth, envelope, kafka, migrations, topics
from servicekit.audit import audit_log
from servicekit.database import Database
from servicekit.errors import InvalidArgument, NotFound, PermissionDenied
from servicekit.messaging_schema import outbox as outbox_table
from servicekit.outbox import Outbox
from servicekit.relay import OutboxRelay
from servicekit.settings_access import SETTINGS
from servicekit.settings_listener import SettingsListener
from servicekit.topics import TopicSpec
from services.evaluation import wiring as evaluation
from services.intake.domain import SubmitConcern
from services.intake.triage.domain import Rule
from tests.integration.conftest import intake_parts
from tests.kafka_helpers import wait_for
from tests.running import Running

WINDOW = "intake.duplicates.window_days"
ROUTE = "intake.triage.route"


@contextmanager
def as_caller(role: str, *scope: str):
    token = auth.current.set(auth.Principal(subject=f"{role}-1", role=role, scope=scope))
    try:
        yield
    finally:
        auth.current.reset(token)


def path_of(desk, name):
    ids = desk.ids
    return {"county": (ids["county"],), "community": (ids["county"], ids["township"], ids["community"]),
            "nb-1": (ids["county"], ids["township"], ids["community"], ids["nb-1"]),
            "nb-2": (ids["county"], ids["township"], ids["community"], ids["nb-2"])}[name]


def window_at(desk, name) -> int:
    with desk.db.read() as conn:
        return desk.parts.settings.county.value(conn, WINDOW, path_of(desk, name))


def settings_events(db) -> list[SettingChanged]:
    with db.read() as conn:
        rows = conn.execute(sa.select(outbox_table.c.topic, outbox_table.c.message_key, outbox_table.c.payload)
                            .where(outbox_table.c.topic == topics.SETTINGS).order_by(outbox_table.c.id)).all()
    return [(row.message_key, envelope.open_payload(envelope.decode(row.payload), SettingChanged)) for row in rows]


def test_a_value_set_at_a_place_applies_there_and_below_until_cleared(desk):
    county = desk.parts.settings.county
    assert window_at(desk, "nb-1") == 30, "the default"
    county.set(WINDOW, "*", "", 60)
    county.set(WINDOW, desk.ids["nb-1"], "", 7)
    assert (window_at(desk, "nb-1"), window_at(desk, "nb-2"), window_at(desk, "county")) == (7, 60, 60)

    (listed,) = county.at(desk.ids["nb-1"], WINDOW)
    assert (listed.effective, listed.deciding.scope_id) == (7, desk.ids["nb-1"])
    assert [(v.scope_id, v.value) for v in listed.values] == [("*", 60), (desk.ids["nb-1"], 7)], "widest first"
    again = county.set(WINDOW, desk.ids["nb-1"], "", 14)
    assert again.version == 2 and window_at(desk, "nb-1") == 14

    county.clear(WINDOW, desk.ids["nb-1"], "")
    assert window_at(desk, "nb-1") == 60
    with pytest.raises(NotFound, match="no value"):
        county.clear(WINDOW, desk.ids["nb-1"], "")


def test_every_change_is_audited_and_published_in_its_transaction(desk):
    county = desk.parts.settings.county
    with as_caller("community_admin", *path_of(desk, "community")):
        kept = county.set(WINDOW, desk.ids["community"], "", 10)
        county.clear(WINDOW, desk.ids["community"], "")
    with desk.db.read() as conn:
        audited = conn.execute(sa.select(audit_log.c.action, audit_log.c.actor, audit_log.c.target_id)
                               .where(audit_log.c.target_kind == "setting").order_by(audit_log.c.seq)).all()
    assert [tuple(row) for row in audited] == [("setting.set", "community_admin-1", kept.setting_id),
                                               ("setting.cleared", "community_admin-1", kept.setting_id)]
    (key, set_), (_, cleared) = settings_events(desk.db)
    assert key == f"{WINDOW}|{desk.ids['community']}|"
    assert (set_.key, set_.value_json, set_.version, set_.cleared) == (WINDOW, "10", 1, False)
    assert (cleared.version, cleared.cleared, cleared.value_json) == (2, True, "")


def test_a_change_refused_leaves_no_row_no_audit_and_no_event(desk):
    county = desk.parts.settings.county
    with as_caller("party_secretary", *path_of(desk, "nb-1")), pytest.raises(PermissionDenied):
        county.set(WINDOW, "*", "", 10)
    with pytest.raises(InvalidArgument, match="category 'weather'"):
        county.set(ROUTE, desk.ids["nb-1"], "weather", {"route": "direct"})
    assert settings_events(desk.db) == [] and window_at(desk, "nb-1") == 30


@pytest.mark.parametrize("role, scope, target, refusal", [
    ("party_secretary", "nb-1", "*", PermissionDenied),
    ("party_secretary", "nb-1", "community", PermissionDenied),
    ("party_secretary", "nb-1", "nb-2", NotFound),
    ("community_admin", "community", "*", PermissionDenied),
    ("community_admin", "community", "nowhere", NotFound),
    ("party_secretary", "nb-1", "b-1", NotFound),
])
def test_above_ones_scope_is_forbidden_and_outside_it_not_found(desk, role, scope, target, refusal):
    where = {"*": "*", "nowhere": "01a2b3c4-0000-7000-8000-00000000dead"}.get(target) or desk.ids[target]
    with as_caller(role, *path_of(desk, scope)), pytest.raises(refusal):
        desk.parts.settings.county.set(WINDOW, where, "", 10)


def test_readers_list_a_place_in_their_scope_with_the_values_above_it(desk):
    county = desk.parts.settings.county
    county.set(WINDOW, desk.ids["community"], "", 10)
    with as_caller("party_secretary", *path_of(desk, "nb-1")):
        listed = {s.definition.key: s for s in county.at(desk.ids["nb-1"])}
        with pytest.raises(NotFound):
            county.at(desk.ids["nb-2"])
        with pytest.raises(NotFound, match="no setting"):
            county.at(desk.ids["nb-1"], "intake.nothing")
    assert set(listed) == {ROUTE, WINDOW}
    assert (listed[WINDOW].effective, listed[WINDOW].deciding.scope_id) == (10, desk.ids["community"])
    assert [v.setting_id for v in listed[ROUTE].values] == ["default-urgent_child_care"]


def test_the_routing_table_and_the_setting_are_one(desk):
    rule = desk.set_rule(Rule("", desk.ids["nb-1"], "noise", "urgent", "deliberation", " 议一议 "))
    (value,) = [v for v in desk.parts.settings.county.at(desk.ids["nb-1"], ROUTE)[0].values
                if v.scope_id == desk.ids["nb-1"]]
    assert (value.setting_id, value.qualifier, value.value_json) == (
        rule.rule_id, "noise/urgent", '{"route":"deliberation","note":"议一议"}')
    desk.parts.settings.county.set(ROUTE, desk.ids["nb-1"], "safety", {"route": "direct"})
    assert ("safety", "", "direct") in {(r.category, r.urgency, r.route) for r in desk.rules_for(desk.ids["nb-1"])}
    arrived = desk.intake.submit_concern(SubmitConcern(neighbourhood_id=desk.ids["nb-1"], channel="online",
                                                       category="safety", description="路灯坏了"))
    assert (arrived.status, arrived.triage.route) == ("triaged", "direct")
    desk.delete_rule(rule.rule_id)
    with pytest.raises(NotFound, match="no triage rule"):
        desk.delete_rule(rule.rule_id)


def test_an_id_with_a_nul_is_not_found_like_any_unknown_id(desk):
    """PostgreSQL refuses NUL in text: looking one up must not reach it (an internal error)."""
    county, nb = desk.parts.settings.county, desk.ids["nb-1"]
    with pytest.raises(NotFound, match="no triage rule"):
        desk.delete_rule("rule\x00")
    with pytest.raises(NotFound, match="no value"):
        county.clear_by_id(f"{nb[:-1]}\x00", WINDOW, SETTINGS, missing="no value")
    for nowhere in ("\x00", f"{nb[:-1]}\x00"):
        with pytest.raises(NotFound, match="in your scope"):
            county.set(WINDOW, nowhere, "", 7)
        with pytest.raises(NotFound, match="in your scope"):
            county.clear(WINDOW, nowhere, "")
        with pytest.raises(NotFound, match="in your scope"):
            county.at(nowhere)
    with pytest.raises(NotFound, match="no setting"):
        county.at(nb, f"{WINDOW}\x00")
    with pytest.raises(InvalidArgument, match="qualifier"):
        county.set(ROUTE, nb, "noise\x00", {"route": "direct"})


def test_the_duplicate_window_is_a_setting_of_the_place(desk, clock):
    def submit(description):
        return desk.intake.submit_concern(SubmitConcern(neighbourhood_id=desk.ids["nb-1"], channel="online",
                                                        category="blocked_hallway", description=description))

    first = submit("三楼楼道堆满鞋柜")
    clock.advance(days=3)
    second = submit("三楼楼道堆满了鞋柜")
    assert [d.concern_id for d in second.possible_duplicates] == [first.concern_id], "within 30 days"
    desk.parts.settings.county.set(WINDOW, desk.ids["nb-1"], "", 2)
    third = submit("三楼的楼道堆满鞋柜")
    assert [d.concern_id for d in third.possible_duplicates] == [second.concern_id], "3 days is beyond 2"
    assert [s.concern_id for s in desk.similar(third.concern_id)] == [second.concern_id]


def test_a_service_lists_only_the_settings_it_declares(database_url, migrated_db, clock):
    db = migrated_db("evaluation", database_url)
    settings = evaluation.build(db, Outbox(topics.EVALUATION), clock).settings
    listed = [s.definition.key for s in settings.at("*")]
    assert "evaluation.rating.period_days" in listed and "evaluation.review.grading" in listed
    assert all(key.startswith("evaluation.") for key in listed), "none of another service's"
    with pytest.raises(NotFound, match="'anywhere'"):
        settings.at("anywhere")  # a place its replica does not know
    with pytest.raises(NotFound, match="no setting"):
        settings.set("evaluation.rating.weights", "*", "", 3)


def test_the_migration_moves_the_routing_table_into_settings_and_back(database_url, clock):
    db = Database(database_url)
    migrations.upgrade(db, "intake", "0016")  # the revision before settings
    with db.write() as tx:
        tx.conn.execute(sa.text(
            "INSERT INTO triage_rules (rule_id, scope_id, category, urgency, route, note, updated_at) "
            "VALUES ('rule-before', 'nb-x', 'noise', 'urgent', 'deliberation', '夜里的\"噪音\"', :at)"),
            {"at": clock.now().replace(tzinfo=None)})
    migrations.upgrade(db, "intake")
    rules = {r.rule_id: r for r in intake_parts(db, clock).triage.rules_for("*")}
    assert rules["default-urgent_child_care"].route == "direct"
    with db.read() as conn:
        moved = conn.execute(sa.text("SELECT key, scope_id, qualifier, value, version, updated_by "
                                     "FROM county_settings WHERE id = 'rule-before'")).one()
    assert tuple(moved) == (ROUTE, "nb-x", "noise/urgent", '{"route":"deliberation","note":"夜里的\\"噪音\\""}', 1,
                            "system")

    migrations.downgrade(db, "intake", "0016")
    with db.read() as conn:
        back = conn.execute(sa.text("SELECT scope_id, category, urgency, route, note FROM triage_rules "
                                    "WHERE rule_id = 'rule-before'")).one()
        tables = sa.inspect(conn).get_table_names()
    assert tuple(back) == ("nb-x", "noise", "urgent", "deliberation", '夜里的"噪音"')
    assert "county_settings" not in tables
    db.dispose()



def test_a_change_through_one_replica_reaches_the_other_through_the_broker(database_url, migrated_db, places, clock,
                                                                           runtime_settings):
    """Two replicas of intake on one database, each with its cache and its listener; the clock
    stands still, so only the listener can have made the other see the change."""
    kafka.ensure_topics(runtime_settings, [TopicSpec(topics.SETTINGS, 1, {"cleanup.policy": "compact"})])
    db = migrated_db("intake", database_url)
    ids = places(db, clock)
    path = (ids["county"], ids["township"], ids["community"], ids["nb-1"])
    here, there, deaf = (intake_parts(db, clock).settings.county for _ in range(3))

    def window(replica):
        with db.read() as conn:
            return replica.value(conn, WINDOW, path)

    listeners = [SettingsListener(replica, runtime_settings, f"test-{n}") for n, replica in enumerate((here, there))]
    with Running(OutboxRelay(db, here.units.outbox, runtime_settings, clock, "relay-test").run), \
            Running(listeners[0].run), Running(listeners[1].run):
        for listener in listeners:
            assert listener.listening.wait(20), "the listener reads the topic"
        assert (window(here), window(there), window(deaf)) == (30, 30, 30), "now cached in each"
        here.set(WINDOW, ids["nb-1"], "", 7)
        assert window(here) == 7, "the replica that made the change at once"
        wait_for(lambda: window(there) == 7, timeout_s=2.5, interval_s=0.05,
                 message="the other replica to hear of the change")
        assert window(deaf) == 30, "a replica without a listener keeps its cached value until the TTL"


def test_a_read_begun_before_a_change_does_not_keep_its_older_value_cached(desk):
    """A transaction that began before a change committed may still read the value before it (its
    snapshot); that read must not go into the cache, or the change would be missed until the TTL."""
    county, path = desk.parts.settings.county, path_of(desk, "nb-1")
    with desk.db.read() as conn:
        conn.execute(sa.text("SELECT 1 FROM county_settings")).all()  # the snapshot starts here (SQLite)
        county.set(WINDOW, desk.ids["nb-1"], "", 7)
        county.value(conn, WINDOW, path)
    assert window_at(desk, "nb-1") == 7
