"""The pure rules around a task: how the routing table picks its tier and period
(services/dispatch/settings.py), each step's payload on lianyi.dispatch.v1
(services/dispatch/events.py) and which steps the county platform hears
(services/dispatch/platform_feed.py). No database: a fake county settings, a monkeypatched queue."""
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from lianyi.deliberation.v1 import events_pb2 as deliberation_pb2
from lianyi.dispatch.v1 import events_pb2 as pb
from lianyi.events.v1 import progress_pb2
from servicekit.county_settings import EVERYWHERE, StoredValue, resolve
from servicekit.errors import InvalidArgument
from services.dispatch import events as dispatch_events
from services.dispatch import platform_feed
from services.dispatch.contract import ESCALATED, INDIVIDUAL, JOINT, PROGRESS, REPORT_IN, RESULT
from services.dispatch.settings import DEADLINES, ROUTING, Deadlines, DispatchSettings, RoutingRule
from services.dispatch.tasks.domain import SYSTEM, ConcernMoved, Person, Route, Task
from tests.unit.dispatch_task_builders import (
    COMMUNITY,
    HOUSING,
    MEMBER_WANG,
    ORIGIN,
    PERIOD,
    SECRETARY,
    SUPERVISOR,
    T0,
    TOWNSHIP,
    TRANSPORT,
    VOLUNTEER,
    as_department,
    at,
    escalated,
    escalated_ready,
    events,
    handled_by,
    in_pool,
    joint,
    new_task,
    resolved,
    whistled,
)

PATH = ("cty-1", "tw-1", "cm-1", "nb-1")
HOUR = timedelta(hours=1)
DEFAULT_DEADLINES = Deadlines()


# -- the routing table ---------------------------------------------------------------------------

@dataclass
class Deciding:
    value: RoutingRule
    qualifier: str  # the rule's category (or *), and urgency


class FakeCounty:
    """County settings with one routing rule deciding (or none) and the deadline classes' hours."""

    def __init__(self, rule: RoutingRule | None = None, deadlines: Deadlines = DEFAULT_DEADLINES,
                 qualifier: str = ""):
        self.rule, self.deadlines, self.cases, self.qualifier = rule, deadlines, [], qualifier

    def deciding(self, conn, key, path, case=None):
        assert (key, path) == (ROUTING.key, PATH)
        self.cases.append(case)
        # A rule naming the matter's category, unless the test says which rule it is.
        return Deciding(self.rule, self.qualifier or (case or {}).get("category", "")) if self.rule else None

    def value(self, conn, key, path, case=None):
        assert (key, path) == (DEADLINES.key, PATH)
        return self.deadlines


def route(category, urgency="normal", tier="", rule=None, deadlines=DEFAULT_DEADLINES, qualifier=""):
    return DispatchSettings(FakeCounty(rule, deadlines, qualifier)).route(None, PATH, category, urgency, tier)


@pytest.mark.parametrize(("category", "expected"), [
    ("noise", Route(JOINT, 24 * 7 * HOUR)), ("blocked_hallway", Route(JOINT, 24 * 7 * HOUR)),
    ("neighbour_relations", Route(JOINT, 24 * 7 * HOUR)), ("safety", Route(JOINT, 2 * HOUR)),
    ("property_management", Route(INDIVIDUAL, 24 * HOUR)), ("illegal_construction", Route(ESCALATED, 24 * 15 * HOUR)),
    ("occupied_green_space", Route(ESCALATED, 24 * 15 * HOUR)), ("stray_dogs", Route(INDIVIDUAL, 24 * 7 * HOUR)),
])
def test_without_a_county_rule_the_mechanisms_table_routes(category, expected):
    assert route(category) == expected


def test_without_a_county_rule_an_urgent_matter_keeps_its_tier_with_an_emergencys_deadline():
    assert route("illegal_construction", "urgent") == Route(ESCALATED, 2 * HOUR)
    assert route("stray_dogs", "urgent") == Route(INDIVIDUAL, 2 * HOUR)


def test_the_county_rule_decides_over_the_mechanisms_table_even_for_an_urgent_matter():
    rule = RoutingRule(tier=INDIVIDUAL, deadline="utilities")
    assert route("illegal_construction", "urgent", rule=rule) == Route(INDIVIDUAL, 24 * HOUR)


