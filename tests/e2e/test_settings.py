"""County settings over the wire: every service's settings at a place, one set, read and cleared
through REST, the routing table as one of them, and who may set what where."""
from __future__ import annotations

import requests

from tests.e2e.conftest import post_concerns, submission

WINDOW = "intake.duplicates.window_days"
ROUTE = "intake.triage.route"


def _settings(gateway, headers, scope_id, key=""):
    path = f"{gateway}/api/v1/settings" + (f"/{key}" if key else "")
    return requests.get(path, headers=headers, params={"scope_id": scope_id}, timeout=10)


def _set(gateway, headers, key, **body):
    return requests.put(f"{gateway}/api/v1/settings/{key}", headers=headers, json=body, timeout=10)


def _clear(gateway, headers, key, **params):
    return requests.delete(f"{gateway}/api/v1/settings/{key}", headers=headers, params=params, timeout=10)


def test_a_setting_is_listed_set_read_and_cleared_at_a_place(gateway, neighbourhood, sign_in):
    admin = sign_in("nanmen.admin")
    listed = _settings(gateway, admin, neighbourhood)
    assert listed.status_code == 200, listed.text
    by_key = {s["key"]: s for s in listed.json()["settings"]}
    vote = {"deliberation.vote.window_days", "deliberation.vote.quorum", "deliberation.vote.threshold"}
    handling = {"dispatch.routing", "dispatch.deadlines", "dispatch.reminder.hours_before", "dispatch.report_in.hours",
                "dispatch.overdue.escalates"}
    evaluating = {"evaluation.rating.period_days", "evaluation.review.grading", "evaluation.annual.weights",
                  "evaluation.annual.tiers"}
    assert set(by_key) == {ROUTE, WINDOW, *vote, *handling, *evaluating}
    assert {(by_key[k]["service"], by_key[k]["effective"]) for k in vote} == {
        ("deliberation", 7), ("deliberation", 0.5)}
    window = by_key[WINDOW]
    assert (window["service"], window["default"], window["effective"], window["effective_from"]) == (
        "intake", 30, 30, None)
    assert window["value_schema"] == {"type": "integer", "minimum": 1, "maximum": 365} and window["values"] == []
    assert window["qualifier"] is None and by_key[ROUTE]["qualifier"]
    assert [v["id"] for v in by_key[ROUTE]["values"]] == ["default-urgent_child_care"]

    kept = _set(gateway, admin, WINDOW, scope_id=neighbourhood, value=3)
    assert kept.status_code == 200, kept.text
    assert (kept.json()["value"], kept.json()["version"], kept.json()["scope_id"]) == (3, 1, neighbourhood)
    read = _settings(gateway, admin, neighbourhood, WINDOW).json()
    assert (read["effective"], read["effective_from"], [v["value"] for v in read["values"]]) == (3, neighbourhood, [3])
    assert _set(gateway, admin, WINDOW, scope_id=neighbourhood, value=5).json()["version"] == 2

    assert _clear(gateway, admin, WINDOW, scope_id=neighbourhood).status_code == 204
    assert _settings(gateway, admin, neighbourhood, WINDOW).json()["effective"] == 30
    again = _clear(gateway, admin, WINDOW, scope_id=neighbourhood)
    assert again.status_code == 404 and again.headers["Content-Type"] == "application/problem+json"


def test_a_routing_rule_set_as_a_setting_triages_on_arrival(gateway, neighbourhood, sign_in, platform):
    admin = sign_in("nanmen.admin")
    kept = _set(gateway, admin, ROUTE, scope_id=neighbourhood, qualifier="safety/urgent",
                value={"route": "direct", "note": "安全急事直接办"})
    assert kept.status_code == 200, kept.text
    (urgent,) = post_concerns(gateway, [submission(neighbourhood, category="safety", urgency="urgent",
                                                   description="燃气味很重")], platform)
    triage = requests.get(f"{gateway}/api/v1/concerns/{urgent}", headers=platform, timeout=10).json()["triage"]
    assert (triage["route"], triage["rule_id"], triage["note"]) == ("direct", kept.json()["id"], "安全急事直接办")
    rules = requests.get(f"{gateway}/api/v1/triage-rules", headers=admin, params={"scope_id": neighbourhood},
                         timeout=10).json()["rules"]
    assert {"rule_id": kept.json()["id"], "scope_id": neighbourhood, "category": "safety", "urgency": "urgent",
            "route": "direct", "note": "安全急事直接办"} in rules
    assert _clear(gateway, admin, ROUTE, scope_id=neighbourhood, qualifier="safety/urgent").status_code == 204
    after = requests.get(f"{gateway}/api/v1/triage-rules", headers=admin, params={"scope_id": neighbourhood},
                         timeout=10).json()["rules"]
    assert kept.json()["id"] not in {r["rule_id"] for r in after}


