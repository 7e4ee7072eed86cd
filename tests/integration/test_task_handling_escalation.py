"""Dispatch's tasks going up (SQLite, and PostgreSQL where present): escalation tier by tier, the
township's whistle and the departments' reports, each step queued for the county platform;
reminders, overdue marks and the county's overdue escalation; lists and figures."""
from __future__ import annotations

from datetime import timedelta

import pytest

from lianyi.deliberation.v1 import events_pb2 as deliberation_pb
from lianyi.dispatch.v1 import events_pb2 as pb
from servicekit.errors import FailedPrecondition, NotFound, PermissionDenied
from tests.integration.dispatch_county import County, build_county


@pytest.fixture
def county(database_url, migrated_db, clock) -> County:
    return build_county(migrated_db("intake", "sqlite://"), migrated_db("dispatch", database_url), clock)


def escalated_task(county: County) -> str:
    """A leader's task, sent up by its handler to joint handling and by the secretary beyond."""
    task_id = county.open_concern("b-1")
    with county.acting_as("building_leader", entity="lead"):
        county.tasks.escalate(task_id, "需要业委会和物业一起处理")
    with county.secretary():
        county.tasks.escalate(task_id, "小区内解决不了")
    return task_id


# -- escalation ---------------------------------------------------------------------------------

def test_escalating_goes_up_one_tier_at_a_time_and_releases_the_commitment(county):
    task_id = county.open_concern("b-1")
    with county.acting_as("building_leader", entity="lead"):
        joint = county.tasks.escalate(task_id, "需要业委会和物业一起处理").task
    assert (joint.tier, joint.state, joint.handler) == ("joint", "in_handling", None)
    assert [(c.member_id, c.state) for c in county.commitments(task_id)] == [(county.ids["lead"], "released")]
    assert county.deliveries(task_id) == [], "the platform hears only escalated tasks"

    with county.acting_as("building_leader", entity="lead"), pytest.raises(PermissionDenied):
        county.tasks.escalate(task_id, "再升一级")  # a joint task is the secretary's to send up
    with county.secretary():
        up = county.tasks.escalate(task_id, "小区内解决不了").task

    assert up.tier == "escalated"
    assert [(e.from_tier, e.to_tier) for e in county.sent(pb.TaskEscalated)] == [
        (deliberation_pb.HANDLING_TIER_INDIVIDUAL, deliberation_pb.HANDLING_TIER_JOINT),
        (deliberation_pb.HANDLING_TIER_JOINT, deliberation_pb.HANDLING_TIER_ESCALATED)]
    assert county.progress(task_id) == ["in_handling", "in_handling", "escalated"]
    assert county.deliveries(task_id) == ["TaskEscalated"]


def test_the_whistle_departments_reports_and_the_community_resolve_an_escalated_task(county):
    task_id = escalated_task(county)
    county.clock.advance(minutes=10)
    with county.acting_as("township_admin", "township"):
        county.tasks.whistle(task_id, [county.ids["d-1"], county.ids["d-2"]], "请城管、住建到场")
    county.clock.advance(minutes=30)
    with county.acting_as("department", "county", "d-1"):
        reported = county.tasks.report_for_department(task_id, "", "report_in", "", "own-1").task
        county.tasks.report_for_department(task_id, "", "report_in", "", "own-1")  # the same callback
        county.tasks.report_for_department(task_id, "", "report_in", "", "own-2")  # reported in already
    assert reported.departments[county.ids["d-1"]].reported_in_at == county.clock.now()
    assert len(county.sent(pb.DepartmentReported)) == 1

    with county.acting_as("integration", "county"):
        for department, callback in (("d-1", "cb-1"), ("d-2", "cb-2"), ("d-1", "cb-1")):
            county.tasks.report_for_department(task_id, county.ids[department], "result", f"{department}已处理",
                                               callback)
    results = [r for r in county.sent(pb.DepartmentReported) if r.kind == pb.DEPARTMENT_REPORT_KIND_RESULT]
    assert [r.department_id for r in results] == [county.ids["d-1"], county.ids["d-2"]], "cb-1 again: nothing"

    with county.acting_as("community_admin", "community"):
        with pytest.raises(FailedPrecondition, match="community_party_committee"):
            county.tasks.resolve(task_id, "违建已拆除")
        county.tasks.record_part(task_id, "社区大党委牵头协调", "已协调")
        resolved = county.tasks.resolve(task_id, "违建已拆除").task

    assert resolved.state == "resolved"
    assert county.progress(task_id)[-1] == "resolved"
    assert county.deliveries(task_id) == ["TaskEscalated", "DepartmentsWhistled", "DepartmentReported",
                                          "DepartmentReported", "DepartmentReported", "PartRecorded", "TaskResolved"]