def test_a_county_rule_for_any_category_does_not_undo_the_mechanisms_named_categories():
    anything = RoutingRule(tier=INDIVIDUAL, deadline="complex")
    assert route("illegal_construction", rule=anything, qualifier="*") == Route(ESCALATED, 24 * 15 * HOUR)
    assert route("noise", rule=anything, qualifier="*/normal") == Route(JOINT, 24 * 7 * HOUR)
    assert route("slow_help", rule=anything, qualifier="*") == Route(INDIVIDUAL, 24 * 15 * HOUR), \
        "a category the mechanism does not name follows the county's rule"


def test_the_deadline_class_is_as_long_as_the_county_says():
    assert route("safety", deadlines=Deadlines(emergency=4)) == Route(JOINT, 4 * HOUR)


def test_a_tier_a_decision_suggested_stands_over_the_tables_but_the_period_is_the_tables():
    assert route("illegal_construction", tier=JOINT) == Route(JOINT, 24 * 15 * HOUR)


def test_the_routing_table_is_asked_for_the_matters_category_and_urgency():
    county = FakeCounty()
    DispatchSettings(county).route(None, PATH, "noise", "urgent")
    assert county.cases == [{"category": "noise", "urgency": "urgent"}]


@pytest.mark.parametrize(("text", "canonical"), [
    ("noise", "noise"), ("noise/", "noise"), ("noise/urgent", "noise/urgent"), ("*/normal", "*/normal"), ("*", "*"),
])
def test_a_routing_qualifier_is_kept_canonical(text, canonical):
    assert ROUTING.qualifier_of(text) == canonical


@pytest.mark.parametrize("text", ["/urgent", "noise/urgent/x", "noise/soon", "x" * 51, "noise\x00", ""])
def test_a_routing_qualifier_that_is_not_one_is_refused(text):
    with pytest.raises(InvalidArgument, match="qualifier"):
        ROUTING.qualifier_of(text)


def stored(scope_id, qualifier, tier):
    rule = RoutingRule(tier=tier, deadline="general")
    return StoredValue(f"s-{scope_id}-{qualifier}", ROUTING.key, scope_id, qualifier, rule, "{}", 1, T0, "admin")


def deciding_tier(values, category="noise", urgency="urgent"):
    found = resolve(ROUTING, values, PATH, {"category": category, "urgency": urgency})
    return found.value.tier if found else None


def test_a_rule_naming_the_category_beats_one_for_any_category_set_nearer():
    assert deciding_tier([stored(EVERYWHERE, "noise", JOINT), stored("nb-1", "*/urgent", ESCALATED)]) == JOINT


def test_among_rules_naming_the_category_the_nearest_place_wins():
    assert deciding_tier([stored("cty-1", "noise/urgent", JOINT), stored("nb-1", "noise", ESCALATED)]) == ESCALATED


def test_at_one_place_a_rule_naming_the_urgency_wins():
    assert deciding_tier([stored("tw-1", "noise", JOINT), stored("tw-1", "noise/urgent", ESCALATED)]) == ESCALATED


def test_rules_for_another_category_or_urgency_do_not_apply():
    values = [stored("nb-1", "litter", JOINT), stored("nb-1", "noise/normal", ESCALATED)]
    assert deciding_tier(values) is None
    assert deciding_tier([stored("nb-1", "*", JOINT)], category="litter") == JOINT


# -- payloads ------------------------------------------------------------------------------------

def payloads(task):
    return [dispatch_events.payload_of(event) for event in events(task)]


def the(task, kind):
    found = [payload for payload in payloads(task) if isinstance(payload, kind)]
    assert len(found) == 1, found
    return found[0]


def test_a_concerns_move_is_concern_progressed():
    payload = dispatch_events.payload_of(ConcernMoved("c-1", "reopened", "reopened for rework (round 1)"))
    assert payload == progress_pb2.ConcernProgressed(concern_id="c-1", status=progress_pb2.CONCERN_STATUS_REOPENED,
                                                     note="reopened for rework (round 1)")


def test_anything_else_has_no_payload():
    assert dispatch_events.payload_of(object()) is None
    assert dispatch_events.payload_of(Deciding(RoutingRule(tier=JOINT, deadline="general"), "*")) is None


def test_task_opened_carries_the_task_but_no_household():
    task = new_task(decision_id="d-1", action_id="a-1")
    task = Task.open(task, Route(JOINT, PERIOD), None, ORIGIN)
    payload = the(task, pb.TaskOpened)
    assert (payload.task_id, payload.neighbourhood_id, payload.tier, payload.decision_id, payload.action_id,
            list(payload.concern_ids), payload.category) == (
        "c-1", "nb-1", deliberation_pb2.HANDLING_TIER_JOINT, "d-1", "a-1", ["c-1", "c-2"], "noise")
    assert (payload.opened_at.ToDatetime(UTC), payload.deadline.ToDatetime(UTC)) == (T0, T0 + PERIOD)
    assert "hh-301" not in str(payload)


