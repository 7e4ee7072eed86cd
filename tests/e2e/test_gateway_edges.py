"""The gateway's edges over real HTTP: bad input refused clearly and harmlessly; health, readiness,
metrics on every process; an OpenAPI document that is valid and complete."""
from __future__ import annotations

import pytest
import requests
from openapi_spec_validator import validate

from tests.e2e.conftest import pool_ids, post_concerns, submission
from tests.kafka_helpers import wait_for

PROBLEM = "application/problem+json"


PLATFORM: dict = {}


@pytest.fixture(autouse=True)
def _as_the_platform(platform):
    """These edge cases are about input, so every request comes from the county platform."""
    PLATFORM.update(platform)


def _post_raw(gateway, data, content_type="application/json"):
    return requests.post(f"{gateway}/api/v1/concerns", data=data, timeout=10,
                         headers={"Content-Type": content_type, **PLATFORM})


def _post(gateway, body):
    return requests.post(f"{gateway}/api/v1/concerns", json=body, headers=PLATFORM, timeout=10)


@pytest.mark.parametrize("case, send, status, detail", [
    ("malformed JSON", lambda g, n: _post_raw(g, '{"neighbourhood_id": '), 400, "malformed JSON"),
    ("not an object", lambda g, n: _post_raw(g, "[1, 2]"), 422, "JSON object"),
    ("missing fields", lambda g, n: _post_raw(g, f'{{"neighbourhood_id": "{n}"}}'), 422,
     "description: Field required"),
    ("unknown field", lambda g, n: _post(g, submission(n, mood="angry")), 422,
     "mood: Extra inputs are not permitted"),
    ("wrong type", lambda g, n: _post(g, submission(n, description=42)), 422,
     "description: Input should be a valid string"),
    ("unknown channel", lambda g, n: _post(g, submission(n, channel="fax")), 422,
     "channel: Input should be"),
    ("unknown category (intake's rule)",
     lambda g, n: _post(g, submission(n, category="weather")), 422,
     "category 'weather'"),
    ("oversized body", lambda g, n: _post_raw(g, '{"description": "' + "噪" * 40_000 + '"}'), 413, "larger than"),
    ("form instead of JSON", lambda g, n: _post_raw(g, "a=1", "application/x-www-form-urlencoded"), 415,
     "application/json"),
    ("JSON nested too deeply", lambda g, n: _post_raw(g, "[" * 20000), 400, "nested too deeply"),
    ("unpaired surrogate", lambda g, n: _post_raw(g, '{"description": "\\ud800"}'), 400, "surrogate"),
    ("control characters", lambda g, n: _post(g, submission(n, description="楼道\x00堆物")), 422, "control characters"),
    ("latitude off the globe", lambda g, n: _post(g, submission(n, location={"latitude": 200, "longitude": 0})), 422,
     "location.latitude"),
    ("photo not over https", lambda g, n: _post(g, submission(n, photo_urls=["http://x.example/a.jpg"])), 422,
     "https://"),
    ("unknown urgency", lambda g, n: _post(g, submission(n, urgency="yesterday")), 422, "urgency"),
])
def test_bad_submission_is_a_clear_problem_and_creates_nothing(gateway, pooling_neighbourhood, case, send, status,
                                                                detail):
    response = send(gateway, pooling_neighbourhood)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == status
    reasons = [problem["detail"], *(f"{e['field']}: {e['message']}" for e in problem.get("errors", []))]
    assert any(detail in reason for reason in reasons), reasons
    assert problem["title"] and problem["correlation_id"]
    # The pool fills asynchronously: once a concern sent afterwards has arrived, anything the bad
    # request had wrongly created would have arrived before it.
    (sentinel,) = post_concerns(gateway, [submission(pooling_neighbourhood, 1)], PLATFORM)
    wait_for(lambda: sentinel in pool_ids(gateway, pooling_neighbourhood, PLATFORM), message="the sentinel pooled")
    assert pool_ids(gateway, pooling_neighbourhood, PLATFORM) == [sentinel]


def test_schema_errors_name_each_field_without_echoing_values(gateway, neighbourhood):
    response = _post(gateway, submission(neighbourhood, channel="fax", reporter={"phone": 13812345678}))
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"channel", "reporter.phone"}
    assert "13812345678" not in response.text


