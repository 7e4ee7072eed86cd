"""Values no service can carry, refused at the edge: a moment outside the services' years once in
UTC, an integer beyond int64, free JSON with a non-finite number, an integer a double cannot hold,
or nesting protobuf cannot decode. Each is a 422 naming the field, and no service is asked (a 5xx
"try again" for bad input would invite a client to retry it forever)."""
from __future__ import annotations

import json

import grpc
import pytest

from lianyi.audit.v1 import audit_service_pb2
from tests.gateway.answers import problem_of
from tests.gateway.callers import bearer
from tests.gateway.canned import COUNTY, N1
from tests.gateway.endpoints import WINDOW

ADMIN = bearer("county_admin", (COUNTY,))


def _nested(levels: int) -> dict:
    value: object = "深"
    for _ in range(levels):
        value = {"inner": value}
    return value  # type: ignore[return-value]


DEEP = json.dumps(_nested(35))
ENTITY = "/api/v1/directory/entities"

UNFIT = [
    # (case, method, path, JSON text of the body, the field named)
    ("audit until past year 9999 in UTC", "GET", "/api/v1/audit?until=9999-12-31T23:00:00-05:00", None, "until"),
    ("audit since past year 9999 in UTC", "GET", "/api/v1/audit?since=9999-12-31T23:59:59-14:00", None, "since"),
    ("audit since before year 1 in UTC", "GET", "/api/v1/audit?since=0001-01-01T00:00:00%2B14:00", None, "since"),
    ("audit since before 1900", "GET", "/api/v1/audit?since=1899-12-31T00:00:00Z", None, "since"),
    ("expected_version beyond int64", "PATCH", f"{ENTITY}/{N1}", '{"expected_version": 9223372036854775808}',
     "expected_version"),
    ("created attributes holding NaN", "POST", ENTITY, '{"kind": "county", "name": "x", "attributes": {"code": NaN}}',
     "attributes"),
    ("created attributes holding 1e400", "POST", ENTITY,
     '{"kind": "county", "name": "x", "attributes": {"code": 1e400}}', "attributes"),
    ("created attributes nested 35 deep", "POST", ENTITY, f'{{"kind": "county", "name": "x", "attributes": {DEEP}}}',
     "attributes"),
    ("updated attributes holding -Infinity", "PATCH", f"{ENTITY}/{N1}", '{"attributes": {"code": -Infinity}}',
     "attributes"),
    ("updated attributes nested 35 deep", "PATCH", f"{ENTITY}/{N1}", f'{{"attributes": {DEEP}}}', "attributes"),
    ("updated attributes with an integer a double cannot hold", "PATCH", f"{ENTITY}/{N1}",
     '{"attributes": {"code": 9007199254740993}}', "attributes"),
    ("imported attributes holding NaN", "POST", "/api/v1/directory/import",
     '{"rows": [{"kind": "venue", "external_id": "V-1", "attributes": {"address": NaN}}]}', "rows.0.attributes"),
    ("imported attributes nested 35 deep", "POST", "/api/v1/directory/import",
     f'{{"rows": [{{"kind": "venue", "external_id": "V-1", "attributes": {DEEP}}}]}}', "rows.0.attributes"),
    ("setting value NaN", "PUT", f"/api/v1/settings/{WINDOW}", f'{{"scope_id": "{N1}", "value": NaN}}', "value"),
    ("setting value 1e400", "PUT", f"/api/v1/settings/{WINDOW}", f'{{"scope_id": "{N1}", "value": 1e400}}', "value"),
    ("setting value nested 35 deep", "PUT", f"/api/v1/settings/{WINDOW}", f'{{"scope_id": "{N1}", "value": {DEEP}}}',
     "value"),
    ("setting value an integer a double cannot hold", "PUT", f"/api/v1/settings/{WINDOW}",
     f'{{"scope_id": "{N1}", "value": 99999999999999999999999999}}', "value"),
    ("latitude NaN", "POST", "/api/v1/concerns", json.dumps({
        "neighbourhood_id": N1, "channel": "online", "category": "noise", "description": "夜里楼上有噪音",
        "location": {"latitude": "@"}}).replace('"@"', "NaN"), "location.latitude"),
]


@pytest.mark.parametrize("case, method, path, body, field", UNFIT, ids=[c[0] for c in UNFIT])
def test_a_value_no_service_can_carry_is_refused_naming_its_field(client, fake, case, method, path, body, field):
    response = client.open(path, method=method, data=body, content_type="application/json", headers=ADMIN)
    problem = problem_of(response, 422)
    assert field in {error["field"] for error in problem["errors"]}, problem
    assert fake.calls == []


def test_nested_attributes_within_the_bound_still_reach_the_directory(client, fake):
    fake.directory.CreateEntity.fails(grpc.StatusCode.INVALID_ARGUMENT, "attributes.inner: Extra inputs are not permitted")
    response = client.post(ENTITY, json={"kind": "county", "name": "x", "attributes": _nested(9)}, headers=ADMIN)
    problem_of(response, 422)
    assert [call.method for call in fake.calls] == ["CreateEntity"]


def test_an_audit_bound_within_the_years_reaches_the_audit_log(client, fake):
    fake.audit["intake"].ListAuditEntries.returns(audit_service_pb2.ListAuditEntriesResponse())
    response = client.get("/api/v1/audit?since=1900-01-01T08:00:00%2B08:00&until=9998-12-31T23:59:59Z",
                          headers=ADMIN)
    assert response.status_code == 200, response.get_data(as_text=True)
    (call,) = fake.audit["intake"].ListAuditEntries.calls
    assert call.request.since.ToJsonString() == "1900-01-01T00:00:00Z"


def test_a_body_refuses_numbers_that_are_not_finite_even_where_no_bound_would():
    """StrictBody's own rule, on a field with no range (every float field today has one, so the
    rule guards the next)."""
    import pydantic

    from services.gateway.bounds import StrictBody

    class Reading(StrictBody):
        value: float

    assert Reading.model_validate({"value": 1.5}).value == 1.5
    for unfit in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(pydantic.ValidationError, match="finite"):
            Reading.model_validate({"value": unfit})


def test_an_account_for_the_integration_role_is_refused_before_any_service_is_asked(client, fake):
    """An integration signs in with an API key: an account with its role could never sign in."""
    response = client.post("/api/v1/accounts", headers=ADMIN, json={
        "username": "platform.x", "password": "a long enough password", "role": "integration", "scope_id": N1})
    assert [e["field"] for e in problem_of(response, 422)["errors"]] == ["role"]
    assert fake.calls == []
