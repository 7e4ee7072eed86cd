"""The three rates and time to resolve, on hand-computed cases: each count and rate as the API
docs define it, the nearest-rank percentiles, and the cells kept by adding each change equal the
sum over the final facts whatever order the facts arrived in."""
from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from lianyi.dispatch.v1 import events_pb2 as dispatch_pb
from servicekit.errors import InvalidArgument
from services.evaluation import events
from services.evaluation.rates import domain
from services.evaluation.rates.domain import (
    Acted,
    Assigned,
    Escalated,
    Opened,
    Rated,
    Reopened,
    Reported,
    Resolved,
    Tally,
    TaskFacts,
    Whistled,
)

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 09:00 county time
PLACE = ("county", "township", "community", "nb-1")


def at(hours: float = 0, minutes: int = 0) -> datetime:
    return T0 + timedelta(hours=hours, minutes=minutes)


def opened(task_id: str, deadline_hours: float = 24) -> Opened:
    return Opened(task_id, "nb-1", T0, at(deadline_hours))


# Eight tasks of one neighbourhood in November 2026, worked by hand (deadlines at +24h):
#   A  claimed by m-1 at +1h (by its deadline), resolved at +5h30 (6 hours begun), satisfied
#   B  claimed by m-1 at +30h (late), reassigned to m-2 at +31h, resolved at +40h, unsatisfied;
#      reopened (round 1), resolved again at +50h (50 hours), basically satisfied
#   C  opened, never acted on
#   D  resolved at +2h with nobody assigned (acted on by its resolution; no member's), closed unrated
#   E  a fixed task dispatch gave m-4 as it opened it (assigned at the opening), then untouched:
#      not responded, though m-4 had it from the start
#   F  the same, m-4 noting its progress at +3h: responded
#   G  fixed to m-5 at the opening, sent up a tier by m-5 at +2h (responded; no longer m-5's),
#      resolved jointly at +10h, satisfied
#   H  fixed to m-5 at the opening, sent up for being overdue at +25h: not responded, and still m-5's
#      (an escalation for being overdue does not let its member off)
FACTS = {
    "A": [opened("A"), Assigned("A", "m-1", at(1)), Resolved("A", 0, at(5, 30)), Rated("A", 1, "satisfied")],
    "B": [opened("B"), Assigned("B", "m-1", at(30)), Assigned("B", "m-2", at(31)), Resolved("B", 0, at(40)),
          Rated("B", 1, "unsatisfied"), Reopened("B", 1), Resolved("B", 1, at(50)),
          Rated("B", 2, "basically_satisfied")],
    "C": [opened("C")],
    "D": [opened("D"), Resolved("D", 0, at(2)), Rated("D", 1, "unrated")],
    "E": [opened("E"), Assigned("E", "m-4", T0)],
    "F": [opened("F"), Assigned("F", "m-4", T0), Acted("F", at(3))],
    "G": [opened("G"), Assigned("G", "m-5", T0), Escalated("G", at(2), by_person=True), Resolved("G", 0, at(10)),
          Rated("G", 1, "satisfied")],
    "H": [opened("H"), Assigned("H", "m-5", T0), Escalated("H", at(25), by_person=False)],
}


def facts_of(task_id: str, arriving: list) -> TaskFacts:
    facts = TaskFacts(task_id)
    for fact in arriving:
        facts = domain.learn(facts, fact, T0, PLACE)
    return facts


def summed(all_facts: list[TaskFacts]) -> dict:
    cells: dict = {}
    for facts in all_facts:
        for key, tally in domain.contribution(facts).items():
            cells.setdefault(key, Tally()).add(tally)
    return cells


def test_a_neighbourhood_month_counts_as_worked_by_hand():
    cells = summed([facts_of(task_id, arriving) for task_id, arriving in FACTS.items()])
    rates = domain.Rates("place", "nb-1", "2026-11", cells[("place", "nb-1", 202611)])
    assert rates.tally.counts() == {"tasks": 8, "responded": 4, "resolved": 4, "satisfied": 2,
                                    "basically_satisfied": 1, "unsatisfied": 1, "unrated": 1}
    assert (rates.response_rate, rates.resolution_rate, rates.satisfaction_rate) == (0.5, 0.5, 0.75)
    assert rates.tally.hours == Counter({6: 1, 50: 1, 2: 1, 10: 1})
    assert (rates.median_hours, rates.p90_hours) == (6, 50)  # ranks 2 and 4 of [2, 6, 10, 50]
    for above in PLACE:  # the same tasks for every place above the neighbourhood
        assert cells[("place", above, 202611)].counts() == rates.tally.counts()


def test_a_member_counts_the_tasks_their_latest_assignment_names_until_a_person_escalates_them():
    cells = summed([facts_of(task_id, arriving) for task_id, arriving in FACTS.items()])
    m1, m2, m4 = (cells.get(("member", m, 202611)) for m in ("m-1", "m-2", "m-4"))
    assert (m1.tasks, m1.responded, m1.satisfied) == (1, 1, 1)  # A only: B went to m-2
    assert (m2.tasks, m2.responded, m2.resolved, m2.unsatisfied, m2.basically_satisfied) == (1, 0, 1, 1, 1)
    assert (m4.tasks, m4.responded) == (2, 1), "E, given at its opening and left untouched, did not respond"
    m5 = cells[("member", "m-5", 202611)]
    assert (m5.tasks, m5.responded, m5.resolved) == (1, 0, 0), "H only: G a person sent up, H went up overdue"
    assert not [key for key in cells if key[0] == "member" and key[1] not in ("m-1", "m-2", "m-4", "m-5")], \
        "D, resolved with nobody assigned, is no member's"


