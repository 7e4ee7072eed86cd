"""A service's refusal reaches the caller as one HTTP status per gRPC status, with the service's
reason; failures behind the gateway are 5xx without their details. (The rules behind each refusal
are the services' own, tested in tests/unit and tests/integration.)"""
from __future__ import annotations

import grpc
import pytest
from google.protobuf import json_format

from tests.gateway.answers import open311_errors, problem_of
from tests.gateway.callers import bearer
from tests.gateway.canned import COUNTY, N1

S = grpc.StatusCode
HTTP_STATUS = {
    S.INVALID_ARGUMENT: 422, S.OUT_OF_RANGE: 422, S.NOT_FOUND: 404, S.ALREADY_EXISTS: 409,
    S.FAILED_PRECONDITION: 409, S.ABORTED: 409, S.UNAUTHENTICATED: 401, S.PERMISSION_DENIED: 403,
    S.RESOURCE_EXHAUSTED: 429, S.UNAVAILABLE: 503, S.DEADLINE_EXCEEDED: 504,
    # Anything else means something broke behind the gateway.
    S.CANCELLED: 502, S.UNKNOWN: 502, S.UNIMPLEMENTED: 502, S.INTERNAL: 502, S.DATA_LOSS: 502,
}
ADMIN = bearer("county_admin", (COUNTY,))
OUTAGES = (S.UNAVAILABLE, S.DEADLINE_EXCEEDED)


@pytest.mark.parametrize("code", HTTP_STATUS, ids=[c.name for c in HTTP_STATUS])
def test_each_grpc_status_becomes_one_http_problem(client, fake, code):
    fake.intake.GetConcern.fails(code, "no concern concern-0001 (the service's own words)")
    response = client.get("/api/v1/concerns/concern-0001", headers=ADMIN)
    problem = problem_of(response, HTTP_STATUS[code])
    if HTTP_STATUS[code] < 500:
        assert problem["detail"] == "no concern concern-0001 (the service's own words)"
    else:
        assert "service's own words" not in response.get_data(as_text=True)
        assert ("try again" in problem["detail"]) == (code in OUTAGES), "only an outage invites a retry"
    assert (response.headers.get("Retry-After") == "1") == (code == S.UNAVAILABLE)


def test_a_refused_sign_in_says_how_to_authenticate(client, fake):
    fake.accounts.Authenticate.fails(S.UNAUTHENTICATED, "wrong username or password")
    response = client.post("/api/v1/auth/token", json={"username": "n1.secretary", "password": "a wrong guess"})
    assert problem_of(response, 401)["detail"] == "wrong username or password"
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")


def _submission(**fields) -> dict:
    return {"neighbourhood_id": N1, "channel": "online", "category": "noise", "description": "夜里楼上有噪音",
            **fields}


# Refusals that once ran end to end; the status and reason are passed on from the service.
REFUSED = [
    # (case, method, path, json body, the RPC, its status and reason, HTTP status, what the RPC was asked)
    ("unknown category (intake's rule)", "POST", "/api/v1/concerns", _submission(category="weather"),
     "intake.SubmitConcern", S.INVALID_ARGUMENT, "category 'weather' is not one of the county's open categories",
     422, lambda r: r.category == "weather"),
    ("photo not over https", "POST", "/api/v1/concerns", _submission(photo_urls=["http://x.example/a.jpg"]),
     "intake.SubmitConcern", S.INVALID_ARGUMENT, "photo URLs must be https:// addresses of at most 500 characters",
     422, lambda r: list(r.photo_urls) == ["http://x.example/a.jpg"]),
    ("unknown concern", "GET", "/api/v1/concerns/01a2b3c4-0000-7000-8000-000000000000", None,
     "intake.GetConcern", S.NOT_FOUND, "no concern 01a2b3c4-0000-7000-8000-000000000000", 404,
     lambda r: r.concern_id == "01a2b3c4-0000-7000-8000-000000000000"),
    ("forged page token of the pool", "GET", f"/api/v1/neighbourhoods/{N1}/pool?page_token=forged", None,
     "deliberation.ListPool", S.INVALID_ARGUMENT, "page_token is not one this service issued", 422,
     lambda r: (r.neighbourhood_id, r.page_token) == (N1, "forged")),
    ("township placed under nothing", "POST", "/api/v1/directory/entities", {"kind": "township", "name": "无县之镇"},
     "directory.CreateEntity", S.INVALID_ARGUMENT, "a township must be placed under a county", 422,
     lambda r: (r.kind, r.parent_id) == ("township", "")),
    ("attribute its kind does not have", "POST", "/api/v1/directory/entities",
     {"kind": "county", "name": "x", "attributes": {"population": "many"}}, "directory.CreateEntity",
     S.INVALID_ARGUMENT, "attributes.population: Extra inputs are not permitted", 422,
     lambda r: json_format.MessageToDict(r.attributes) == {"population": "many"}),
    ("listing within an unknown entity", "GET", "/api/v1/directory/entities?within=no-such-entity", None,
     "directory.ListEntities", S.NOT_FOUND, "no directory entity no-such-entity", 404,
     lambda r: r.within_id == "no-such-entity"),
    ("merging another neighbourhood's concern", "POST", "/api/v1/concerns/concern-0001/merge",
     {"concern_ids": ["concern-n2"]}, "intake.MergeConcerns", S.INVALID_ARGUMENT,
     "concern_ids: no concern concern-n2 in the survivor's neighbourhood", 422,
     lambda r: (r.survivor_id, list(r.concern_ids)) == ("concern-0001", ["concern-n2"])),
    ("forged page token of the triage queue", "GET", f"/api/v1/neighbourhoods/{N1}/concerns?page_token=forged",
     None, "intake.ListConcerns", S.INVALID_ARGUMENT, "page_token is not one this service issued", 422,
     lambda r: r.page_token == "forged"),
    ("rule for a category that is not open", "PUT", "/api/v1/triage-rules",
     {"scope_id": N1, "category": "weather", "route": "direct"}, "intake.SetTriageRule", S.INVALID_ARGUMENT,
     "category 'weather' is not one of the county's open categories, or *", 422,
     lambda r: r.rule.category == "weather"),
    ("coverage ending before it starts", "GET",
     f"/api/v1/neighbourhoods/{N1}/visit-coverage?from=2026-12-31&to=2026-01-01", None, "intake.GetVisitCoverage",
     S.INVALID_ARGUMENT, "from_date must not be after to_date", 422,
     lambda r: (r.from_date, r.to_date) == ("2026-12-31", "2026-01-01")),
    ("forged page token of the audit log", "GET", "/api/v1/audit?page_token=forged", None,
     "audit.intake.ListAuditEntries", S.INVALID_ARGUMENT, "page_token is not one this service issued", 422,
     lambda r: r.page_token == "forged"),
]