def test_task_assigned_carries_the_handler_and_mode():
    task = in_pool()
    task.claim(MEMBER_WANG, SYSTEM, at(1), ORIGIN)
    payload = the(task, pb.TaskAssigned)
    assert (payload.handler_id, payload.handler_name, payload.mode) == ("m-wang", "王二",
                                                                        pb.ASSIGNMENT_MODE_CLAIMED)
    assert payload.assigned_at.ToDatetime(UTC) == at(1)
    task.assign(Person("m-zhang", "张三"), SECRETARY, at(2), ORIGIN)
    assert payloads(task)[-1].mode == pb.ASSIGNMENT_MODE_FIXED


def test_helper_added_progress_noted_and_part_recorded_carry_what_was_added():
    task = handled_by(MEMBER_WANG)
    task.add_helper(VOLUNTEER, SECRETARY, at(2), ORIGIN)
    task.note_progress("已联系", SECRETARY, at(3), ORIGIN)
    assert (the(task, pb.HelperAdded).helper_id, the(task, pb.HelperAdded).helper_name) == ("v-chen", "陈志愿")
    noted = the(task, pb.TaskProgressNoted)
    assert (noted.note, noted.noted_at.ToDatetime(UTC)) == ("已联系", at(3))
    task = joint()
    task.record_part("协调", "已清理", SECRETARY, at(2), ORIGIN)
    part = the(task, pb.PartRecorded)
    assert (part.body, part.part, part.result) == ("party_org", "协调", "已清理")


def test_task_escalated_carries_both_tiers_the_reason_and_the_fresh_deadline():
    task = joint()
    task.escalate("需要执法", COMMUNITY, at(5), ORIGIN, overdue=True)
    payload = the(task, pb.TaskEscalated)
    assert (payload.from_tier, payload.to_tier, payload.reason, payload.overdue, list(payload.concern_ids),
            payload.category) == (deliberation_pb2.HANDLING_TIER_JOINT, deliberation_pb2.HANDLING_TIER_ESCALATED,
                                  "需要执法", True, ["c-1", "c-2"], "noise")
    assert (payload.escalated_at.ToDatetime(UTC), payload.deadline.ToDatetime(UTC)) == (at(5), at(5) + PERIOD)


def test_departments_whistled_names_only_the_departments_this_whistle_called():
    task = whistled(escalated(), TRANSPORT, hours=3)
    task.whistle([TRANSPORT, HOUSING], "补充", timedelta(hours=12), TOWNSHIP, at(8), ORIGIN)
    payload = the(task, pb.DepartmentsWhistled)
    assert (list(payload.department_ids), payload.note) == (["dep-housing"], "补充")
    assert (payload.whistled_at.ToDatetime(UTC), payload.report_in_due.ToDatetime(UTC)) == (at(8), at(20))


@pytest.mark.parametrize(("kind", "enum"), [(REPORT_IN, pb.DEPARTMENT_REPORT_KIND_REPORT_IN),
                                            (PROGRESS, pb.DEPARTMENT_REPORT_KIND_PROGRESS),
                                            (RESULT, pb.DEPARTMENT_REPORT_KIND_RESULT)])
def test_department_reported_carries_its_kind(kind, enum):
    task = whistled()
    task.department_reports("dep-transport", kind, "说明", as_department(TRANSPORT), at(6), ORIGIN)
    payload = the(task, pb.DepartmentReported)
    assert (payload.department_id, payload.kind, payload.note, payload.reported_at.ToDatetime(UTC)) == (
        "dep-transport", enum, "说明", at(6))


def test_reminded_and_overdue_name_the_handler_and_deadline():
    task = handled_by(MEMBER_WANG)
    task.remind(at(100), ORIGIN)
    task.mark_overdue(task.deadline, ORIGIN)
    for kind in (pb.TaskReminded, pb.TaskOverdue):
        payload = the(task, kind)
        assert (payload.handler_id, payload.deadline.ToDatetime(UTC)) == ("m-wang", task.deadline)
    pool = in_pool()
    pool.remind(at(100), ORIGIN)
    assert the(pool, pb.TaskReminded).handler_id == ""


