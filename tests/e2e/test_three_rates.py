"""The three rates over the wire, across all the services: a resident's concern handled by the
building leader, rated unsatisfied, reworked, resolved again and rated satisfied, beside another
the leader was given and left untouched (no response); evaluation hears
dispatch's steps and its own ratings from the topics and the county's staff read the
neighbourhood's and the leader's rates through the gateway, as JSON and as CSV; another member
may not read the leader's."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

from tests.e2e import handling
from tests.e2e.test_handling import _ok, _raised_and_triaged, _refused, _task_opens, estate
from tests.e2e.test_rating import _awaiting, _resolve
from tests.kafka_helpers import wait_for

__all__ = ["estate"]  # the fixture, shared with the handling tests
COUNTY_TIME = timezone(timedelta(hours=8))


def _rates(estate: handling.Estate, headers: dict, **params) -> dict:
    return _ok(estate.call("GET", "/rates", headers, params=params))


def _month(task: dict) -> str:
    return datetime.fromisoformat(task["opened_at"]).astimezone(COUNTY_TIME).strftime("%Y-%m")


def test_a_reworked_matter_counts_in_the_neighbourhood_s_and_the_leader_s_rates(estate):
    """Two tasks dispatch gives the building leader as it opens them: one left untouched (no
    response: being given a task is not acting on it), one resolved, rated unsatisfied, reworked,
    resolved again and rated satisfied."""
    untouched_id = _raised_and_triaged(estate, estate.resident(1), estate.led_households[1], "property_management",
                                       "楼道灯不亮")
    untouched = _task_opens(estate, untouched_id, estate.leader)
    assert (untouched["handler_id"], untouched["state"]) == (estate.leader_id, "in_handling")
    resident = estate.resident(0)
    concern_id = _raised_and_triaged(estate, resident, estate.led_households[0], "property_management", "水管漏水")
    task = _task_opens(estate, concern_id, estate.leader)
    month = _month(task)
    assert _month(untouched) == month, "both opened within the same minute"
    _resolve(estate, concern_id, "已关阀门")
    _awaiting(estate, concern_id, resident, 1)
    _ok(estate.call("POST", f"/matters/{concern_id}/rating", resident, json={"rating": "unsatisfied"}))
    wait_for(lambda: _ok(estate.call("GET", f"/tasks/{concern_id}", estate.leader))["state"] == "in_handling",
             timeout_s=30, message="the task reopened")
    _resolve(estate, concern_id, "换了水管")
    _awaiting(estate, concern_id, resident, 2)
    _ok(estate.call("POST", f"/matters/{concern_id}/rating", resident, json={"rating": "satisfied"}))

    place = {"place_id": estate.neighbourhood_id, "period": month}
    rates = wait_for(lambda: (found := _rates(estate, estate.secretary, **place))["satisfied"] == 1 and found,
                     timeout_s=30, message="evaluation to hear the second rating")
    assert {k: v for k, v in rates.items() if k not in ("median_hours_to_resolve", "p90_hours_to_resolve")} == {
        "place_id": estate.neighbourhood_id, "member_id": None, "department_id": None, "period": month,
        "tasks": 2, "responded": 1, "resolved": 1, "satisfied": 1, "basically_satisfied": 0, "unsatisfied": 1,
        "unrated": 0, "response_rate": 0.5, "resolution_rate": 0.5, "satisfaction_rate": 0.5}
    assert rates["median_hours_to_resolve"] == rates["p90_hours_to_resolve"] == 1, "resolved within the hour"

    year = month[:4]
    leader = _rates(estate, estate.leader, member_id=estate.leader_id, period=year)
    assert (leader["tasks"], leader["responded"], leader["satisfied"], leader["unsatisfied"]) == (2, 1, 1, 1)
    _refused(estate.call("GET", "/rates", estate.member, params={"member_id": estate.leader_id, "period": year}),
             403, "own rates")
    _refused(estate.call("GET", "/rates", estate.secretary, params={"period": year}), 422,
             "does not match the schema")

    exported = estate.call("GET", "/rates", {**estate.secretary, "Accept": "text/csv"}, params=place)
    assert exported.status_code == 200 and exported.headers["Content-Type"] == "text/csv; charset=utf-8; header=present"
    (row,) = csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig")))
    assert (row["tasks"], row["responded"], row["satisfaction_rate"], row["member_id"]) == ("2", "1", "0.5", "")