@pytest.mark.parametrize("path, status", [
    ("/api/v1/concerns/01a2b3c4-0000-7000-8000-000000000000", 404),
    ("/api/v1/neighbourhoods/no-such-neighbourhood/pool", 404),
    ("/api/v1/neighbourhoods/{n}/pool?page_token=forged", 422),
    ("/api/v1/neighbourhoods/{n}/pool?page_size=0", 422),
    ("/api/v1/neighbourhoods/{n}/pool?page_size=ten", 422),
    ("/api/v1/neighbourhoods/{n}/pool?colour=blue", 422),
    ("/api/v1/neighbourhoods/{n}/pool?page_size=--5", 422),
    ("/api/v1/neighbourhoods/{n}/pool?page_size=%C2%B2", 422),
    ("/api/v1/nothing-here", 404),
])
def test_bad_reads_are_clear_problems(gateway, credentials, path, status):
    path = path.replace("{n}", credentials["neighbourhoods"]["N1"])
    response = requests.get(gateway + path, headers=PLATFORM, timeout=10)
    assert response.status_code == status
    assert response.headers["Content-Type"] == PROBLEM
    assert response.json()["detail"]


def test_wrong_method_is_a_problem_too(gateway):
    response = requests.delete(f"{gateway}/api/v1/concerns", headers=PLATFORM, timeout=10)
    assert response.status_code == 405
    assert response.headers["Content-Type"] == PROBLEM


def test_pool_pages_follow_their_tokens(gateway, pooling_neighbourhood):
    ids = post_concerns(gateway, [submission(pooling_neighbourhood, n) for n in range(5)], PLATFORM)
    wait_for(lambda: len(pool_ids(gateway, pooling_neighbourhood, PLATFORM)) == 5, message="5 pooled")
    url = f"{gateway}/api/v1/neighbourhoods/{pooling_neighbourhood}/pool"
    pages, token = [], None
    while True:
        params = {"page_size": 2, **({"page_token": token} if token else {})}
        page = requests.get(url, params=params, headers=PLATFORM, timeout=10).json()
        pages.append([e["concern_id"] for e in page["entries"]])
        token = page["next_page_token"]
        if not token:
            break
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sorted(sum(pages, [])) == sorted(ids)


@pytest.mark.parametrize("process, metric", [
    ("intake", "lianyi_outbox_backlog"),
    ("intake", "lianyi_events_published_total"),
    ("deliberation", "lianyi_events_consumed_total"),
    ("dispatch", "lianyi_consumer_errors_total"),
    ("evaluation", "lianyi_event_lag_seconds"),
    ("deliberation", "lianyi_rpc_duration_seconds"),
    ("gateway", "lianyi_http_request_duration_seconds"),
])
def test_every_process_serves_health_readiness_and_metrics(system, process, metric):
    address = system.addresses.gateway if process == "gateway" else system.addresses.http[process]
    assert requests.get(f"http://{address}/healthz", timeout=5).status_code == 200
    assert requests.get(f"http://{address}/readyz", timeout=5).status_code == 200
    metrics = requests.get(f"http://{address}/metrics", timeout=5)
    assert metrics.headers["Content-Type"].startswith("text/plain")
    assert metric in metrics.text


def test_openapi_document_is_valid_and_describes_every_api_route(gateway):
    document = requests.get(f"{gateway}/openapi.json", timeout=10).json()
    validate(document)
    assert set(document["paths"]) == {
        "/api/v1/concerns", "/api/v1/concerns/{concern_id}", "/api/v1/neighbourhoods/{neighbourhood_id}/pool",
        "/api/v1/directory/entities", "/api/v1/directory/entities/{entity_id}", "/api/v1/directory/import",
        "/api/v1/auth/token", "/api/v1/audit", "/api/v1/accounts", "/api/v1/api-keys", "/api/v1/api-keys/{key_id}",
        "/api/v1/access-codes", "/api/v1/categories",
        "/api/v1/concerns/online-batches", "/api/v1/visits", "/api/v1/neighbourhoods/{neighbourhood_id}/visit-coverage",
        "/api/v1/talk-sessions", "/api/v1/neighbourhoods/{neighbourhood_id}/talk-sessions",
        "/api/v1/concerns/{concern_id}/triage", "/api/v1/concerns/{concern_id}/merge",
        "/api/v1/concerns/{concern_id}/similar", "/api/v1/neighbourhoods/{neighbourhood_id}/concerns",
        "/api/v1/triage-rules", "/api/v1/triage-rules/{rule_id}", "/api/v1/settings", "/api/v1/settings/{key}"}
    submission_schema = document["components"]["schemas"]["ConcernSubmission"]
    assert submission_schema["additionalProperties"] is False


def test_categories_are_listed_in_both_languages_for_anyone_signed_in(gateway, sign_in):
    listed = requests.get(f"{gateway}/api/v1/categories", headers=sign_in("n1.resident"), timeout=10).json()
    by_code = {c["code"]: c for c in listed["categories"]}
    assert by_code["blocked_hallway"] == {"code": "blocked_hallway", "name_zh": "楼道堵塞", "name_en": "Blocked hallways"}
    assert len(by_code) == 11
    assert requests.get(f"{gateway}/api/v1/categories", timeout=10).status_code == 401
