"""Submitting a concern with a body the gateway refuses by itself: a clear problem, and nothing
reaches a service."""
from __future__ import annotations

import json

import pytest

from tests.gateway.answers import problem_of, reasons
from tests.gateway.canned import N1
from tests.gateway.conftest import MAX_BODY_BYTES

CONCERNS = "/api/v1/concerns"


def _submission(**fields) -> str:
    body = {"neighbourhood_id": N1, "channel": "online", "category": "noise", "description": "夜里楼上有噪音"}
    return json.dumps({**body, **fields})


BAD_SUBMISSIONS = [
    ("malformed JSON", '{"neighbourhood_id": ', "application/json", 400, "malformed JSON"),
    ("not an object", "[1, 2]", "application/json", 422, "JSON object"),
    ("missing fields", f'{{"neighbourhood_id": "{N1}"}}', "application/json", 422, "description: Field required"),
    ("unknown field", _submission(mood="angry"), "application/json", 422, "mood: Extra inputs are not permitted"),
    ("wrong type", _submission(description=42), "application/json", 422,
     "description: Input should be a valid string"),
    ("unknown channel", _submission(channel="fax"), "application/json", 422, "channel: Input should be"),
    ("oversized body", '{"description": "' + "噪" * (MAX_BODY_BYTES // 3 + 1) + '"}', "application/json", 413,
     "larger than"),
    ("form instead of JSON", "a=1", "application/x-www-form-urlencoded", 415, "application/json"),
    ("JSON nested too deeply", "[" * 20000, "application/json", 400, "nested too deeply"),
    ("unpaired surrogate", '{"description": "\\ud800"}', "application/json", 400, "surrogate"),
    ("latitude off the globe", _submission(location={"latitude": 200, "longitude": 0}), "application/json", 422,
     "location.latitude"),
    ("unknown urgency", _submission(urgency="yesterday"), "application/json", 422, "urgency"),
]


@pytest.mark.parametrize("case, data, content_type, status, detail", BAD_SUBMISSIONS,
                         ids=[c[0] for c in BAD_SUBMISSIONS])
def test_a_bad_submission_is_a_clear_problem_and_reaches_no_service(client, fake, platform, case, data, content_type,
                                                                   status, detail):
    response = client.post(CONCERNS, data=data.encode(), headers={"Content-Type": content_type, **platform})
    problem = problem_of(response, status)
    assert any(detail in reason for reason in reasons(problem)), reasons(problem)
    assert fake.writes() == []


def test_schema_errors_name_each_field_without_echoing_values(client, fake, platform):
    response = client.post(CONCERNS, data=_submission(channel="fax", reporter={"phone": 13812345678}),
                           headers={"Content-Type": "application/json", **platform})
    problem = problem_of(response, 422)
    assert {e["field"] for e in problem["errors"]} == {"channel", "reporter.phone"}
    assert "13812345678" not in response.get_data(as_text=True)
    assert fake.writes() == []


def test_a_wrong_method_is_a_problem_too(client, platform):
    problem_of(client.delete(CONCERNS, headers=platform), 405)


def test_a_wrong_method_says_which_methods_are_allowed(client, platform):
    response = client.delete(CONCERNS, headers=platform)
    assert set(response.headers.get("Allow", "").replace(" ", "").split(",")) >= {"POST"}


def test_an_unknown_path_is_a_problem_too(client, platform):
    problem_of(client.get("/api/v1/nothing-here", headers=platform), 404)
