"""Triage's routing table, duplicate suggestions and concern statuses: rules only."""
from datetime import UTC, datetime, timedelta

import pytest

from servicekit.errors import InvalidArgument
from services.intake.similarity import bigrams, most_similar, similarity
from services.intake.timeline.domain import TimelineEntry, current_status, followed
from services.intake.triage.domain import Rule, check_rule

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def rule(scope, category, route, urgency=""):
    return Rule(f"{scope}/{category}/{urgency}", scope, category, urgency, route)


# Which rule decides is county settings' resolve with triage's precedence: test_county_settings_rules.


@pytest.mark.parametrize("bad, problem", [
    (rule("nb", "noise", "later"), "route"),
    (rule("nb", "noise", "direct", urgency="soon"), "urgency"),
    (Rule("", "nb", "noise", "", "direct", "x" * 501), "note"),
])
def test_a_malformed_rule_is_refused(bad, problem):
    with pytest.raises(InvalidArgument, match=problem):
        check_rule(bad)


def test_similar_texts_score_high_and_unrelated_ones_low():
    assert similarity(bigrams("3号楼楼道堆满杂物"), bigrams("3号楼楼道堆满杂物")) == 1.0
    assert similarity(bigrams("楼道堆满鞋柜"), bigrams("广场舞音响太吵")) == 0.0
    assert similarity(bigrams(""), bigrams("路灯")) == 0.0
    found = most_similar("3号楼的楼道堆满了杂物", [("a", "3号楼楼道堆满杂物, 晚上看不见"), ("b", "电动车在门口充电"),
                                                  ("c", "3号楼楼道堆满了杂物")])
    assert [concern_id for concern_id, _ in found] == ["c", "a"]


def entry(status, minutes, source="intake"):
    return TimelineEntry(status, T0 + timedelta(minutes=minutes), "", source)


def test_the_status_is_the_latest_step_whatever_order_reports_arrived_in():
    steps = [entry("received", 0), entry("rated", 30, "evaluation"), entry("resolved", 20, "dispatch")]
    assert current_status(steps) == "rated"
    assert current_status([]) == "received"


def test_a_merged_concern_follows_its_survivor_from_the_merge_on():
    own = [entry("received", 0), entry("merged", 10)]
    survivor = [entry("received", -5), entry("in_deliberation", 5), entry("decided", 15)]
    assert [s.status for s in followed(own, survivor, T0 + timedelta(minutes=10))] == [
        "received", "merged", "decided"]


def test_a_downstream_report_outranks_intakes_own_steps_even_from_a_clock_running_behind():
    # Dispatch opened the concern right after intake triaged it, but dispatch's clock is 2 s behind.
    steps = [entry("received", 0), entry("triaged", 1), TimelineEntry("in_handling", T0 + timedelta(seconds=58), "",
                                                                        "dispatch")]
    assert current_status(steps) == "in_handling"
    assert current_status([entry("received", 0), entry("triaged", 1)]) == "triaged"


def test_dispatch_moves_earlier_merged_tasks_to_the_new_survivor_too(memory_db):
    from servicekit.ids import new_id
    from services.dispatch import storage as dispatch
    from services.dispatch.domain import Concern

    dispatch.metadata.create_all(memory_db.engine)
    a, b, c = new_id(), new_id(), new_id()
    with memory_db.write() as tx:
        dispatch.add_concerns(tx.conn, [Concern(concern_id, "nb", "", "noise", T0) for concern_id in (a, b, c)])
        dispatch.mark_merged(tx.conn, b, [c])  # c into b
        dispatch.mark_merged(tx.conn, a, [b])  # then b into a: intake points c at a as well
    with memory_db.read() as conn:
        assert [dispatch.get_concern(conn, i).merged_into for i in (a, b, c)] == [None, a, a]