def test_an_assignment_at_the_opening_is_no_response_in_whichever_order_it_arrives():
    fixed = [opened("I"), Assigned("I", "m-4", T0)]
    assert not facts_of("I", fixed).responded and not facts_of("I", fixed[::-1]).responded
    # The party secretary giving it to another member at +2h is someone acting on it.
    moved = [*fixed, Assigned("I", "m-6", at(2))]
    for order in (moved, moved[::-1], [moved[1], moved[2], moved[0]]):
        facts = facts_of("I", order)
        assert (facts.responded, facts.first_act, facts.member_id) == (True, at(2), "m-6")
    # Reassigned only after its deadline: still not responded by it.
    assert not facts_of("I", [*fixed, Assigned("I", "m-6", at(30))]).responded


def test_a_reopened_task_is_not_resolved_until_its_rework_round_is():
    before = facts_of("B", FACTS["B"][:6])
    assert not before.is_resolved and domain.contribution(before)[("place", "nb-1", 202611)].hours == Counter()
    assert facts_of("B", FACTS["B"]).is_resolved


def test_a_department_responds_by_reporting_in_by_its_own_due_time():
    facts = facts_of("W", [opened("W", deadline_hours=72), Whistled("W", ("d-1", "d-2"), at(4)),
                           Reported("W", "d-1", at(5)), Reported("W", "d-2", at(3)), Resolved("W", 0, at(20))])
    cells = domain.contribution(facts)
    assert cells[("department", "d-1", 202611)].responded == 0  # an hour late
    assert cells[("department", "d-2", 202611)].responded == 1
    assert cells[("place", "nb-1", 202611)].responded == 1  # the task was acted on at +3h
    assert cells[("department", "d-1", 202611)].resolved == 1


def test_facts_in_any_order_and_delivered_twice_come_to_the_same_cells():
    expected = summed([facts_of(task_id, arriving) for task_id, arriving in FACTS.items()])
    shuffler = random.Random(12)
    for _ in range(30):
        kept: dict = {}
        running: dict = {}
        arrivals = [fact for arriving in FACTS.values() for fact in arriving]
        arrivals += shuffler.sample(arrivals, 5)  # redeliveries
        shuffler.shuffle(arrivals)
        for fact in arrivals:
            before = kept.get(fact.task_id, TaskFacts(fact.task_id))
            kept[fact.task_id] = after = domain.learn(before, fact, T0, PLACE)
            for key, delta in domain.change(before, after).items():
                running.setdefault(key, Tally()).add(delta)
        assert {k: v for k, v in running.items() if not v.is_empty()} == expected


def test_a_task_counts_in_the_county_month_it_was_opened_in():
    late = Opened("J", "nb-1", datetime(2026, 11, 30, 16, 0, tzinfo=UTC), None)  # 2026-12-01 00:00 UTC+8
    assert set(domain.contribution(facts_of("J", [late]))) == {("place", p, 202612) for p in PLACE}
    assert domain.contribution(facts_of("K", [Assigned("K", "m-1", T0)])) == {}, "not known opened: nowhere yet"


@pytest.mark.parametrize(("minutes", "hours"), [(0, 0), (-5, 0), (10, 1), (60, 1), (61, 2), (24 * 60, 24)])
def test_time_to_resolve_is_whole_hours_begun(minutes, hours):
    assert domain.hours_to_resolve(T0, at(minutes=minutes)) == hours


@pytest.mark.parametrize(("values", "median", "p90"), [
    ([5], 5, 5), ([1, 2, 3, 4], 2, 4), (list(range(1, 11)), 5, 9), ([3, 3, 3, 100], 3, 100), ([], None, None),
])
def test_percentiles_are_nearest_rank(values, median, p90):
    histogram = Counter(values)
    assert (domain.nearest_rank(histogram, 50), domain.nearest_rank(histogram, 90)) == (median, p90)


def test_a_task_without_a_deadline_responds_once_acted_on():
    assert facts_of("L", [Opened("L", "nb-1", T0, None), Acted("L", at(500))]).responded
    assert not facts_of("L", [Opened("L", "nb-1", T0, None), Assigned("L", "m-1", T0)]).responded


@pytest.mark.parametrize(("period", "months"), [("2026", (202601, 202612)), ("2026-Q1", (202601, 202603)),
                                                ("2026-Q4", (202610, 202612)), ("2026-07", (202607, 202607))])
def test_periods_are_their_months(period, months):
    assert domain.months_of(period) == months


@pytest.mark.parametrize("period", ["", "26", "2026-7", "2026-13", "2026-00", "2026-Q5", "2026-q1", "1899", "２０２６"])
def test_other_periods_are_refused_naming_the_field(period):
    with pytest.raises(InvalidArgument, match=r"^period must be"):
        domain.months_of(period)


def test_an_escalation_for_being_overdue_is_no_action():
    moment = dispatch_pb.TaskEscalated(task_id="t", overdue=True)
    moment.escalated_at.FromDatetime(T0)
    assert events.task_escalated(moment) == Escalated("t", T0, by_person=False)
    moment.overdue = False
    assert events.task_escalated(moment) == Escalated("t", T0, by_person=True)


def test_a_progress_note_acts_on_the_task_when_it_was_noted():
    note = dispatch_pb.TaskProgressNoted(task_id="t", note="looked at the lift")
    note.noted_at.FromDatetime(at(3))
    assert events.progress_noted(note) == Acted("t", at(3))
