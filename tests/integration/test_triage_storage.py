"""Triage, merging, timelines and the public view on a real database (SQLite, and PostgreSQL
where present): what the conditional updates and unique keys guarantee."""
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lianyi.events.v1.progress_pb2 import CONCERN_STATUS_IN_HANDLING, CONCERN_STATUS_RESOLVED, ConcernProgressed
from servicekit import envelope, migrations, topics
from servicekit.consumer import apply_once
from servicekit.database import Database
from servicekit.errors import FailedPrecondition, InvalidArgument
from servicekit.messaging_schema import outbox as outbox_table
from servicekit.outbox import Outbox
from services.intake import wiring as intake
from services.intake.domain import SubmitConcern
from services.intake.triage.domain import Rule
from tests.integration.conftest import intake_parts


def submit(desk, neighbourhood="nb-1", category="blocked_hallway", description="三楼楼道堆满鞋柜", **fields):
    return desk.intake.submit_concern(SubmitConcern(neighbourhood_id=desk.ids[neighbourhood], channel="online",
                                                    category=category, description=description, **fields))


def events_of(db, event_type: str) -> list:
    with db.read() as conn:
        rows = conn.execute(sa.select(outbox_table.c.payload)).scalars().all()
    return [e for e in map(envelope.decode, rows) if e.event_type == event_type]


def test_a_concern_is_triaged_once_with_its_event(desk):
    concern = submit(desk)
    triaged = desk.triage(concern.concern_id, "direct", "一户的事")
    assert (triaged.status, triaged.triage.route) == ("triaged", "direct")
    assert [s.status for s in triaged.timeline] == ["received", "triaged"]
    with pytest.raises(FailedPrecondition, match="already triaged"):
        desk.triage(concern.concern_id, "deliberation", "")
    (event,) = events_of(desk.db, "lianyi.intake.v1.ConcernTriaged")
    assert event.neighbourhood_id == desk.ids["nb-1"]


def test_a_rule_triages_on_arrival_and_a_new_rule_is_seen_at_once(desk):
    assert submit(desk, category="noise").status == "received"
    desk.set_rule(Rule("", desk.ids["community"], "noise", "", "deliberation", "噪音大家议"))
    arrived = submit(desk, category="noise")
    assert (arrived.status, arrived.triage.route, arrived.triage.note) == ("triaged", "deliberation", "噪音大家议")
    assert submit(desk, neighbourhood="nb-1", category="urgent_child_care").triage.rule_id == \
        "default-urgent_child_care"
    with pytest.raises(InvalidArgument, match="category"):
        desk.set_rule(Rule("", desk.ids["nb-1"], "weather", "", "direct"))


def test_setting_a_rule_twice_replaces_it(desk):
    first = desk.set_rule(Rule("", desk.ids["nb-1"], "noise", "urgent", "direct"))
    second = desk.set_rule(Rule("", desk.ids["nb-1"], "noise", "urgent", "deliberation"))
    assert first.rule_id == second.rule_id
    rules = [r for r in desk.rules_for(desk.ids["nb-1"]) if r.scope_id == desk.ids["nb-1"]]
    assert [(r.category, r.urgency, r.route) for r in rules] == [("noise", "urgent", "deliberation")]


def test_merged_concerns_follow_their_survivor_and_merging_again_re_points_them(desk, clock):
    survivor, merged, later = (submit(desk, description=f"楼道堆满杂物{n}") for n in range(3))
    desk.merge(later.concern_id, [merged.concern_id], "")
    clock.advance(minutes=1)
    desk.merge(survivor.concern_id, [later.concern_id], "同一件事")
    follower = desk.intake.get_concern(merged.concern_id)
    assert follower.merged_into == survivor.concern_id, "merged into a merged concern: re-pointed"
    with pytest.raises(FailedPrecondition, match="merged"):
        desk.triage(merged.concern_id, "direct", "")
    with pytest.raises(InvalidArgument, match="neighbourhood"):
        desk.merge(survivor.concern_id, [submit(desk, neighbourhood="nb-2").concern_id], "")
    (event, _) = events_of(desk.db, "lianyi.intake.v1.ConcernsMerged")
    assert event.neighbourhood_id == desk.ids["nb-1"]


def test_progress_reports_keep_the_timeline_once_and_in_order(desk, clock):
    concern, follower = submit(desk), submit(desk, description="楼道里全是鞋柜")
    desk.merge(concern.concern_id, [follower.concern_id], "")
    wiring = intake.build(desk.db, Outbox(topics.INTAKE), clock)
    subscription = next(s for s in wiring.subscriptions if s.topic == topics.DISPATCH)

    def report(status, minutes):
        event = envelope.seal(ConcernProgressed(concern_id=concern.concern_id, status=status), producer="dispatch",
                              place=envelope.Place(desk.ids["nb-1"]),
                              occurred_at=clock.now() + timedelta(minutes=minutes))
        return apply_once(wiring.units, subscription, subscription.inbound(event), topics.DISPATCH, clock)

    assert report(CONCERN_STATUS_RESOLVED, 20) and report(CONCERN_STATUS_IN_HANDLING, 10)
    assert desk.intake.get_concern(concern.concern_id).status == "resolved", "the latest step, not the last to arrive"
    steps = [s.status for s in desk.intake.get_concern(concern.concern_id).timeline]
    assert steps == ["received", "in_handling", "resolved"]
    assert desk.intake.get_concern(follower.concern_id).status == "resolved", "a merged concern follows"


