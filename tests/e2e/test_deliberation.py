"""Deliberation (议事) over the wire, through the gateway, by the roles that take each step: a
topic drafted from pooled concerns, published and voted on by the households, deliberated by a
panel of members and decided by the joint meeting, the concerns' timelines following it; a
rejected topic's concerns back in the pool or closed; and each rule refused with its reason."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import grpc
import pytest
import requests

from lianyi.dispatch.v1 import dispatch_service_pb2 as dispatch_pb
from lianyi.dispatch.v1.dispatch_service_pb2_grpc import DispatchServiceStub
from services.deliberation.contract import COUNTY_TIME
from tests.e2e import deliberating
from tests.e2e.conftest import post_concerns, submission, wait_for_pool
from tests.e2e.principals import county_admin
from tests.kafka_helpers import wait_for

# The meeting day and the plan's deadlines, from today (county time): always ahead of the decision.
MEETING_ON, CLEARED_BY, POSTED_BY = (deliberating.county_day(days) for days in (14, 25, 35))
MEETING = [{"body": "party_org", "name": "党支部"}, {"body": "owners_committee", "name": "业委会"},
           {"body": "property_company", "name": "物业服务中心"}, {"body": "resident", "name": "王阿姨"}]


@pytest.fixture
def place(gateway, credentials, sign_in) -> deliberating.Neighbourhood:
    community = next(a["scope_id"] for a in credentials["accounts"] if a["username"] == "nanmen.admin")
    return deliberating.build(gateway, sign_in("county.admin"), sign_in("nanmen.admin"), community)


def _ok(response: requests.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def _refused(response: requests.Response, status: int, says: str) -> None:
    """A problem+json refusal whose detail (or, for a body that does not fit the schema, one of
    its fields' errors) says so."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    said = [problem["detail"], *(f"{e['field']}: {e['message']}" for e in problem.get("errors") or [])]
    assert any(says in text for text in said), said


def _pooled(place, gateway, platform, n: int) -> list[str]:
    ids = post_concerns(gateway, [submission(place.neighbourhood_id, i, category="blocked_hallway",
                                             description=f"楼道堆满杂物 {i}",
                                             household_id=place.households[i % len(place.households)])
                                  for i in range(n)], platform)
    wait_for_pool(gateway, place.neighbourhood_id, set(ids), platform)
    return ids


def _topic(place, topic_id, headers) -> dict:
    return _ok(place.call("GET", f"/topics/{topic_id}", headers))


def _concern(gateway, concern_id, headers) -> dict:
    return _ok(requests.get(f"{gateway}/api/v1/concerns/{concern_id}", headers=headers, timeout=10))


def _published(place, gateway, platform, concerns: int = 2) -> tuple[str, list[str]]:
    ids = _pooled(place, gateway, platform, concerns)
    topic = _ok(place.call("POST", f"/neighbourhoods/{place.neighbourhood_id}/topics", place.secretary, json={
        "title": "3号楼楼道堆物整治", "summary": "楼道堆满鞋柜和杂物, 消防通道不通", "concern_ids": ids,
        "meeting_on": MEETING_ON}), 201)
    _ok(place.call("POST", f"/topics/{topic['topic_id']}/publish", place.secretary))
    # Every household has reached deliberation's replica when the tally counts them all.
    wait_for(lambda: _ok(place.call("GET", f"/topics/{topic['topic_id']}/tally", place.secretary))["households"]
             == len(place.households), timeout_s=30, message="the households in deliberation's replica")
    return topic["topic_id"], ids


def _county_month(stamp: str) -> str:
    """The month (YYYY-MM) an ISO timestamp falls in, in the county's time (UTC+8)."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(COUNTY_TIME).strftime("%Y-%m")


def _vote(place, i: int, topic_id: str, choice: str) -> requests.Response:
    return place.call("PUT", f"/topics/{topic_id}/vote", place.resident(i), json={"choice": choice})


def test_the_whole_cycle_from_the_pool_to_the_joint_meetings_decision(place, gateway, platform, sign_in, system,
                                                                      grpc_channel):
    concerns = _pooled(place, gateway, platform, 2)
    draft = _ok(place.call("POST", f"/neighbourhoods/{place.neighbourhood_id}/topics", place.secretary, json={
        "title": "3号楼楼道堆物整治", "summary": "楼道堆满鞋柜和杂物", "concern_ids": concerns,
        "meeting_on": MEETING_ON}), 201)
    topic_id = draft["topic_id"]
    assert (draft["state"], draft["concern_ids"], draft["tally"]) == ("drafted", concerns, None)
    # The drafting view: each concern as intake shows it to the secretary.
    shown = _ok(place.call("GET", f"/topics/{topic_id}/concerns", place.secretary))["concerns"]
    assert [(c["concern_id"], c["description"]) for c in shown] == [(c, f"楼道堆满杂物 {i}")
                                                                     for i, c in enumerate(concerns)]
    agenda = _ok(place.call("GET", f"/neighbourhoods/{place.neighbourhood_id}/agenda", place.secretary,
                            params={"month": MEETING_ON[:7]}))
    assert [t["topic_id"] for t in agenda["topics"]] == [topic_id]
    assert place.call("GET", f"/neighbourhoods/{place.neighbourhood_id}/pool", place.secretary).json()["entries"] == []

    # Not yet put to the residents: they do not see it, and their vote says why it is refused.
    _refused(place.call("GET", f"/topics/{topic_id}", place.resident(0)), 404, "no topic")
    _refused(_vote(place, 0, topic_id, "yes"), 409, "is drafted: only a published topic takes votes")
    _ok(place.call("POST", f"/topics/{topic_id}/publish", place.secretary))
    wait_for(lambda: _ok(place.call("GET", f"/topics/{topic_id}/tally", place.secretary))["households"] == 10,
             timeout_s=30, message="the households in deliberation's replica")

    # Six households of ten vote yes; one changes its mind; two votes of one household at once count once.
    assert _ok(_vote(place, 0, topic_id, "no"))["choice"] == "no"
    for i in range(6):
        _ok(_vote(place, i, topic_id, "yes"))
    _ok(_vote(place, 6, topic_id, "no"))
    start = threading.Barrier(2)
    place.resident(7)  # signed in before: a second access code would replace the first

    def at_once(choice):
        start.wait()
        return _vote(place, 7, topic_id, choice).status_code

    with ThreadPoolExecutor(2) as pool:
        assert sorted(pool.map(at_once, ["yes", "no"])) == [200, 200]
    tally = _ok(place.call("GET", f"/topics/{topic_id}/tally", place.resident(3)))
    # Household 7 counts once, as whichever of its two votes came last.
    assert (tally["yes_votes"], tally["no_votes"], tally["households"]) in ((7, 1, 10), (6, 2, 10))
    _ok(_vote(place, 7, topic_id, "no"))
    tally = _ok(place.call("GET", f"/topics/{topic_id}/tally", place.resident(3)))
    assert (tally["yes_votes"], tally["no_votes"], tally["households"]) == (6, 2, 10)
    assert (tally["quorum"], tally["threshold"], tally["quorum_met"], tally["closed"]) == ("0.5", "0.5", True, False)
    seen = _topic(place, topic_id, place.resident(0))
    assert (seen["your_vote"], seen["concern_ids"]) == ("yes", [])
    assert all(step["actor"] is None for step in seen["history"])

    closed = _ok(place.call("POST", f"/topics/{topic_id}/close-vote", place.secretary))
    assert (closed["state"], closed["tally"]["closed"], closed["rejection_reason"]) == ("accepted", True, None)
    _refused(_vote(place, 9, topic_id, "yes"), 409, "is accepted: only a published topic takes votes")

    # The panel: proposed mixed and light, confirmed by the secretary.
    wait_for(lambda: len(_ok(place.call("GET", f"/topics/{topic_id}/panel-proposal", place.secretary))["candidates"])
             == 7, timeout_s=30, message="the members in deliberation's replica")
    proposal = _ok(place.call("GET", f"/topics/{topic_id}/panel-proposal", place.secretary))
    assert len({m["member_kind"] for m in proposal["panellists"]}) == 4
    panel = [place.members[i] for i in range(5)]
    _refused(place.call("PUT", f"/topics/{topic_id}/panel", place.member, json={"member_ids": panel}), 403,
             "a member may not do this")
    _ok(place.call("PUT", f"/topics/{topic_id}/panel", place.secretary, json={"member_ids": panel}))

    # Opinions: a panellist's own, the rest recorded by the secretary; consensus waits for all.
    given = _ok(place.call("POST", f"/topics/{topic_id}/opinions", place.member, json={"text": "先清理, 再立公约"}), 201)
    assert (given["member_id"], given["recorded_by"]) == (place.members[1], None)
    _refused(place.call("POST", f"/topics/{topic_id}/consensus", place.secretary, json={"consensus": "限期清理"}),
             409, "not yet: 党员0")
    for i in (0, 2, 3, 4):
        _ok(place.call("POST", f"/topics/{topic_id}/opinions", place.secretary,
                       json={"text": "同意", "member_id": place.members[i]}), 201)
    _refused(place.call("POST", f"/topics/{topic_id}/decision", place.secretary, json={
        "attendees": MEETING, "resolution": "限期清理", "actions": [{"description": "清理", "deadline": CLEARED_BY}]}),
        409, "is deliberating: the joint meeting decides once the panel has reached consensus")
    _ok(place.call("POST", f"/topics/{topic_id}/consensus", place.secretary, json={"consensus": "一周内清理, 物业负责"}))

    # The joint meeting: the three bodies present, a plan of actions.
    _refused(place.call("POST", f"/topics/{topic_id}/decision", place.secretary, json={
        "attendees": MEETING[:1], "resolution": "限期清理", "actions": [{"description": "清理", "deadline": CLEARED_BY}]}),
        422, "needs owners_committee, property_company present")
    decided = _ok(place.call("POST", f"/topics/{topic_id}/decision", place.secretary, json={
        "attendees": MEETING, "minutes": "三方到会, 一致同意", "resolution": "限期清理楼道堆物",
        "actions": [{"description": "清理楼道杂物", "tier": "joint", "deadline": CLEARED_BY},
                    {"description": "张贴楼道公约", "owner_id": place.members[1], "owner_name": "党员1",
                     "deadline": POSTED_BY}]}), 201)
    assert decided["state"] == "decided" and [a["tier"] for a in decided["decision"]["actions"]] == ["joint", None]
    # The plan reaches dispatch, which keeps its actions to hand out as tasks.
    stub = DispatchServiceStub(grpc_channel("dispatch"))

    def in_dispatch():
        try:
            return stub.ListDecidedActions(dispatch_pb.ListDecidedActionsRequest(
                decision_id=decided["decision"]["decision_id"]), metadata=county_admin(system)).actions
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.NOT_FOUND:  # NOT_FOUND: not there yet
                raise
            return None

    kept = wait_for(in_dispatch, timeout_s=30, message="the decision's actions in dispatch")
    assert [(a.description, a.tier, a.deadline) for a in kept] == [("清理楼道杂物", "joint", CLEARED_BY),
                                                                   ("张贴楼道公约", "", POSTED_BY)]
    # The concerns are decided, then in handling as dispatch hands the plan's actions out as tasks.
    for concern_id in concerns:
        moved = wait_for(lambda c=concern_id: (found := _concern(gateway, c, platform))["status"] == "in_handling"
                         and found, timeout_s=30, message=f"{concern_id} decided and in handling")
        steps = [(s["status"], s["note"]) for s in moved["timeline"]]
        decided_at = [status for status, _ in steps].index("decided")
        assert steps[decided_at][1].startswith("decided by the joint meeting: 限期清理楼道堆物")
        assert {status for status, _ in steps[decided_at + 1:]} == {"in_handling"}

    # Residents see the decision, without the concerns or any resident's name.
    public = _topic(place, topic_id, place.resident(4))
    assert public["decision"]["resolution"] == "限期清理楼道堆物" and public["concern_ids"] == []
    assert [a["name"] for a in public["decision"]["attendees"] if a["body"] == "resident"] == [None]
    # Its progress (议定事项落实): dispatch opened a task per action; the member the meeting named
    # resolves theirs, dispatch reports it, a household rates it and evaluation reports that.
    decision_id, actions = decided["decision"]["decision_id"], decided["decision"]["actions"]
    owned = actions[1]["action_id"]
    task = wait_for(lambda: (found := place.call("GET", f"/tasks/{owned}", place.member)).status_code == 200
                    and found.json(), timeout_s=30, message="the action's task in dispatch")
    assert (task["tier"], task["state"], task["mode"], task["handler_id"], task["decision_id"]) == (
        "individual", "in_handling", "fixed", place.members[1], decision_id)
    joint = _ok(place.call("GET", f"/tasks/{actions[0]['action_id']}", place.secretary))
    assert (joint["tier"], joint["state"], joint["handler_id"]) == ("joint", "in_handling", None)
    _refused(place.call("POST", f"/tasks/{owned}/resolution", place.secretary, json={"result": ""}), 422, "result")
    resolved = _ok(place.call("POST", f"/tasks/{owned}/resolution", place.member, json={"result": "公约已张贴"}))
    assert (resolved["state"], resolved["on_time"]) == ("resolved", True)
    # A household whose concern the decision answers rates the action's resolution (一事一评).
    wait_for(lambda: place.call("GET", f"/matters/{owned}", place.resident(0)).status_code == 200,
             timeout_s=30, message="the action's resolution to rate")
    _ok(place.call("POST", f"/matters/{owned}/rating", place.resident(0), json={"rating": "basically_satisfied"}))
    progress = wait_for(lambda: (shown := _topic(place, topic_id, place.resident(4))["decision"])["progress"]
                        ["resolved"] == 1 and shown["progress"]["ratings"]["basically_satisfied"] == 1 and shown,
                        timeout_s=30, message="the decision's progress")
    assert [(a["rating"], a["on_time"]) for a in progress["actions"]] == [(None, None), ("basically_satisfied", True)]
    ledger = _ok(place.call("GET", "/ledger", place.member))
    assert [(c["task_id"], c["state"], c["on_time"]) for c in ledger["commitments"]] == [(owned, "fulfilled", True)]

    history = _topic(place, topic_id, place.secretary)["history"]
    assert [h["step"] for h in history] == ["drafted", "published", "vote_closed", "panel_confirmed",
                                            *["opinion_given"] * 5, "consensus_recorded", "decided"]

    figures = _ok(place.call("GET", "/deliberation-figures", sign_in("nanmen.admin"),
                             params={"place_id": place.neighbourhood_id, "period": _county_month(closed["drafted_at"])}))
    assert {k: figures[k] for k in ("drafted", "published", "accepted", "rejected", "panels", "opinions", "decisions",
                                    "proposals_adopted", "votes", "households", "turnout")} == {
        "drafted": 1, "published": 1, "accepted": 1, "rejected": 0, "panels": 1, "opinions": 5, "decisions": 1,
        "proposals_adopted": 1, "votes": 8, "households": 10, "turnout": "0.8000"}


def test_a_rejected_topics_concerns_go_back_to_the_pool_or_are_closed_on_their_timelines(
        place, gateway, platform):
    topic_id, concerns = _published(place, gateway, platform, 1)
    for i in range(2):  # two of ten households: no quorum
        _ok(_vote(place, i, topic_id, "yes"))
    rejected = _ok(place.call("POST", f"/topics/{topic_id}/close-vote", place.secretary))
    assert (rejected["state"], rejected["rejection_reason"]) == ("rejected", "quorum_missed")
    _refused(place.call("GET", f"/topics/{topic_id}/panel-proposal", place.secretary), 409,
             "is rejected: only an accepted topic gets a panel")
    _ok(place.call("POST", f"/topics/{topic_id}/release", place.secretary, json={"fate": "pool"}))
    assert [e["concern_id"] for e in place.call("GET", f"/neighbourhoods/{place.neighbourhood_id}/pool",
                                                place.secretary).json()["entries"]] == concerns
    wait_for(lambda: "back in the pool" in _concern(gateway, concerns[0], platform)["timeline"][-1]["note"],
             timeout_s=30, message="the concern back in the pool on its timeline")

    second = _ok(place.call("POST", f"/neighbourhoods/{place.neighbourhood_id}/topics", place.secretary,
                            json={"title": "再议楼道堆物", "concern_ids": concerns}), 201)["topic_id"]
    _ok(place.call("POST", f"/topics/{second}/publish", place.secretary))
    for i in range(6):  # enough voted, too few yes
        _ok(_vote(place, i, second, "no" if i < 4 else "yes"))
    assert _ok(place.call("POST", f"/topics/{second}/close-vote", place.secretary))["rejection_reason"] == \
        "threshold_missed"
    _refused(place.call("POST", f"/topics/{second}/release", place.secretary, json={"fate": "closed"}), 422,
             "reason must not be empty")
    _ok(place.call("POST", f"/topics/{second}/release", place.secretary,
                   json={"fate": "closed", "reason": "居民多数不同意上会, 由物业自行处理"}))
    closed = wait_for(lambda: (found := _concern(gateway, concerns[0], platform))["status"] == "closed" and found,
                      timeout_s=30, message="the concern closed")
    assert closed["timeline"][-1]["note"] == "topic rejected: 居民多数不同意上会, 由物业自行处理"


def test_who_may_take_a_step_where(place, gateway, platform, sign_in):
    topic_id, _ = _published(place, gateway, platform, 1)
    # Another neighbourhood's secretary sees nothing of it; a community administrator reads but may not act.
    _refused(place.call("POST", f"/topics/{topic_id}/close-vote", sign_in("n1.secretary")), 404, "no topic")
    _refused(place.call("POST", f"/topics/{topic_id}/close-vote", sign_in("nanmen.admin")), 403,
             "a community_admin may not do this")
    assert _topic(place, topic_id, sign_in("nanmen.admin"))["state"] == "published"
    _refused(place.call("GET", f"/topics/{topic_id}", sign_in("n1.resident")), 404, "no topic")
    _refused(place.call("PUT", f"/topics/{topic_id}/vote", sign_in("n1.resident"), json={"choice": "yes"}), 404,
             "no topic")
    _refused(place.call("PUT", f"/topics/{topic_id}/vote", place.secretary, json={"choice": "yes"}), 403,
             "a party_secretary may not do this")
    _refused(_vote(place, 0, topic_id, "maybe"), 422, "choice")
    _refused(place.call("GET", "/deliberation-figures", place.secretary,
                        params={"place_id": place.neighbourhood_id, "period": "2026-13"}), 422, "period")


def test_a_neighbourhood_sets_its_own_quorum_and_its_vote_is_judged_by_it(place, gateway, platform):
    # The county's default asks half the households to vote; this neighbourhood asks a fifth.
    setting = place.call("PUT", "/settings/deliberation.vote.quorum", place.secretary,
                         json={"scope_id": place.neighbourhood_id, "value": 0.2})
    assert setting.status_code == 200, setting.text
    topic_id, _ = _published(place, gateway, platform, 1)
    for i in range(2):
        _ok(_vote(place, i, topic_id, "yes"))
    live = _ok(place.call("GET", f"/topics/{topic_id}/tally", place.secretary))
    assert (live["quorum"], live["quorum_met"]) == ("0.2", True)
    closed = _ok(place.call("POST", f"/topics/{topic_id}/close-vote", place.secretary))
    assert (closed["state"], closed["tally"]["quorum"], closed["tally"]["closed_early"]) == ("accepted", "0.2", True)