def test_who_may_set_what_where(gateway, credentials, sign_in):
    n1, n2 = credentials["neighbourhoods"]["N1"], credentials["neighbourhoods"]["N2"]
    community = next(a["scope_id"] for a in credentials["accounts"] if a["username"] == "nanmen.admin")
    secretary, member = sign_in("n1.secretary"), sign_in("n1.member")
    community_admin, county_admin = sign_in("nanmen.admin"), sign_in("county.admin")
    # The default value everywhere: what others read stays the same whoever succeeds.
    cases = [
        (secretary, n1, 200), (secretary, "*", 403), (secretary, community, 403), (secretary, n2, 404),
        (member, n1, 403), (community_admin, community, 200), (community_admin, n1, 200), (community_admin, "*", 403),
        (county_admin, "*", 200),
    ]
    try:
        for who, scope_id, status in cases:
            response = _set(gateway, who, WINDOW, scope_id=scope_id, value=30)
            assert response.status_code == status, (scope_id, response.text)
        assert _clear(gateway, secretary, WINDOW, scope_id="*").status_code == 403
        assert _clear(gateway, secretary, WINDOW, scope_id=community).status_code == 403
        assert _settings(gateway, secretary, n2).status_code == 404
        shown = _settings(gateway, secretary, n1, WINDOW).json()
        assert [v["scope_id"] for v in shown["values"]] == ["*", community, n1], "set above it, shown, widest first"
    finally:
        for scope_id in ("*", community, n1):
            _clear(gateway, county_admin, WINDOW, scope_id=scope_id)


def test_bad_settings_requests_are_clear_problems(gateway, neighbourhood, sign_in):
    admin = sign_in("county.admin")
    api = f"{gateway}/api/v1/settings"
    cases = [
        ("GET", api, None, 422),  # no scope_id
        ("GET", f"{api}?scope_id=nowhere", None, 404),
        ("GET", f"{api}/payroll.rate?scope_id=*", None, 404),
        ("GET", f"{api}/intake.nothing?scope_id=*", None, 404),
        ("PUT", f"{api}/{WINDOW}", {"scope_id": neighbourhood, "value": "7"}, 422),
        ("PUT", f"{api}/{WINDOW}", {"scope_id": neighbourhood, "value": 0}, 422),
        ("PUT", f"{api}/{WINDOW}", {"scope_id": neighbourhood}, 422),
        ("PUT", f"{api}/{WINDOW}", {"scope_id": neighbourhood, "value": 7, "colour": "red"}, 422),
        ("PUT", f"{api}/{WINDOW}", {"scope_id": neighbourhood, "qualifier": "noise", "value": 7}, 422),
        ("PUT", f"{api}/{ROUTE}", {"scope_id": neighbourhood, "qualifier": "weather", "value": {"route": "direct"}},
         422),
        ("PUT", f"{api}/{ROUTE}", {"scope_id": neighbourhood, "qualifier": "noise", "value": {"route": "later"}}, 422),
        ("DELETE", f"{api}/{WINDOW}", None, 422),  # no scope_id
    ]
    for method, url, body, status in cases:
        response = requests.request(method, url, json=body, headers=admin, timeout=10)
        assert response.status_code == status, (method, url, response.text)
        assert response.headers["Content-Type"] == "application/problem+json" and response.json()["detail"]
    assert _settings(gateway, admin, neighbourhood, WINDOW).json()["values"] == [], "nothing changed"