def test_a_department_sees_only_the_tasks_it_was_whistled_to(county):
    task_id = escalated_task(county)
    with county.acting_as("township_admin", "township"):
        county.tasks.whistle(task_id, [county.ids["d-1"]], "")
    with county.acting_as("department", "county", "d-1"):
        assert county.tasks.get(task_id).task.task_id == task_id
        assert [t.task_id for t in county.lists.list("mine", "", [], "", "", 0, "")[0]] == [task_id]
    with county.acting_as("department", "county", "d-3"):
        with pytest.raises(NotFound):
            county.tasks.get(task_id)
        with pytest.raises(NotFound):
            county.tasks.report_for_department(task_id, "", "report_in", "", "own-1")
        assert county.lists.list("all", "", [], "", "", 0, "")[0] == []


# -- deadlines ----------------------------------------------------------------------------------

def test_the_handler_is_reminded_once_before_the_deadline_and_the_task_is_marked_overdue_after(county):
    task_id = county.open_concern("b-1")  # property management: 24 hours, reminded 12 hours before
    deadline = county.tasks.get(task_id).task.deadline
    assert deadline == county.clock.now() + timedelta(hours=24)

    county.clock.advance(hours=11)
    county.fire_timers()
    assert county.sent(pb.TaskReminded) == []
    county.clock.advance(hours=1, minutes=1)
    county.fire_timers()
    county.fire_timers()
    (reminded,) = county.sent(pb.TaskReminded)
    assert reminded.handler_id == county.ids["lead"]
    assert county.deliveries(task_id) == []

    county.clock.advance(hours=12)
    county.fire_timers()
    county.fire_timers()
    (overdue,) = county.sent(pb.TaskOverdue)
    assert overdue.handler_id == county.ids["lead"]
    task = county.tasks.get(task_id).task
    assert (task.tier, task.overdue_at) == ("individual", county.clock.now())
    assert county.sent(pb.TaskEscalated) == [], "the county does not escalate overdue tasks by default"


def test_where_the_county_says_so_an_overdue_task_goes_up_a_tier(county):
    county.wiring.settings.set("dispatch.overdue.escalates", county.ids["county"], "", True)
    task_id = county.open_concern("b-1")

    county.clock.advance(hours=24)
    county.fire_timers()

    (escalated,) = county.sent(pb.TaskEscalated)
    assert (escalated.overdue, escalated.from_tier, escalated.to_tier) == (
        True, deliberation_pb.HANDLING_TIER_INDIVIDUAL, deliberation_pb.HANDLING_TIER_JOINT)
    task = county.tasks.get(task_id).task
    assert (task.tier, task.deadline) == ("joint", county.clock.now() + timedelta(hours=24)), "a fresh period"
    assert [(c.state, c.on_time) for c in county.commitments(task_id)] == [("released", False)]
    assert len(county.sent(pb.TaskOverdue)) == 1

    county.clock.advance(hours=24)
    county.fire_timers()
    assert len(county.sent(pb.TaskOverdue)) == 2, "overdue again in its new tier"
    assert county.tasks.get(task_id).task.tier == "escalated"


# -- lists and figures ----------------------------------------------------------------------------