def test_task_resolved_carries_the_result_timing_tier_handler_and_round():
    task = resolved(handled_by(MEMBER_WANG, decision_id="d-1", action_id="a-1"), hours=10)
    task.reopen(SUPERVISOR, "不满意", at(20), ORIGIN)
    task.resolve("已办结", SECRETARY, at(20 + 24 * 8), ORIGIN)
    payload = the(task, pb.TaskResolved)
    assert (payload.decision_id, payload.action_id, list(payload.concern_ids), payload.result,
            payload.resolved_at.ToDatetime(UTC), payload.on_time, payload.tier, payload.handler_id, payload.round) == (
        "d-1", "a-1", ["c-1", "c-2"], "已办结", at(20 + 24 * 8), False, deliberation_pb2.HANDLING_TIER_INDIVIDUAL,
        "m-wang", 1)


def test_task_reopened_carries_the_round_supervisor_and_fresh_deadline():
    task = resolved(handled_by(MEMBER_WANG))
    task.reopen(SUPERVISOR, "不满意", at(20), ORIGIN)
    payload = the(task, pb.TaskReopened)
    assert (payload.round, payload.supervisor_id, payload.supervisor_name, payload.deadline.ToDatetime(UTC)) == (
        1, "m-sup", "赵督导", at(20) + PERIOD)


# -- what the county platform hears --------------------------------------------------------------

@pytest.fixture
def queued(monkeypatch):
    sent = []
    monkeypatch.setattr(platform_feed.storage, "enqueue", lambda conn, **delivery: sent.append(delivery))
    return sent


def deliver(task):
    for recorded in task.events:
        platform_feed.deliver(None, recorded.event, recorded.occurred_at)


def test_the_platform_hears_nothing_of_individual_or_joint_tasks(queued):
    task = handled_by(MEMBER_WANG)
    task.note_progress("已联系", SECRETARY, at(2), ORIGIN)
    task.escalate("提级", SECRETARY, at(3), ORIGIN)
    task.record_part("协调", "", SECRETARY, at(4), ORIGIN)
    deliver(task)
    assert queued == []


def test_the_platform_hears_the_escalation_and_every_step_after_it_but_no_concern_moves(queued):
    task = joint()
    task.escalate("需要执法", COMMUNITY, at(5), ORIGIN)
    deliver(task)
    assert [d["event_type"] for d in queued] == ["lianyi.dispatch.v1.TaskEscalated"]
    delivery = queued[0]
    assert (delivery["task_id"], delivery["neighbourhood_id"], delivery["at"]) == ("c-1", "nb-1", at(5))
    body = delivery["body"]
    assert (body["delivery_id"], body["event_type"], body["occurred_at"]) == (
        delivery["delivery_id"], "lianyi.dispatch.v1.TaskEscalated", at(5).isoformat())
    assert body["payload"]["reason"] == "需要执法"


def test_the_platform_hears_an_escalated_tasks_steps_to_its_rework(queued):
    task = escalated_ready()
    task.note_progress("现场处置", TOWNSHIP, at(6), ORIGIN)
    task.mark_overdue(task.deadline, ORIGIN)
    task.resolve("已办结", TOWNSHIP, task.deadline + HOUR, ORIGIN)
    task.reopen(SUPERVISOR, "不满意", task.deadline + 2 * HOUR, ORIGIN)
    deliver(task)
    assert [d["event_type"].rsplit(".", 1)[1] for d in queued] == [
        "TaskProgressNoted", "TaskOverdue", "TaskResolved", "TaskReopened"]
    assert len({d["delivery_id"] for d in queued}) == 4


def test_the_platform_is_not_reminded(queued):
    task = escalated()
    task.remind(at(100), ORIGIN)
    deliver(task)
    assert queued == []


def test_the_platform_hears_a_task_opened_escalated_without_the_household(queued):
    deliver(Task.open(new_task(), Route(ESCALATED, PERIOD), None, ORIGIN))
    assert [d["event_type"] for d in queued] == ["lianyi.dispatch.v1.TaskOpened"]
    assert "hh-301" not in str(queued[0]["body"])


def test_whistle_and_reports_reach_the_platform(queued):
    task = whistled()
    task.department_reports(HOUSING.id, REPORT_IN, "", as_department(HOUSING), at(4), ORIGIN)
    deliver(task)
    assert [d["event_type"].rsplit(".", 1)[1] for d in queued] == ["DepartmentReported"]
    assert queued[0]["body"]["payload"]["department_id"] == "dep-housing"
    assert datetime.fromisoformat(queued[0]["body"]["occurred_at"]) == at(4)