@pytest.mark.parametrize("case, method, path, body, rpc, code, reason, status, asked", REFUSED,
                         ids=[c[0] for c in REFUSED])
def test_a_services_refusal_reaches_the_caller_with_its_reason(client, fake, case, method, path, body, rpc, code,
                                                               reason, status, asked):
    method_of_fake = _rpc(fake, rpc).fails(code, reason)
    response = client.open(path, method=method, json=body, headers=ADMIN)
    assert problem_of(response, status)["detail"] == reason
    (call,) = method_of_fake.calls
    assert asked(call.request)
    assert [c.method for c in fake.calls] == [method_of_fake.name], "nothing else was asked"


def test_an_unknown_access_code_is_refused_as_intake_says(client, fake):
    fake.accounts.AuthenticateAccessCode.fails(
        S.UNAUTHENTICATED, "the access code is not valid; ask your building leader for a new one")
    response = client.post("/api/v1/auth/token", json={"access_code": "ABCDE-23456"})
    assert "access code is not valid" in problem_of(response, 401)["detail"]
    (call,) = fake.accounts.AuthenticateAccessCode.calls
    assert call.request.access_code == "ABCDE-23456"


def _rpc(fake, path: str):
    """'intake.SubmitConcern' or 'audit.intake.ListAuditEntries' as the fake's method."""
    *where, method = path.split(".")
    stub = fake.audit[where[1]] if where[0] == "audit" else getattr(fake, where[0])
    return getattr(stub, method)


OPEN311_STATUS = {
    S.INVALID_ARGUMENT: 400, S.OUT_OF_RANGE: 400, S.ALREADY_EXISTS: 400, S.FAILED_PRECONDITION: 400,
    S.ABORTED: 400, S.NOT_FOUND: 404, S.UNAUTHENTICATED: 403, S.PERMISSION_DENIED: 403, S.RESOURCE_EXHAUSTED: 429,
    S.UNIMPLEMENTED: 501, S.UNAVAILABLE: 503, S.DEADLINE_EXCEEDED: 504,
    S.CANCELLED: 502, S.UNKNOWN: 502, S.INTERNAL: 502, S.DATA_LOSS: 502,
}


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("code", OPEN311_STATUS, ids=[c.name for c in OPEN311_STATUS])
def test_each_grpc_status_becomes_one_open311_error_in_the_paths_format(client, fake, platform, code, fmt):
    fake.intake.ListCategories.fails(code, "categories cannot be read (the service's own words)")
    # Read with a key: an anonymous answer carries the rate limiter's Retry-After instead.
    response = client.get(f"/open311/v2/services.{fmt}", headers=platform)
    status = OPEN311_STATUS[code]
    assert response.status_code == status
    ((error_code, description),) = open311_errors(response, fmt)
    assert error_code == status
    if status < 500:
        assert description == "categories cannot be read (the service's own words)"
    else:
        assert "service's own words" not in response.get_data(as_text=True)
        assert ("try again" in description) == (code in OUTAGES), "only an outage invites a retry"
    assert (response.headers.get("Retry-After") == "1") == (code == S.UNAVAILABLE)