def handling_mix(county: County) -> dict[str, str]:
    """Tasks of every kind in nb-1, oldest first: the leader's, one in the pool, a joint one, an
    escalated one (illegal construction) a department was whistled to."""
    tasks = {"led": county.open_concern("b-1"), "pool": county.open_concern("b-2"),
             "joint": county.open_concern("b-2", category="noise"),
             "escalated": county.open_concern("b-2", category="illegal_construction")}
    with county.acting_as("township_admin", "township"):
        county.tasks.whistle(tasks["escalated"], [county.ids["d-1"]], "")
    return tasks


def listed(county: County, which: str, page_size: int = 0, **filters) -> list[str]:
    """Every task of a list, page by page, by id."""
    found, token, pages = [], "", 0
    while True:
        page, token = county.lists.list(which, filters.get("place_id", ""), filters.get("states", []),
                                        filters.get("tier", ""), "", page_size, token)
        found += [task.task_id for task in page]
        pages += 1
        if not token:
            return found
        assert pages < 20


def test_each_list_shows_its_tasks_newest_first_page_by_page(county):
    tasks = handling_mix(county)
    with county.acting_as("building_leader", entity="lead"):
        assert listed(county, "mine") == [tasks["led"]]
    with county.member("m-1"):
        assert listed(county, "pool") == [tasks["pool"]]
        assert listed(county, "joint") == [tasks["joint"]]
        assert listed(county, "escalated") == [tasks["escalated"]]
        everything = [tasks[k] for k in ("escalated", "joint", "pool", "led")]
        assert listed(county, "all") == everything
        assert listed(county, "all", page_size=1) == everything
        assert listed(county, "all", states=["open"]) == [tasks["pool"]]
        assert listed(county, "all", tier="individual", page_size=1) == [tasks["pool"], tasks["led"]]
    with county.secretary():
        assert listed(county, "mine") == [tasks["joint"]], "the party organisation leads joint tasks"
    with county.member("other-m", "nb-2"):
        assert listed(county, "all") == []
        with pytest.raises(NotFound):
            listed(county, "all", place_id=county.ids["nb-1"])

    county.clock.advance(hours=24)
    county.fire_timers()
    with county.acting_as("community_admin", "community"):
        assert listed(county, "overdue", page_size=1) == [tasks["pool"], tasks["led"]]
        assert listed(county, "mine") == [tasks["escalated"]]


def test_figures_count_tasks_by_tier_on_time_overdue_and_departments_report_in(county):
    tasks = handling_mix(county)
    county.clock.advance(minutes=30)
    with county.acting_as("department", "county", "d-1"):
        county.tasks.report_for_department(tasks["escalated"], "", "report_in", "", "own-1")
    with county.acting_as("building_leader", entity="lead"):
        county.tasks.resolve(tasks["led"], "已修好")
    county.clock.advance(hours=24)
    county.fire_timers()

    with county.acting_as("township_admin", "township"):
        figures = county.reports.figures(county.ids["nb-1"], "", "")
        empty = county.reports.figures(county.ids["nb-2"], "", "")
    assert figures.counts == {"opened": 4, "individual": 2, "joint": 1, "escalated": 1, "resolved": 1,
                              "resolved_on_time": 1, "overdue": 1, "went_up": 0, "reworked": 0}
    (department,) = figures.departments
    assert (department.department_id, department.whistled, department.reported_in, department.reported_in_on_time,
            department.median_report_in_minutes) == (county.ids["d-1"], 1, 1, 1, 30)
    assert empty.counts["opened"] == 0 and empty.departments == []


def test_a_task_sent_up_for_being_overdue_still_counts_as_overdue(county):
    county.wiring.settings.set("dispatch.overdue.escalates", county.ids["county"], "", True)
    county.open_concern("b-1")
    county.clock.advance(hours=24)
    county.fire_timers()
    with county.acting_as("township_admin", "township"):
        counts = county.reports.figures(county.ids["nb-1"], "", "").counts
    assert (counts["went_up"], counts["overdue"]) == (1, 1)
