"""The three rates as the gateway serves them: the subject and period sent to GetRates as asked,
the answer as JSON (what proto3 leaves unset as null) or as CSV (format=csv, or Accept: text/csv
preferred to JSON), and requests that cannot be one 422 naming the field, before any call."""
from __future__ import annotations

import csv
import io

import grpc
import pytest

from lianyi.evaluation.v1 import evaluation_service_pb2 as pb
from tests.gateway.answers import problem_of
from tests.gateway.callers import bearer
from tests.gateway.canned import N1

ADMIN = bearer("county_admin")
FULL = pb.Rates(place_id=N1, period="2026-Q4", tasks=5, responded=4, resolved=4, satisfied=2, basically_satisfied=1,
                unsatisfied=1, unrated=1, response_rate=0.8, resolution_rate=0.8, satisfaction_rate=0.75,
                median_hours_to_resolve=2, p90_hours_to_resolve=31)
FULL_JSON = {"place_id": N1, "member_id": None, "department_id": None, "period": "2026-Q4", "tasks": 5,
             "responded": 4, "resolved": 4, "satisfied": 2, "basically_satisfied": 1, "unsatisfied": 1, "unrated": 1,
             "response_rate": 0.8, "resolution_rate": 0.8, "satisfaction_rate": 0.75, "median_hours_to_resolve": 2,
             "p90_hours_to_resolve": 31}


def test_a_place_s_rates_for_a_quarter_as_json(client, fake):
    fake.evaluation.GetRates.returns(FULL)
    response = client.get(f"/api/v1/rates?place_id={N1}&period=2026-Q4", headers=ADMIN)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == FULL_JSON
    (call,) = fake.calls
    assert call.request == pb.GetRatesRequest(place_id=N1, period="2026-Q4")


def test_rates_with_nothing_to_divide_are_null(client, fake):
    fake.evaluation.GetRates.returns(pb.Rates(member_id="member-0001", period="2026"))
    answer = client.get("/api/v1/rates?member_id=member-0001&period=2026", headers=bearer("member")).get_json()
    assert answer == {**dict.fromkeys(FULL_JSON), "member_id": "member-0001", "period": "2026",
                      **dict.fromkeys(("tasks", "responded", "resolved", "satisfied", "basically_satisfied",
                                       "unsatisfied", "unrated"), 0)}
    assert fake.calls[0].request == pb.GetRatesRequest(member_id="member-0001", period="2026")


@pytest.mark.parametrize("how", [{"query": "&format=csv"}, {"accept": "text/csv"},
                                 {"accept": "text/csv, application/json;q=0.5"}])
def test_rates_as_csv_have_a_header_row_of_the_json_fields(client, fake, how):
    fake.evaluation.GetRates.returns(FULL)
    headers = {**ADMIN, **({"Accept": how["accept"]} if "accept" in how else {})}
    response = client.get(f"/api/v1/rates?department_id=department-0001&period=2026-11{how.get('query', '')}",
                          headers=headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert response.headers["Content-Disposition"] == f'attachment; filename="rates-{N1}-2026-Q4.csv"'
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    (row,) = csv.DictReader(io.StringIO(text[1:]))
    assert list(row) == list(FULL_JSON)
    assert row == {k: "" if v is None else str(v) for k, v in FULL_JSON.items()}
    assert fake.calls[0].request == pb.GetRatesRequest(department_id="department-0001", period="2026-11")


def test_json_is_the_answer_unless_csv_is_preferred(client, fake):
    fake.evaluation.GetRates.returns(FULL)
    response = client.get(f"/api/v1/rates?place_id={N1}&period=2026",
                          headers={**ADMIN, "Accept": "application/json, text/csv;q=0.5"})
    assert response.headers["Content-Type"] == "application/json"
    response = client.get(f"/api/v1/rates?place_id={N1}&period=2026&format=json",
                          headers={**ADMIN, "Accept": "text/csv"})
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(("query", "field"), [
    (f"place_id={N1}", "period"),
    (f"place_id={N1}&period=2026-Q5", "period"),
    (f"place_id={N1}&period=2026-13", "period"),
    (f"place_id={N1}&period=26", "period"),
    (f"place_id={N1}&period=２０２６", "period"),
    ("period=2026", "(body)"),
    (f"place_id={N1}&member_id=member-0001&period=2026", "(body)"),
    (f"place_id={N1}&period=2026&format=xml", "format"),
    (f"place_id={N1}&period=2026&colour=red", "colour"),
])
def test_a_request_that_cannot_be_answered_is_422_naming_the_field_before_any_call(client, fake, query, field):
    problem = problem_of(client.get(f"/api/v1/rates?{query}", headers=ADMIN), 422)
    assert field in [error["field"] for error in problem["errors"]], problem
    assert fake.calls == []


@pytest.mark.parametrize(("code", "status"), [(grpc.StatusCode.NOT_FOUND, 404),
                                              (grpc.StatusCode.PERMISSION_DENIED, 403)])
def test_the_service_s_refusal_is_the_caller_s_problem(client, fake, code, status):
    fake.evaluation.GetRates.fails(code, "no place")
    response = client.get(f"/api/v1/rates?place_id={N1}&period=2026", headers=bearer("party_secretary"))
    assert problem_of(response, status)["status"] == status
