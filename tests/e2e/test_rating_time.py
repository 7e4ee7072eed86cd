"""A matter nobody rates (the clock moved for the real processes; see tests/e2e/test_time.py for
how these tests share the moved clock): reminded, then closed as unrated when the county's rating
period passes, and the household's timeline says so."""
from __future__ import annotations

from datetime import datetime

import pytest

from services.contract import COUNTY_TIME
from tests.e2e import handling
from tests.e2e.test_deliberation_time import _signed_in
from tests.e2e.test_handling import _ok, _raised_and_triaged, _task_opens
from tests.e2e.test_rating import _awaiting, _resolve
from tests.kafka_helpers import wait_for

pytestmark = pytest.mark.moves_time


def test_an_unrated_matter_is_closed_when_its_rating_period_passes(system, gateway, credentials, platform):
    community = next(a["scope_id"] for a in credentials["accounts"] if a["username"] == "nanmen.admin")
    estate = handling.build(gateway, _signed_in(gateway, credentials, "county.admin"), community)
    resident = estate.resident(0)
    concern_id = _raised_and_triaged(estate, resident, estate.led_households[0], "property_management", "路灯不亮")
    task = _task_opens(estate, concern_id, estate.leader)
    # Another the building leader is given as it opens, and leaves untouched past its deadline.
    untouched_id = _raised_and_triaged(estate, estate.resident(1), estate.led_households[1], "property_management",
                                       "楼道灯不亮")
    _task_opens(estate, untouched_id, estate.leader)
    _resolve(estate, concern_id, "换了灯泡")
    due = _awaiting(estate, concern_id, resident, 1)["rating_due"]

    system.move_clock(days=7, minutes=-5)  # the county's default rating period is 7 days
    estate.sign_in_again(_signed_in(gateway, credentials, "county.admin"))
    assert system.now().isoformat() < due
    assert _ok(estate.call("GET", f"/matters/{concern_id}", estate.secretary))["state"] == "awaiting_rating"

    system.move_clock(minutes=10)
    closed = wait_for(lambda: (found := _ok(estate.call("GET", f"/matters/{concern_id}", estate.secretary)))
                      ["state"] != "awaiting_rating" and found, timeout_s=60, message="the matter closed by its timer")
    assert (closed["state"], closed["rating"]) == ("closed_unrated", None)
    timeline = wait_for(lambda: (steps := _ok(estate.call("GET", f"/concerns/{concern_id}", platform))["timeline"])
                        [-1]["status"] == "archived" and steps, timeout_s=30, message="the timeline hears it")
    assert "unrated" in timeline[-1]["note"]

    # The three rates count the round closed unrated (no rating), and the untouched task, a week
    # past its deadline, as not responded.
    month = datetime.fromisoformat(task["opened_at"]).astimezone(COUNTY_TIME).strftime("%Y-%m")
    rates = wait_for(lambda: (found := _ok(estate.call("GET", "/rates", estate.secretary, params={
        "place_id": estate.neighbourhood_id, "period": month})))["unrated"] == 1 and found,
        timeout_s=30, message="the rates to hear the round closed unrated")
    assert {k: rates[k] for k in ("tasks", "responded", "resolved", "satisfied", "basically_satisfied",
                                  "unsatisfied", "unrated", "response_rate", "satisfaction_rate")} == {
        "tasks": 2, "responded": 1, "resolved": 1, "satisfied": 0, "basically_satisfied": 0, "unsatisfied": 0,
        "unrated": 1, "response_rate": 0.5, "satisfaction_rate": None}
