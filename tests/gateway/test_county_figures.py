"""GET /api/v1/figures: the county's figures composed from each service's own, as JSON and CSV; bad
periods refused before any service is asked; a service that is down named in a 503, never a
report with a section missing."""
from __future__ import annotations

import csv
import io

import grpc
import pytest

from lianyi.deliberation.v1 import deliberation_service_pb2 as deliberation_pb
from lianyi.deliberation.v1 import events_pb2 as deliberation_events
from lianyi.dispatch.v1 import dispatch_service_pb2 as dispatch_pb
from lianyi.evaluation.v1 import evaluation_service_pb2 as evaluation_pb
from lianyi.intake.v1 import intake_service_pb2 as intake_pb
from tests.gateway.answers import problem_of
from tests.gateway.callers import bearer
from tests.gateway.canned import N1

SECRETARY = bearer("party_secretary")
Q4 = f"/api/v1/figures?place_id={N1}&period=2026-Q4"


def _asking(request: intake_pb.GetAskingFiguresRequest) -> intake_pb.AskingFigures:
    return intake_pb.AskingFigures(
        place_id=request.place_id, from_day=request.from_day, to_day=request.to_day, households=40,
        households_visited=30, visit_coverage=0.75, door_visits=41, concerns_raised_on_visits=9, talk_sessions=2,
        talk_attendance=25, opinion_log_entries=7, concerns_received=14, concerns_merged=1,
        by_channel=[intake_pb.ConcernCount(word="door_visit", concerns=9),
                    intake_pb.ConcernCount(word="sit_down_talk", concerns=3),
                    intake_pb.ConcernCount(word="online", concerns=2)],
        by_category=[intake_pb.ConcernCount(word="noise", concerns=10),
                     intake_pb.ConcernCount(word="other", concerns=4)])


def _deliberated(request: deliberation_pb.GetFiguresRequest, turnout: str = "0.6000") -> deliberation_pb.Figures:
    return deliberation_pb.Figures(
        place_id=request.place_id, period=request.period, drafted=3, published=2, accepted=1, rejected=1,
        rejected_by_reason=[deliberation_pb.RejectedCount(
            reason=deliberation_events.REJECTION_REASON_QUORUM_MISSED, topics=1)],
        votes=12, households=20, turnout=turnout, panels=1, opinions=6, decisions=1, proposals_adopted=1)


def _handled(request: dispatch_pb.GetDispatchFiguresRequest) -> dispatch_pb.DispatchFigures:
    return dispatch_pb.DispatchFigures(
        place_id=request.place_id, from_day=request.from_day, to_day=request.to_day, opened=8, individual=5,
        joint=2, escalated=1, resolved=6, resolved_on_time=5, overdue=1, went_up=1, reworked=1)


def _rated(request: evaluation_pb.GetRatesRequest) -> evaluation_pb.Rates:
    # proto3 optionals: a rate without a denominator is unset (no p90 here: it reads null).
    return evaluation_pb.Rates(
        place_id=request.place_id, period=request.period, tasks=8, responded=6, resolved=6, satisfied=3,
        basically_satisfied=1, unsatisfied=1, unrated=1, response_rate=0.75, resolution_rate=0.75,
        satisfaction_rate=0.8, median_hours_to_resolve=20)


@pytest.fixture
def answering(fake):
    fake.intake.GetAskingFigures.returns(_asking)
    fake.deliberation.GetFigures.returns(_deliberated)
    fake.dispatch.GetDispatchFigures.returns(_handled)
    fake.evaluation.GetRates.returns(_rated)
    return fake


REPORT = {
    "place_id": N1, "period": "2026-Q4", "first_day": "2026-10-01", "last_day": "2026-12-31",
    "asking": {"households": 40, "households_visited": 30, "visit_coverage": 0.75, "door_visits": 41,
               "concerns_raised_on_visits": 9, "talk_sessions": 2, "talk_attendance": 25, "opinion_log_entries": 7,
               "concerns_received": 14, "concerns_merged": 1,
               "concerns_by_channel": {"door_visit": 9, "sit_down_talk": 3, "online": 2},
               "concerns_by_category": {"noise": 10, "other": 4}},
    "deliberation": {"topics_drafted": 3, "topics_published": 2, "topics_accepted": 1, "topics_rejected": 1,
                     "topics_rejected_by_reason": {"quorum_missed": 1, "threshold_missed": 0}, "votes": 12,
                     "households_eligible": 20, "turnout": 0.6, "panels": 1, "opinions": 6, "decisions": 1,
                     "proposals_adopted": 1},
    "handling": {"tasks_opened": 8, "tasks_individual": 5, "tasks_joint": 2, "tasks_escalated": 1,
                 "matters_resolved": 6, "resolved_on_time": 5, "tasks_overdue": 1, "tasks_went_up": 1,
                 "tasks_reworked": 1},
    "rates": {"tasks": 8, "response_rate": 0.75, "resolution_rate": 0.75, "satisfaction_rate": 0.8, "ratings": 5,
              "unrated": 1, "median_hours_to_resolve": 20, "p90_hours_to_resolve": None},
}


