"""The gateway's edges over real HTTP: input only a service can refuse, refused clearly and
harmlessly; health, readiness, metrics on every process. What the gateway refuses by itself, and its
OpenAPI document, are tested in-process in tests/gateway."""
from __future__ import annotations

import functools
import operator

import pytest
import requests

from servicekit.ids import new_id
from services.gateway import heads
from tests.e2e.conftest import pool_ids, post_concerns, submission
from tests.kafka_helpers import wait_for

PROBLEM = "application/problem+json"


PLATFORM: dict = {}


@pytest.fixture(autouse=True)
def _as_the_platform(platform):
    """These edge cases are about input, so every request comes from the county platform."""
    PLATFORM.update(platform)


def _post(gateway, body):
    return requests.post(f"{gateway}/api/v1/concerns", json=body, headers=PLATFORM, timeout=10)


@pytest.mark.parametrize("case, send, status, detail", [
    ("control characters", lambda g, n: _post(g, submission(n, description="楼道\x00堆物")), 422, "control characters"),
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


@pytest.mark.parametrize("path, status", [
    ("/api/v1/neighbourhoods/no-such-neighbourhood/pool", 404),
])
def test_bad_reads_are_clear_problems(gateway, credentials, path, status):
    path = path.replace("{n}", credentials["neighbourhoods"]["N1"])
    response = requests.get(gateway + path, headers=PLATFORM, timeout=10)
    assert response.status_code == status
    assert response.headers["Content-Type"] == PROBLEM
    assert response.json()["detail"]


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
    assert sorted(functools.reduce(operator.iadd, pages, [])) == sorted(ids)


@pytest.mark.parametrize("process, metric", [
    ("intake", "lianyi_outbox_backlog"),
    ("intake", "lianyi_relay_lease_held 1.0"),  # the only replica holds the relay lease
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
    # The gateway's metrics are on a port of their own, summed over its workers by gunicorn's master.
    scraped = system.addresses.gateway_metrics if process == "gateway" else address
    metrics = requests.get(f"http://{scraped}/metrics", timeout=5)
    assert metrics.headers["Content-Type"].startswith("text/plain")
    assert metric in metrics.text


def test_the_public_port_does_not_serve_metrics(gateway, system):
    response = requests.get(f"{gateway}/metrics", timeout=5)
    assert _problem(response, 404)["status"] == 404
    assert "lianyi_" not in response.text
    # While the metrics port counts the request the public port refused.
    scraped = requests.get(f"http://{system.addresses.gateway_metrics}/metrics", timeout=5).text
    assert any('route="(unmatched)"' in line and 'status="404"' in line for line in scraped.splitlines())


def test_categories_are_listed_in_both_languages_for_anyone_signed_in(gateway, sign_in):
    listed = requests.get(f"{gateway}/api/v1/categories", headers=sign_in("n1.resident"), timeout=10).json()
    by_code = {c["code"]: c for c in listed["categories"]}
    assert by_code["blocked_hallway"] == {"code": "blocked_hallway", "name_zh": "楼道堵塞", "name_en": "Blocked hallways"}
    assert len(by_code) == 11


# How large a request's head may be (services/gateway/heads.py): through gunicorn, whose own limits
# (gunicorn_conf.py) sit far above the documented bounds, so what exceeds those is still the
# gateway's problem+json, not gunicorn's HTML.

def test_an_open311_list_of_1000_ids_is_answered_not_refused_as_too_long(gateway, neighbourhood):
    (known,) = post_concerns(gateway, [submission(neighbourhood, description="楼道灯坏了")], PLATFORM)
    ids = [known, *(new_id() for _ in range(999))]
    # requests percent-encodes each ", " as %2C+: ~41 KB, five times gunicorn's default limit.
    response = requests.get(f"{gateway}/open311/v2/requests.json", timeout=30,
                            params={"service_request_id": ", ".join(ids), "jurisdiction_id": "lianyi"})
    assert len(response.request.url) > 40_000
    assert response.status_code == 200, response.text[:300]
    assert [r["service_request_id"] for r in response.json()] == [known]


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text[:300]
    assert response.headers["Content-Type"] == PROBLEM
    return response.json()


def test_a_target_beyond_the_documented_bound_is_a_414_problem(gateway):
    response = requests.get(f"{gateway}/api/v1/concerns/{'a' * heads.MAX_TARGET_BYTES}", headers=PLATFORM,
                            timeout=10)
    assert f"more than {heads.MAX_TARGET_BYTES}" in _problem(response, 414)["detail"]


def test_a_header_beyond_the_documented_bound_is_refused_by_the_http_server(gateway):
    """Header fields' bounds are gunicorn's own (heads.py): it sees each line as sent."""
    oversized = {**PLATFORM, "X-Note": "n" * heads.MAX_HEADER_FIELD_BYTES}
    assert requests.get(f"{gateway}/api/v1/categories", headers=oversized, timeout=10).status_code in (400, 431)
    many = {**PLATFORM, **{f"X-Field-{n}": "v" for n in range(heads.MAX_HEADER_FIELDS)}}
    assert requests.get(f"{gateway}/api/v1/categories", headers=many, timeout=10).status_code in (400, 431)
    split = {**PLATFORM, "Cookie": "a=" + "c" * 4000}
    fits = requests.get(f"{gateway}/api/v1/categories", headers=split, timeout=10)
    assert fits.status_code == 200, "a header within the bound is served"


def test_only_far_beyond_the_bounds_does_gunicorn_refuse_by_itself(gateway):
    """gunicorn's own answer (HTML) is for heads no client of the API sends."""
    response = requests.get(f"{gateway}/api/v1/categories?x={'a' * heads.GUNICORN_REQUEST_LINE_BYTES}", timeout=10)
    assert response.status_code == 414


def test_a_post_only_path_answers_other_methods_with_405_and_allow(gateway):
    """Not taken for a concern id by GET /api/v1/concerns/{concern_id} (services/gateway/routing.py)."""
    response = requests.get(f"{gateway}/api/v1/concerns/online-batches", headers=PLATFORM, timeout=10)
    assert "use POST" in _problem(response, 405)["detail"]
    assert response.headers["Allow"] == "OPTIONS, POST"
