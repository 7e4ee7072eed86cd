"""County settings as the gateway serves them: the list asks every service at once and says which
owns each setting, one setting is asked only of the service its key names, and a value reaches
that service as the JSON it was sent, the service judging it. (The settings' own rules, and who may
set what where, are the services': tests/e2e/test_settings.py.)"""
from __future__ import annotations

import json

import grpc
import pytest

from lianyi.settings.v1 import settings_pb2 as pb
from tests.gateway.answers import problem_of
from tests.gateway.callers import bearer
from tests.gateway.canned import COMMUNITY, COUNTY, N1, setting, setting_value
from tests.gateway.endpoints import WINDOW

SERVICES = ("intake", "deliberation", "dispatch", "evaluation")
SECRETARY = bearer("party_secretary")


def test_the_list_asks_every_service_and_says_which_owns_each_setting(client, fake):
    window = setting(WINDOW, setting_value(WINDOW, "*", "60"), setting_value(WINDOW, COMMUNITY, "14"))
    answers = {"intake": [window], "dispatch": [setting("dispatch.rectification.deadline_days")]}
    for service in SERVICES:
        fake.settings[service].ListSettings.returns(pb.ListSettingsResponse(settings=answers.get(service, [])))
    response = client.get("/api/v1/settings", query_string={"scope_id": N1}, headers=SECRETARY)
    assert response.status_code == 200, response.get_data(as_text=True)
    listed = response.get_json()
    assert listed["scope_id"] == N1
    assert [(s["key"], s["service"]) for s in listed["settings"]] == [
        (WINDOW, "intake"), ("dispatch.rectification.deadline_days", "dispatch")]
    first, second = listed["settings"]
    # The services' JSON text becomes JSON, and what is unset is null rather than "".
    assert (first["value_schema"]["maximum"], first["default"], first["effective"], first["effective_from"]) == (
        365, 30, 14, COMMUNITY)
    assert [(v["scope_id"], v["value"], v["updated_at"]) for v in first["values"]] == [
        ("*", 60, "2026-11-02T08:30:00Z"), (COMMUNITY, 14, "2026-11-02T08:30:00Z")]
    assert (second["effective"], second["effective_from"], second["qualifier"], second["values"]) == (30, None, None, [])
    assert sorted((c.service, c.request.scope_id, c.request.key) for c in fake.calls) == [
        (f"SettingsService@{service}", N1, "") for service in sorted(SERVICES)]


@pytest.mark.parametrize("code, status, detail", [
    (grpc.StatusCode.NOT_FOUND, 404, "no directory entity neighbourhood-0001"),
    (grpc.StatusCode.UNAVAILABLE, 503, "a service behind the gateway is unavailable; try again shortly"),
], ids=["NOT_FOUND", "UNAVAILABLE"])
def test_one_services_refusal_answers_the_list_every_service_having_been_asked(client, fake, code, status, detail):
    for service in SERVICES:
        fake.settings[service].ListSettings.returns(pb.ListSettingsResponse(settings=[setting(f"{service}.x")]))
    fake.settings["dispatch"].ListSettings.fails(code, "no directory entity neighbourhood-0001")
    response = client.get("/api/v1/settings", query_string={"scope_id": N1}, headers=SECRETARY)
    assert problem_of(response, status)["detail"] == detail
    # Asked at once: a refusal read from one answer did not keep the others from being asked.
    assert len(fake.calls) == len(SERVICES)


def _answer(rpc: str):
    """Each RPC's answer, made from what it was asked."""
    return {"ListSettings": lambda r: pb.ListSettingsResponse(settings=[setting(r.key)]),
            "SetSetting": lambda r: setting_value(r.key, r.scope_id, r.value_json, r.qualifier),
            "ClearSetting": lambda r: pb.ClearSettingResponse()}[rpc]


ONE_SETTING = [
    # (method, path after /api/v1/settings/<key>, JSON body, the RPC, its status)
    ("GET", f"?scope_id={N1}", None, "ListSettings", 200),
    ("PUT", "", {"scope_id": N1, "qualifier": "noise/urgent", "value": 3}, "SetSetting", 200),
    ("DELETE", f"?scope_id={N1}&qualifier=noise/urgent", None, "ClearSetting", 204),
]


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("method, rest, body, rpc, status", ONE_SETTING, ids=[c[0] for c in ONE_SETTING])
def test_one_setting_is_asked_of_the_service_its_key_names_and_no_other(client, fake, service, method, rest, body,
                                                                       rpc, status):
    key = f"{service}.window_days"
    getattr(fake.settings[service], rpc).returns(_answer(rpc))
    response = client.open(f"/api/v1/settings/{key}{rest}", method=method, json=body,
                           headers=bearer("county_admin", (COUNTY,)))
    assert response.status_code == status, response.get_data(as_text=True)
    (call,) = fake.calls
    assert (call.service, call.method, call.request.key, call.request.scope_id) == (
        f"SettingsService@{service}", rpc, key, N1)
    if method != "GET":
        assert call.request.qualifier == "noise/urgent"


@pytest.mark.parametrize("value", ["7", 7.5, None, {"route": "direct", "note": "安全急事直接办"}, [1, [2, {}]]],
                         ids=["text", "fraction", "null", "object", "nested list"])
def test_a_value_reaches_its_service_as_sent_and_the_service_judges_it(client, fake, value):
    # Each value's type is the owning service's to check (its schema travels in value_schema).
    fake.settings["intake"].SetSetting.fails(grpc.StatusCode.INVALID_ARGUMENT, "value: Input should be a valid integer")
    response = client.put(f"/api/v1/settings/{WINDOW}", json={"scope_id": N1, "value": value},
                          headers=bearer("county_admin", (COUNTY,)))
    assert problem_of(response, 422)["detail"] == "value: Input should be a valid integer"
    (call,) = fake.calls
    assert json.loads(call.request.value_json) == value and "\\u" not in call.request.value_json