def test_the_report_asks_each_service_for_the_periods_days_and_composes_their_figures(client, answering):
    response = client.get(Q4, headers=SECRETARY)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/json"
    assert response.get_json() == REPORT
    requests = {call.method: call.request for call in answering.calls}
    assert requests == {
        "GetAskingFigures": intake_pb.GetAskingFiguresRequest(place_id=N1, from_day="2026-10-01", to_day="2026-12-31"),
        "GetFigures": deliberation_pb.GetFiguresRequest(place_id=N1, period="2026-Q4"),
        "GetDispatchFigures": dispatch_pb.GetDispatchFiguresRequest(place_id=N1, from_day="2026-10-01",
                                                                    to_day="2026-12-31"),
        "GetRates": evaluation_pb.GetRatesRequest(place_id=N1, period="2026-Q4")}


@pytest.mark.parametrize(("period", "first", "last"), [
    ("2026", "2026-01-01", "2026-12-31"), ("2024-02", "2024-02-01", "2024-02-29"), ("2026-Q1", "2026-01-01", "2026-03-31")])
def test_a_year_a_month_and_a_quarter_are_their_days(client, answering, period, first, last):
    body = client.get(f"/api/v1/figures?place_id={N1}&period={period}", headers=SECRETARY).get_json()
    assert (body["period"], body["first_day"], body["last_day"]) == (period, first, last)
    assert answering.dispatch.GetDispatchFigures.calls[0].request.from_day == first
    assert answering.intake.GetAskingFigures.calls[0].request.to_day == last


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert response.headers["Content-Disposition"] == 'attachment; filename="figures-2026-Q4.csv"'
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff"), "a byte-order mark, so spreadsheets read the Chinese right"
    text = text[1:]
    assert text.endswith("\r\n")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("asking", [{"query": "&format=csv"}, {"headers": {"Accept": "text/csv"}},
                                    {"headers": {"Accept": "application/json;q=0.5, text/csv"}}])
def test_the_report_as_csv_is_one_row_per_figure(client, answering, asking):
    response = client.get(Q4 + asking.get("query", ""), headers={**SECRETARY, **asking.get("headers", {})})
    header, *rows = _csv(response)
    assert header == ["place_id", "period", "section", "figure", "value"]
    assert {tuple(row[:2]) for row in rows} == {(N1, "2026-Q4")}
    figures = {(section, figure): value for _, _, section, figure, value in rows}
    assert len(figures) == len(rows), "each figure once"
    assert figures[("asking", "households_visited")] == "30"
    assert figures[("asking", "concerns_by_channel.online")] == "2"
    assert figures[("asking", "concerns_by_category.noise")] == "10"
    assert figures[("deliberation", "topics_rejected_by_reason.quorum_missed")] == "1"
    assert figures[("handling", "matters_resolved")] == "6"
    assert (figures[("rates", "satisfaction_rate")], figures[("rates", "p90_hours_to_resolve")]) == ("0.8", "")
    # Every figure of the JSON report is a row, in its order.
    flattened = [(section, f"{figure}.{part}" if isinstance(value, dict) else figure)
                 for section in ("asking", "deliberation", "handling", "rates") for figure, value in REPORT[section].items()
                 for part in (value if isinstance(value, dict) else [None])]
    assert [(section, figure) for _, _, section, figure, _ in rows] == flattened


def test_json_stays_the_answer_unless_csv_is_preferred(client, answering):
    for accept in ("*/*", "application/json, text/csv;q=0.5", "text/html"):
        response = client.get(Q4, headers={**SECRETARY, "Accept": accept})
        assert response.headers["Content-Type"] == "application/json", accept
    assert client.get(Q4 + "&format=json", headers={**SECRETARY, "Accept": "text/csv"}).get_json() == REPORT


