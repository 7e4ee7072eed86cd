"""Triage over the wire: a person's triage and the routing table send concerns to the right
service; duplicates are suggested and merged; every concern's timeline follows the downstream
services' reports, so residents, members and the county platform all see where a matter is."""
from __future__ import annotations

from datetime import UTC

import requests

from lianyi.dispatch.v1 import dispatch_service_pb2 as dispatch_pb
from lianyi.dispatch.v1.dispatch_service_pb2_grpc import DispatchServiceStub
from lianyi.events.v1.progress_pb2 import ConcernProgressed, ConcernStatus
from lianyi.events.v1.progress_v1_pb2 import ConcernProgressedV1
from servicekit import envelope, topics
from tests.e2e.conftest import pool_ids, post_concerns, submission, wait_for_pool
from tests.e2e.principals import county_admin
from tests.event_helpers import written_at
from tests.kafka_helpers import produce, read_topic, wait_for


def _concern(gateway, concern_id, headers) -> dict:
    response = requests.get(f"{gateway}/api/v1/concerns/{concern_id}", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def _triage(gateway, concern_id, headers, route, note=""):
    return requests.post(f"{gateway}/api/v1/concerns/{concern_id}/triage", headers=headers, timeout=10,
                         json={"route": route, "note": note})


def _set_rule(gateway, headers, **rule):
    return requests.put(f"{gateway}/api/v1/triage-rules", headers=headers, json=rule, timeout=10)


def _status_becomes(gateway, concern_id, headers, status):
    return wait_for(lambda: _concern(gateway, concern_id, headers)["status"] == status and
                    _concern(gateway, concern_id, headers), timeout_s=30, message=f"{concern_id} {status}")


def test_triage_sends_shared_matters_to_the_pool_and_household_matters_to_dispatch(
        system, gateway, neighbourhood, sign_in, platform, grpc_channel):
    admin = sign_in("nanmen.admin")
    shared, own = post_concerns(gateway, [submission(neighbourhood, 1, category="blocked_hallway",
                                                     description="楼道堆满鞋柜, 消防通道不通"),
                                          submission(neighbourhood, 2, category="neighbour_relations",
                                                     description="楼上漏水到我家卫生间")], platform)
    queue = requests.get(f"{gateway}/api/v1/neighbourhoods/{neighbourhood}/concerns", headers=admin,
                         params={"status": "received"}, timeout=10).json()
    assert {c["concern_id"] for c in queue["concerns"]} == {shared, own}, "both wait for triage"

    triaged = _triage(gateway, shared, admin, "deliberation", "全楼的事, 上议事会")
    assert triaged.status_code == 200, triaged.text
    assert triaged.json()["triage"]["route"] == "deliberation" and triaged.json()["triage"]["rule_id"] is None
    assert _triage(gateway, own, admin, "direct").status_code == 200

    wait_for_pool(gateway, neighbourhood, {shared}, platform)
    pooled = _status_becomes(gateway, shared, platform, "in_deliberation")
    assert [step["status"] for step in pooled["timeline"]] == ["received", "triaged", "in_deliberation"]
    assert pooled["timeline"][1]["note"] == "deliberation: 全楼的事, 上议事会"
    handled = _status_becomes(gateway, own, platform, "in_handling")
    assert [(s["status"], s["source"]) for s in handled["timeline"]][-1] == ("in_handling", "dispatch")
    task = DispatchServiceStub(grpc_channel("dispatch")).GetTask(
        dispatch_pb.GetTaskRequest(concern_id=own), metadata=county_admin(system))
    assert task.route == "direct" and task.HasField("opened_at")
    assert own not in pool_ids(gateway, neighbourhood, platform)

    again = _triage(gateway, own, admin, "deliberation")
    assert again.status_code == 409 and "already triaged" in again.json()["detail"]
    queue = requests.get(f"{gateway}/api/v1/neighbourhoods/{neighbourhood}/concerns", headers=admin,
                         params={"status": "received"}, timeout=10).json()
    assert queue["concerns"] == []


def test_the_routing_table_triages_on_arrival_most_specific_rule_first(gateway, neighbourhood, sign_in, platform):
    admin = sign_in("nanmen.admin")
    # The county's default: urgent child care goes straight to handling.
    child_care = post_concerns(gateway, [submission(neighbourhood, category="urgent_child_care",
                                                    description="双职工家庭孩子放学无人接")], platform)[0]
    arrived = _concern(gateway, child_care, platform)
    assert arrived["triage"]["route"] == "direct" and arrived["triage"]["rule_id"] == "default-urgent_child_care"
    _status_becomes(gateway, child_care, platform, "in_handling")

    rule = _set_rule(gateway, admin, scope_id=neighbourhood, category="safety", urgency="urgent", route="direct",
                     note="安全急事直接办")
    assert rule.status_code == 200, rule.text
    manual = _set_rule(gateway, admin, scope_id=neighbourhood, category="urgent_child_care", route="manual")
    assert manual.status_code == 200, manual.text
    urgent, ordinary, child_care_now = post_concerns(gateway, [
        submission(neighbourhood, 1, category="safety", urgency="urgent", description="燃气味很重"),
        submission(neighbourhood, 2, category="safety", description="路灯不亮"),
        submission(neighbourhood, 3, category="urgent_child_care", description="托管班下周停办")], platform)
    assert _concern(gateway, urgent, platform)["triage"]["rule_id"] == rule.json()["rule_id"]
    assert _concern(gateway, ordinary, platform)["status"] == "received", "the rule names urgent only"
    assert _concern(gateway, child_care_now, platform)["status"] == "received", "manual here beats the county"

    listed = requests.get(f"{gateway}/api/v1/triage-rules", headers=admin, params={"scope_id": neighbourhood},
                          timeout=10).json()["rules"]
    assert {(r["scope_id"], r["category"], r["route"]) for r in listed} >= {
        ("*", "urgent_child_care", "direct"), (neighbourhood, "safety", "direct"),
        (neighbourhood, "urgent_child_care", "manual")}
    deleted = requests.delete(f"{gateway}/api/v1/triage-rules/{manual.json()['rule_id']}", headers=admin, timeout=10)
    assert deleted.status_code == 204
    after = post_concerns(gateway, [submission(neighbourhood, 4, category="urgent_child_care")], platform)[0]
    assert _concern(gateway, after, platform)["triage"]["route"] == "direct"


def test_rules_and_triage_stay_within_role_and_scope(gateway, neighbourhood, sign_in, credentials, platform):
    n2 = credentials["neighbourhoods"]["N2"]
    secretary = sign_in("n1.secretary")
    assert _set_rule(gateway, secretary, scope_id=n2, category="noise", route="direct").status_code == 404
    assert _set_rule(gateway, secretary, scope_id="*", category="noise", route="direct").status_code == 403
    assert _set_rule(gateway, sign_in("n1.member"), scope_id=credentials["neighbourhoods"]["N1"], category="noise",
                     route="direct").status_code == 403
    (elsewhere,) = post_concerns(gateway, [submission(neighbourhood)], platform)
    assert _triage(gateway, elsewhere, secretary, "direct").status_code == 404, "outside n1.secretary's scope"
    assert _triage(gateway, elsewhere, sign_in("n1.member"), "direct").status_code == 403


def test_rules_shown_above_ones_scope_cannot_be_changed_or_deleted(gateway, credentials, sign_in):
    """N1's table shows the county-wide rules and its community's; its party secretary (and for
    the county-wide ones, a community administrator) may read them but not change them."""
    n1, api = credentials["neighbourhoods"]["N1"], f"{gateway}/api/v1/triage-rules"
    secretary, community_admin = sign_in("n1.secretary"), sign_in("nanmen.admin")
    community = next(a["scope_id"] for a in credentials["accounts"] if a["username"] == "nanmen.admin")
    # Harmless to other tests: manual is what no rule at all would mean for urgent noise.
    above = _set_rule(gateway, community_admin, scope_id=community, category="noise", urgency="urgent",
                      route="manual")
    assert above.status_code == 200, above.text
    try:
        shown = {r["rule_id"] for r in requests.get(api, headers=secretary, params={"scope_id": n1},
                                                    timeout=10).json()["rules"]}
        assert {"default-urgent_child_care", above.json()["rule_id"]} <= shown
        for who, rule_id in [(secretary, "default-urgent_child_care"), (community_admin, "default-urgent_child_care"),
                             (secretary, above.json()["rule_id"])]:
            refused = requests.delete(f"{api}/{rule_id}", headers=who, timeout=10)
            assert refused.status_code == 403, refused.text
        assert _set_rule(gateway, secretary, scope_id=community, category="noise", urgency="urgent",
                         route="direct").status_code == 403
        assert _set_rule(gateway, community_admin, scope_id="*", category="noise", route="direct").status_code == 403
        still = {r["rule_id"]: r["route"] for r in requests.get(api, headers=secretary, params={"scope_id": n1},
                                                                timeout=10).json()["rules"]}
        assert (still["default-urgent_child_care"], still[above.json()["rule_id"]]) == ("direct", "manual")
    finally:
        assert requests.delete(f"{api}/{above.json()['rule_id']}", headers=community_admin,
                               timeout=10).status_code == 204


def test_similar_concerns_are_suggested_and_merged_ones_follow_their_survivor(gateway, pooling_neighbourhood,
                                                                             sign_in, platform):
    admin, place = sign_in("nanmen.admin"), pooling_neighbourhood
    first = requests.post(f"{gateway}/api/v1/concerns", headers=platform, timeout=10, json=submission(
        place, category="blocked_hallway", description="3号楼楼道堆满杂物, 晚上看不见")).json()
    second = requests.post(f"{gateway}/api/v1/concerns", headers=platform, timeout=10, json=submission(
        place, category="blocked_hallway", description="3号楼的楼道堆满了杂物")).json()
    unrelated = requests.post(f"{gateway}/api/v1/concerns", headers=platform, timeout=10, json=submission(
        place, category="blocked_hallway", description="电动车停在单元门口充电")).json()
    assert first["possible_duplicates"] == []
    assert [d["concern_id"] for d in second["possible_duplicates"]] == [first["concern_id"]]
    assert [d["concern_id"] for d in unrelated["possible_duplicates"]] == []
    similar = requests.get(f"{gateway}/api/v1/concerns/{first['concern_id']}/similar", headers=admin,
                           timeout=10).json()
    assert [c["concern_id"] for c in similar["concerns"]] == [second["concern_id"]]

    ids = {first["concern_id"], second["concern_id"], unrelated["concern_id"]}
    wait_for_pool(gateway, place, ids, platform)
    merged = requests.post(f"{gateway}/api/v1/concerns/{first['concern_id']}/merge", headers=admin, timeout=10,
                           json={"concern_ids": [second["concern_id"]], "note": "同一件事"})
    assert merged.status_code == 200, merged.text
    wait_for(lambda: second["concern_id"] not in pool_ids(gateway, place, platform), message="merged one unpooled")
    assert sorted(pool_ids(gateway, place, platform)) == sorted([first["concern_id"], unrelated["concern_id"]])
    # Deliberation's report that the survivor is pooled reaches intake a hop after the pool.
    _status_becomes(gateway, first["concern_id"], platform, "in_deliberation")
    follower = _concern(gateway, second["concern_id"], platform)
    assert follower["merged_into"] == first["concern_id"]
    assert follower["status"] == "in_deliberation", "a merged concern shows its survivor's status"
    assert "merged" in [step["status"] for step in follower["timeline"]]

    refused = [
        requests.post(f"{gateway}/api/v1/concerns/{first['concern_id']}/merge", headers=admin, timeout=10,
                      json={"concern_ids": [second["concern_id"]]}),  # merged already
        requests.post(f"{gateway}/api/v1/concerns/{second['concern_id']}/merge", headers=admin, timeout=10,
                      json={"concern_ids": [unrelated["concern_id"]]}),  # into a merged concern
    ]
    assert [r.status_code for r in refused] == [409, 409]
    assert _triage(gateway, second["concern_id"], admin, "direct").status_code == 409


def test_where_is_my_matter_one_call_for_resident_member_and_platform(system, gateway, credentials, sign_in,
                                                                       platform):
    resident = sign_in("n1.resident")
    n1 = credentials["neighbourhoods"]["N1"]
    created = requests.post(f"{gateway}/api/v1/concerns", headers=resident, timeout=10, json={
        "neighbourhood_id": n1, "channel": "online", "category": "property_management",
        "description": "我家门口的声控灯坏了三天"})
    assert created.status_code == 201, created.text
    concern_id = created.json()["concern_id"]
    assert "possible_duplicates" not in created.json() or created.json()["possible_duplicates"] == []
    # Dispatch and evaluation report progress as they go; here the reports are put on their topics
    # directly, as those services publish them, and intake's timeline follows.
    steps = [(topics.DISPATCH, "in_handling", "dispatch"), (topics.DISPATCH, "resolved", "dispatch"),
             (topics.EVALUATION, "rated", "evaluation")]
    for topic, status, producer in steps:
        event = envelope.seal(ConcernProgressed(concern_id=concern_id, note=f"{status} note",
                                                status=ConcernStatus.Value("CONCERN_STATUS_" + status.upper())),
                              producer=producer, place=envelope.Place(n1), occurred_at=envelope_now())
        produce(system.addresses.broker, topic, [(n1.encode(), event.SerializeToString())])
        produce(system.addresses.broker, topic, [(n1.encode(), event.SerializeToString())])  # redelivered
    # The two topics are consumed independently: wait for every step, not only the last status.
    def every_step(headers) -> dict | None:
        found = _concern(gateway, concern_id, headers)
        steps = [step["status"] for step in found["timeline"]]
        return found if steps == ["received", "in_handling", "resolved", "rated"] else None

    seen = [wait_for(lambda h=headers: every_step(h), timeout_s=30, message=f"{concern_id}'s four steps")
            for headers in (resident, sign_in("n1.member"), platform)]
    assert seen[0]["timeline"] == seen[1]["timeline"] == seen[2]["timeline"]
    assert seen[0]["status"] == "rated"


def test_a_progress_report_with_an_unknown_status_is_dead_lettered(system, gateway, credentials, platform):
    n1 = credentials["neighbourhoods"]["N1"]
    (concern_id,) = post_concerns(gateway, [submission(n1, description="单元门禁坏了")], platform)
    # As a producer still at version 1 (the status as text) would write it.
    event = written_at(1, ConcernProgressedV1(concern_id=concern_id, status="teleported"),
                       "lianyi.events.v1.ConcernProgressed", producer="dispatch", place=envelope.Place(n1),
                       occurred_at=envelope_now())
    produce(system.addresses.broker, topics.DISPATCH, [(n1.encode(), event.SerializeToString())])

    def parked():
        return [r for r in read_topic(system.addresses.broker, topics.dlq(topics.DISPATCH))
                if envelope.decode(r.value).event_id == event.event_id]

    (record,) = wait_for(parked, timeout_s=60, message="the bad report in the DLQ")
    assert dict(record.headers)["lianyi-consumer"] == b"intake"
    assert b"teleported" in dict(record.headers)["lianyi-error"]
    assert _concern(gateway, concern_id, platform)["status"] == "received"


def test_bad_triage_requests_are_clear_problems(gateway, neighbourhood, sign_in, platform):
    admin = sign_in("county.admin")
    (concern_id,) = post_concerns(gateway, [submission(neighbourhood)], platform)
    cases = [
        ("POST", "/concerns/01a2b3c4-0000-7000-8000-000000000000/triage", {"route": "direct"}, 404),
        ("POST", f"/concerns/{concern_id}/merge", {"concern_ids": [concern_id]}, 422),
        ("GET", f"/neighbourhoods/{neighbourhood}/concerns?status=lost", None, 422),
        ("GET", "/triage-rules?scope_id=nowhere", None, 404),
        ("DELETE", "/triage-rules/no-such-rule", None, 404),
        ("DELETE", f"/triage-rules/{'r' * 65}", None, 404),
    ]
    for method, path, body, status in cases:
        response = requests.request(method, f"{gateway}/api/v1{path}", json=body, headers=admin, timeout=10)
        assert response.status_code == status, (method, path, response.text)
        assert response.headers["Content-Type"] == "application/problem+json" and response.json()["detail"]
    assert _concern(gateway, concern_id, platform)["status"] == "received", "nothing changed"


def envelope_now():
    from datetime import datetime
    return datetime.now(UTC)
