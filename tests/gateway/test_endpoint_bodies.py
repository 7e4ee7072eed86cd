"""Each endpoint's body checked against its schema before any service is asked: the directory,
triage and the routing table, sit-down talks, signing in with an access code."""
from __future__ import annotations

import pytest

from services.intake.contract import PASSWORD_MIN_CHARS
from tests.gateway.answers import problem_of, reasons
from tests.gateway.callers import bearer
from tests.gateway.canned import COUNTY, N1, N1_PATH, TALK
from tests.gateway.endpoints import ENDPOINTS

ACCOUNT = ENDPOINTS["create account"][2]

BAD_BODIES = [
    # (case, who, method, path, request arguments, detail)
    ("entity of an unknown kind", "county_admin", "POST", "/api/v1/directory/entities",
     {"json": {"kind": "spaceship", "name": "x"}}, "kind"),
    ("entity with an unknown field", "county_admin", "POST", "/api/v1/directory/entities",
     {"json": {"kind": "county", "name": "x", "colour": "red"}}, "colour"),
    ("import of no rows", "county_admin", "POST", "/api/v1/directory/import", {"json": {"rows": []}}, "rows"),
    ("CSV without the required columns", "county_admin", "POST", "/api/v1/directory/import",
     {"data": b"kind,name\nx,y\n", "content_type": "text/csv"}, "CSV columns"),
    ("CSV that is not UTF-8", "county_admin", "POST", "/api/v1/directory/import",
     {"data": b"\xff\xfe", "content_type": "text/csv"}, "UTF-8"),
    ("triage to an unknown route", "county_admin", "POST", "/api/v1/concerns/concern-0001/triage",
     {"json": {"route": "maybe"}}, "route"),
    ("triage with an unknown field", "county_admin", "POST", "/api/v1/concerns/concern-0001/triage",
     {"json": {"route": "direct", "colour": "red"}}, "colour"),
    ("merging no concerns", "county_admin", "POST", "/api/v1/concerns/concern-0001/merge",
     {"json": {"concern_ids": []}}, "concern_ids"),
    ("merging an empty id", "county_admin", "POST", "/api/v1/concerns/concern-0001/merge",
     {"json": {"concern_ids": [""]}}, "concern_ids.0"),
    # Intake's own rules for a new account (services/intake/contract.py), stated and checked here too.
    ("a password under intake's least length", "county_admin", "POST", "/api/v1/accounts",
     {"json": {**ACCOUNT, "password": "x" * (PASSWORD_MIN_CHARS - 1)}}, "password"),
    ("a username in capitals", "county_admin", "POST", "/api/v1/accounts",
     {"json": {**ACCOUNT, "username": "Resident.X"}}, "username"),
    ("rule with an unknown route", "county_admin", "PUT", "/api/v1/triage-rules",
     {"json": {"scope_id": N1, "category": "noise", "route": "later"}}, "route"),
    ("talk with a negative attendance", "party_secretary", "POST", "/api/v1/talk-sessions",
     {"json": {**TALK, "attendance": -1}}, "attendance"),
]


@pytest.mark.parametrize("case, who, method, path, arguments, detail", BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
def test_a_body_breaking_the_endpoints_schema_is_a_clear_problem_and_writes_nothing(client, fake, case, who, method,
                                                                                     path, arguments, detail):
    scope = (COUNTY,) if who == "county_admin" else N1_PATH
    response = client.open(path, method=method, headers=bearer(who, scope), **arguments)
    explained = reasons(problem_of(response, 422))
    assert any(detail in reason for reason in explained), explained
    assert fake.calls == []


@pytest.mark.parametrize("code", ["", "x" * 41], ids=["empty", "41 characters"])
def test_an_access_code_of_the_wrong_length_is_refused_before_asking_intake(client, fake, code):
    problem_of(client.post("/api/v1/auth/token", json={"access_code": code}), 422)
    assert fake.calls == []