def test_a_figure_without_a_value_is_null_in_json_and_empty_in_csv(client, answering):
    answering.deliberation.GetFigures.returns(lambda request: _deliberated(request, turnout=""))
    assert client.get(Q4, headers=SECRETARY).get_json()["deliberation"]["turnout"] is None
    rows = _csv(client.get(Q4 + "&format=csv", headers=SECRETARY))
    assert ["deliberation", "turnout", ""] in [row[2:] for row in rows]


@pytest.mark.parametrize(("query", "field"), [
    ("period=2026-Q5", "period"), ("period=2026-Q0", "period"), ("period=2026-13", "period"),
    ("period=2026-q4", "period"), ("period=2026-11-01", "period"), ("period=0001", "period"),
    ("period=", "period"), ("", "period"), ("period=2026&format=xml", "format"),
    ("period=2026&place=x", "place")])
def test_a_period_that_is_not_one_is_refused_naming_the_field_before_any_service_is_asked(client, fake, query, field):
    place = "" if "place=" in query else f"place_id={N1}&"
    problem = problem_of(client.get(f"/api/v1/figures?{place}{query}", headers=SECRETARY), 422)
    named = [problem["detail"], *(error["field"] for error in problem.get("errors", []))]
    assert any(text.startswith(field) for text in named), problem
    assert fake.calls == []


def test_a_period_still_to_come_is_asked_of_the_services_not_refused(client, answering):
    """The services count what has happened so far (nothing yet, in 2099); the gateway does not
    second-guess the calendar."""
    body = client.get(f"/api/v1/figures?place_id={N1}&period=2099-Q1", headers=SECRETARY).get_json()
    assert (body["first_day"], body["last_day"]) == ("2099-01-01", "2099-03-31")
    assert answering.dispatch.GetDispatchFigures.calls[0].request.from_day == "2099-01-01"
    assert answering.evaluation.GetRates.calls[0].request.period == "2099-Q1"


@pytest.mark.parametrize("down", [["dispatch"], ["intake", "deliberation"]])
def test_a_service_that_is_down_makes_the_report_a_503_naming_it(client, answering, down):
    for service in down:
        stub = {"intake": answering.intake.GetAskingFigures, "deliberation": answering.deliberation.GetFigures,
                "dispatch": answering.dispatch.GetDispatchFigures}[service]
        stub.fails(grpc.StatusCode.UNAVAILABLE, "connection refused")
    problem = problem_of(client.get(Q4, headers=SECRETARY), 503)
    assert problem["detail"].startswith(" and ".join(down) + (" is" if len(down) == 1 else " are") + " unavailable")
    assert client.get(Q4 + "&format=csv", headers=SECRETARY).status_code == 503


def test_a_service_that_does_not_answer_in_time_is_a_504_naming_it_and_no_retry_is_promised(client, answering):
    answering.evaluation.GetRates.fails(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded")
    response = client.get(Q4, headers=SECRETARY)
    problem = problem_of(response, 504)
    assert problem["detail"].startswith("evaluation did not answer in time")
    assert "Retry-After" not in response.headers
    answering.dispatch.GetDispatchFigures.fails(grpc.StatusCode.UNAVAILABLE, "connection refused")
    assert problem_of(client.get(Q4, headers=SECRETARY), 503)["detail"].startswith("dispatch is unavailable")


def test_a_place_the_caller_may_not_see_is_404_though_another_service_is_down(client, answering):
    answering.intake.GetAskingFigures.fails(grpc.StatusCode.NOT_FOUND, "no neighbourhood, community, township or "
                                                                       "county n-9")
    answering.dispatch.GetDispatchFigures.fails(grpc.StatusCode.UNAVAILABLE, "connection refused")
    problem = problem_of(client.get(Q4, headers=SECRETARY), 404)
    assert "n-9" in problem["detail"]


@pytest.mark.parametrize("role", ["resident", "member", "owners_committee", "department", "integration"])
def test_residents_members_and_partners_may_not_read_the_report(client, fake, role):
    problem_of(client.get(Q4, headers=bearer(role)), 403)
    assert fake.calls == []


def test_the_openapi_document_defines_every_figure(client, fake):
    document = client.get("/openapi.json").get_json()
    operation = document["paths"]["/api/v1/figures"]["get"]
    assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    schemas = document["components"]["schemas"]
    assert set(schemas["CountyFigures"]["properties"]) == set(REPORT)
    for section in ("AskingSection", "DeliberationSection", "HandlingSection"):
        undefined = [name for name, figure in schemas[section]["properties"].items() if not figure.get("description")]
        assert undefined == [], section
