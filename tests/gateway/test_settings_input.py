"""County settings asked with input the gateway refuses by itself: a body or query string that
breaks its schema, or a key no service owns, is a problem that names what is wrong, and no
service is asked. (Values of the wrong type for their setting are the owning service's to refuse:
test_settings_routes.py.)"""
from __future__ import annotations

import json

import pytest

from tests.gateway.answers import problem_of, reasons
from tests.gateway.callers import bearer
from tests.gateway.canned import COUNTY, N1
from tests.gateway.conftest import MAX_BODY_BYTES
from tests.gateway.endpoints import WINDOW

SETTINGS = "/api/v1/settings"
ADMIN = bearer("county_admin", (COUNTY,))
TOO_LONG_ID = "n" * 65  # directory ids are at most 64 characters


def _body(**fields) -> str:
    return json.dumps({"scope_id": N1, "value": 7, **fields})


BAD_PUTS = [
    # (case, key, body, content type, status, what the problem says)
    ("malformed JSON", WINDOW, '{"scope_id": ', "application/json", 400, "malformed JSON"),
    ("not an object", WINDOW, "[7]", "application/json", 422, "the body must be a JSON object"),
    ("form instead of JSON", WINDOW, "scope_id=x&value=7", "application/x-www-form-urlencoded", 415,
     "send the body as application/json"),
    ("no value", WINDOW, json.dumps({"scope_id": N1}), "application/json", 422, "value: Field required"),
    ("no scope_id", WINDOW, json.dumps({"value": 7}), "application/json", 422, "scope_id: Field required"),
    ("unknown field", WINDOW, _body(colour="red"), "application/json", 422, "colour: Extra inputs are not permitted"),
    ("scope_id a number", WINDOW, _body(scope_id=1), "application/json", 422,
     "scope_id: Input should be a valid string"),
    ("empty scope_id", WINDOW, _body(scope_id=""), "application/json", 422,
     "scope_id: String should have at least 1 character"),
    ("scope_id too long", WINDOW, _body(scope_id=TOO_LONG_ID), "application/json", 422,
     "scope_id: String should have at most 64 characters"),
    ("qualifier null", WINDOW, _body(qualifier=None), "application/json", 422,
     "qualifier: Input should be a valid string"),
    ("qualifier too long", WINDOW, _body(qualifier="q" * 101), "application/json", 422,
     "qualifier: String should have at most 100 characters"),
    ("value with an unpaired surrogate", WINDOW, '{"scope_id": "n", "value": "\\ud800"}', "application/json", 400,
     "unpaired surrogate"),
    ("oversized value", WINDOW, _body(value="噪" * (MAX_BODY_BYTES // 3 + 1)), "application/json", 413,
     f"larger than {MAX_BODY_BYTES} bytes"),
    ("key of no service", "payroll.rate", _body(), "application/json", 404, "no setting 'payroll.rate'"),
    ("key without its service", "window_days", _body(), "application/json", 404, "starts with the service"),
]


@pytest.mark.parametrize("case, key, data, content_type, status, says", BAD_PUTS, ids=[c[0] for c in BAD_PUTS])
def test_a_bad_setting_is_a_clear_problem_and_asks_no_service(client, fake, case, key, data, content_type, status,
                                                             says):
    response = client.put(f"{SETTINGS}/{key}", data=data.encode("utf-8", "surrogatepass"),
                          headers={"Content-Type": content_type, **ADMIN})
    explained = reasons(problem_of(response, status))
    assert any(says in reason for reason in explained), explained
    assert fake.calls == []


BAD_QUERIES = [
    # (case, method, path, status, what the problem says)
    ("list without scope_id", "GET", SETTINGS, 422, "scope_id: Field required"),
    ("list with an empty scope_id", "GET", f"{SETTINGS}?scope_id=", 422,
     "scope_id: String should have at least 1 character"),
    ("list with scope_id too long", "GET", f"{SETTINGS}?scope_id={TOO_LONG_ID}", 422,
     "scope_id: String should have at most 64 characters"),
    ("list with an unknown parameter", "GET", f"{SETTINGS}?scope_id={N1}&key={WINDOW}", 422,
     "key: Extra inputs are not permitted"),
    ("read without scope_id", "GET", f"{SETTINGS}/{WINDOW}", 422, "scope_id: Field required"),
    ("read a key of no service", "GET", f"{SETTINGS}/payroll.rate?scope_id={N1}", 404, "no setting 'payroll.rate'"),
    ("clear without scope_id", "DELETE", f"{SETTINGS}/{WINDOW}", 422, "scope_id: Field required"),
    ("clear with a qualifier too long", "DELETE", f"{SETTINGS}/{WINDOW}?scope_id={N1}&qualifier={'q' * 101}", 422,
     "qualifier: String should have at most 100 characters"),
    ("clear with an unknown parameter", "DELETE", f"{SETTINGS}/{WINDOW}?scope_id={N1}&value=7", 422,
     "value: Extra inputs are not permitted"),
    ("clear a key of no service", "DELETE", f"{SETTINGS}/payroll.rate?scope_id={N1}", 404,
     "no setting 'payroll.rate'"),
]


@pytest.mark.parametrize("case, method, path, status, says", BAD_QUERIES, ids=[c[0] for c in BAD_QUERIES])
def test_a_bad_settings_query_is_a_clear_problem_and_asks_no_service(client, fake, case, method, path, status, says):
    explained = reasons(problem_of(client.open(path, method=method, headers=ADMIN), status))
    assert any(says in reason for reason in explained), explained
    assert fake.calls == []
