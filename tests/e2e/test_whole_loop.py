"""The whole loop (问事 → 议事 → 办事 → 评事) over the wire, across all four services: a member's
door visit raises a household's concern (intake), the neighbourhood deliberates it and the joint
meeting decides (deliberation), the member the meeting named handles the action (dispatch), and
the household rates it satisfied, which archives the matter (evaluation). The household's timeline
follows every stage."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.e2e import deliberating
from tests.e2e.test_deliberation import MEETING, _concern, _ok, _vote
from tests.kafka_helpers import wait_for


@pytest.fixture
def place(gateway, credentials, sign_in) -> deliberating.Neighbourhood:
    community = next(a["scope_id"] for a in credentials["accounts"] if a["username"] == "nanmen.admin")
    return deliberating.build(gateway, sign_in("county.admin"), sign_in("nanmen.admin"), community)


def test_from_a_door_visit_to_an_archived_matter(place, gateway, platform):
    # 问事: a member visits household 0 and writes down its concern; the neighbourhood's rule pools it.
    visit = _ok(place.call("POST", "/visits", place.member, json={
        "household_id": place.households[0], "visited_on": datetime.now(UTC).date().isoformat(),
        "notes": "楼道里堆满杂物", "concerns": [{"category": "blocked_hallway", "description": "楼道堆物挡住消防通道"}]}),
        201)
    (concern_id,) = visit["concern_ids"]
    wait_for(lambda: concern_id in [e["concern_id"] for e in _ok(place.call(
        "GET", f"/neighbourhoods/{place.neighbourhood_id}/pool", place.secretary))["entries"]],
        timeout_s=30, message="the visit's concern in the pool")

    # 议事: a topic, the households' vote, a panel, its consensus and the joint meeting's decision.
    topic_id = _ok(place.call("POST", f"/neighbourhoods/{place.neighbourhood_id}/topics", place.secretary, json={
        "title": "楼道堆物整治", "summary": "消防通道被杂物挡住", "concern_ids": [concern_id],
        "meeting_on": deliberating.county_day(14)}), 201)["topic_id"]
    _ok(place.call("POST", f"/topics/{topic_id}/publish", place.secretary))
    wait_for(lambda: _ok(place.call("GET", f"/topics/{topic_id}/tally", place.secretary))["households"]
             == len(place.households), timeout_s=30, message="the households in deliberation's replica")
    for i in range(6):
        _ok(_vote(place, i, topic_id, "yes"))
    assert _ok(place.call("POST", f"/topics/{topic_id}/close-vote", place.secretary))["state"] == "accepted"
    wait_for(lambda: len(_ok(place.call("GET", f"/topics/{topic_id}/panel-proposal", place.secretary))
                         ["candidates"]) == len(place.members), timeout_s=30, message="the members in the replica")
    panel = place.members[:5]
    _ok(place.call("PUT", f"/topics/{topic_id}/panel", place.secretary, json={"member_ids": panel}))
    for member_id in panel:
        _ok(place.call("POST", f"/topics/{topic_id}/opinions", place.secretary,
                       json={"text": "同意清理", "member_id": member_id}), 201)
    _ok(place.call("POST", f"/topics/{topic_id}/consensus", place.secretary, json={"consensus": "一周内清理"}))
    decision = _ok(place.call("POST", f"/topics/{topic_id}/decision", place.secretary, json={
        "attendees": MEETING, "resolution": "限期清理楼道堆物",
        "actions": [{"description": "清理楼道杂物", "owner_id": place.members[1], "owner_name": "党员1",
                     "deadline": deliberating.county_day(30)}]}), 201)["decision"]
    (action,) = decision["actions"]

    # 办事: dispatch opens the action's task for the member the meeting named, who resolves it.
    task = wait_for(lambda: (found := place.call("GET", f"/tasks/{action['action_id']}", place.member))
                    .status_code == 200 and found.json(), timeout_s=30, message="the action's task")
    assert (task["handler_id"], task["decision_id"], task["state"]) == (
        place.members[1], decision["decision_id"], "in_handling")
    resolved = _ok(place.call("POST", f"/tasks/{task['task_id']}/resolution", place.member,
                              json={"result": "杂物已清理, 通道畅通"}))
    assert resolved["state"] == "resolved"

    # 评事: the household that raised it rates the resolution; satisfied archives the matter.
    resident = place.resident(0)
    matter = wait_for(lambda: (found := place.call("GET", f"/matters/{task['task_id']}", resident))
                      .status_code == 200 and found.json(), timeout_s=30, message="the matter to rate")
    assert (matter["state"], matter["household_ids"]) == ("awaiting_rating", [place.households[0]])
    rated = _ok(place.call("POST", f"/matters/{task['task_id']}/rating", resident, json={"rating": "satisfied"}))
    assert (rated["state"], rated["rating"]) == ("archived", "satisfied")

    # The household's "where is my matter?" shows every stage, in order of when each happened
    # (deliberation's steps, from the pool to the vote, are each an in_deliberation entry with its
    # own note). Each service reports its own steps, so evaluation's may arrive before dispatch's:
    # wait for them all, then read them in time order.
    stages = ["received", "triaged", "in_deliberation", "decided", "in_handling", "resolved", "rated", "archived"]
    seen: list[str] = []

    def every_stage():
        timeline = [step["status"] for step in _concern(gateway, concern_id, resident)["timeline"]]
        seen[:] = [status for i, status in enumerate(timeline) if i == 0 or timeline[i - 1] != status]
        return set(stages) <= set(seen)
    wait_for(every_stage, timeout_s=30, message="every stage on the concern's timeline")
    assert seen == stages
    assert _concern(gateway, concern_id, platform)["channel"] == "door_visit"
    ledger = wait_for(lambda: (found := _ok(place.call("GET", "/ledger", place.member)))["commitments"]
                      and found["commitments"][0]["rating"] == "satisfied" and found, timeout_s=30,
                      message="the rating on the member's ledger")
    assert [(c["task_id"], c["state"], c["on_time"]) for c in ledger["commitments"]] == [
        (task["task_id"], "fulfilled", True)]