def test_the_public_view_leaves_out_merged_concerns_unless_asked_by_id(desk):
    kept, merged = submit(desk), submit(desk, anonymous=True)
    desk.merge(kept.concern_id, [merged.concern_id], "")

    def listed(**filters):
        query = dict(concern_ids=[], categories=[], received_from=None, received_to=None, states=[],
                     neighbourhood_id=desk.ids["nb-1"], limit=10)
        return desk.intake.list_public(**{**query, **filters})

    assert [p.concern.concern_id for p in listed(states=["open"])] == [kept.concern_id]
    (asked,) = listed(concern_ids=[merged.concern_id], neighbourhood_id="")
    assert asked.status_note == f"merged into {kept.concern_id}"
    assert asked.concern.description == "" and asked.concern.household_id == ""
    assert asked.address == "nb-1", "anonymous: the neighbourhood's name stands for the address"
    assert listed(states=["closed"]) == []


def test_the_public_view_reads_several_categories_at_once_newest_first(desk, clock):
    noise = submit(desk, category="noise", description="楼上装修太吵")
    clock.advance(minutes=1)
    hallway = submit(desk)
    clock.advance(minutes=1)
    submit(desk, category="other", description="别的事")
    found = desk.intake.list_public(concern_ids=[], categories=["noise", "blocked_hallway"], received_from=None,
                                    received_to=None, states=[], neighbourhood_id="", limit=10)
    assert [p.concern.concern_id for p in found] == [hallway.concern_id, noise.concern_id]


def test_concerns_from_before_triage_stay_in_deliberation_after_the_migration(database_url, clock):
    """Before migration 0012 every concern was pooled; afterwards they must not reappear in the
    triage queue."""
    db = Database(database_url)
    migrations.upgrade(db, "intake", "0011")
    with db.write() as tx:
        tx.conn.execute(sa.text(
            "INSERT INTO concerns (concern_id, neighbourhood_id, household_id, channel, category, description, "
            "status, received_at) VALUES ('01a2b3c4-0000-7000-8000-000000000001', 'nb', '', 'online', 'noise', "
            "'楼上有噪音', 'received', :at)"), {"at": clock.now().replace(tzinfo=None)})
    migrations.upgrade(db, "intake")
    old = intake_parts(db, clock).concerns.get_concern("01a2b3c4-0000-7000-8000-000000000001")
    assert (old.status, old.triage.route) == ("in_deliberation", "deliberation")
    assert [s.status for s in old.timeline] == ["received", "triaged", "in_deliberation"]
    db.dispose()


def test_two_merges_at_once_in_opposite_directions_leave_one_survivor(desk):
    """A into B and B into A at the same moment: the row locks let one through; the other sees
    its survivor merged and is refused, so no cycle can form."""
    first, second = submit(desk, description="楼道堆满杂物"), submit(desk, description="楼道里堆满了杂物")
    start = threading.Barrier(2)
    outcomes = []

    def merge(survivor, merged):
        start.wait()
        try:
            desk.merge(survivor.concern_id, [merged.concern_id], "")
            outcomes.append("merged")
        except FailedPrecondition:
            outcomes.append("refused")

    threads = [threading.Thread(target=merge, args=pair) for pair in ((first, second), (second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["merged", "refused"]
    merged_into = {c.concern_id: c.merged_into for c in (desk.intake.get_concern(first.concern_id),
                                                        desk.intake.get_concern(second.concern_id))}
    assert sorted(bool(v) for v in merged_into.values()) == [False, True], merged_into


def test_a_merged_concern_shows_another_households_survivor_without_its_notes(desk, clock):
    survivor = submit(desk, household_id=desk.ids["h-0"])
    follower = submit(desk, household_id=desk.ids["h-1"], description="三楼楼道里堆满了鞋柜")
    desk.merge(survivor.concern_id, [follower.concern_id], "")
    clock.advance(minutes=1)
    desk.triage(survivor.concern_id, "direct", "10号户老人需要帮忙搬运")
    seen = desk.intake.get_concern(follower.concern_id)
    assert (seen.status, seen.timeline[-1].status, seen.timeline[-1].note) == ("triaged", "triaged", "")
    assert desk.intake.get_concern(survivor.concern_id).timeline[-1].note == "direct: 10号户老人需要帮忙搬运"



def test_a_resident_sees_their_merged_concern_followed_without_the_staff_note_or_the_survivors_id(desk, clock):
    from servicekit import auth

    survivor = submit(desk, household_id=desk.ids["h-0"])
    follower = submit(desk, household_id=desk.ids["h-1"], description="三楼楼道里堆满了鞋柜")
    desk.merge(survivor.concern_id, [follower.concern_id], "与10号户同一事项, 由书记合并")
    clock.advance(minutes=1)
    desk.triage(survivor.concern_id, "direct", "")
    scope = desk.intake.get_concern(follower.concern_id)  # staff: everything
    assert scope.merged_into == survivor.concern_id and "书记" in scope.timeline[1].note
    principal = auth.Principal(subject="r", role="resident", scope=(desk.ids["county"], desk.ids["township"],
                                                                  desk.ids["community"], desk.ids["nb-1"]),
                               entity_id=desk.ids["h-1"])
    token = auth.current.set(principal)
    try:
        seen = desk.intake.get_concern(follower.concern_id)
    finally:
        auth.current.reset(token)
    assert (seen.status, seen.merged_into) == ("triaged", None)
    assert [(s.status, s.note) for s in seen.timeline[:2]] == [
        ("received", ""), ("merged", "handled together with the same matter raised by other households")]
    assert all(survivor.concern_id not in s.note and "书记" not in s.note for s in seen.timeline)
