"""The quarterly member review as the gateway serves it: each endpoint sends its RPC the member or
neighbourhood and quarter asked for, and answers with the service's review as JSON (rates that
measure nothing as null) or the bulletin as text or CSV; a quarter or format breaking its schema is
a 422 naming it, with no service asked. (Grades, scope and the county's rules are the service's.)"""
from __future__ import annotations

import csv
import io

import grpc
import pytest

from lianyi.evaluation.v1 import evaluation_service_pb2 as pb
from tests.gateway.answers import problem_of, reasons
from tests.gateway.callers import bearer
from tests.gateway.canned import N1

MEMBER = bearer("member")
SECRETARY = bearer("party_secretary")


def _review(**fields) -> pb.MemberReview:
    values = dict(member_id="member-0001", member_name="林建国", neighbourhood_id=N1, quarter="2026-Q4", committed=5,
                  fulfilled=3, fulfilled_on_time=1, open=2, satisfied=1, unsatisfied=2, rework_rounds=2, door_visits=2,
                  fulfilment_rate=0.6, on_time_rate=0.3333, satisfaction_rate=0.3333, grade="unqualified",
                  shortfalls=["fulfilment", "on_time", "satisfaction"], rectify_by="2027-01-30")
    values.update(fields)
    return pb.MemberReview(**values)


REVIEW_JSON = {
    "member_id": "member-0001", "member_name": "林建国", "neighbourhood_id": N1, "quarter": "2026-Q4",
    "committed": 5, "fulfilled": 3, "fulfilled_on_time": 1, "open": 2, "released": 0, "satisfied": 1,
    "basically_satisfied": 0, "unsatisfied": 2, "rework_rounds": 2, "door_visits": 2, "panels_served": 0,
    "fulfilment_rate": 0.6, "on_time_rate": 0.3333, "satisfaction_rate": 0.3333, "grade": "unqualified",
    "shortfalls": ["fulfilment", "on_time", "satisfaction"], "rectify_by": "2027-01-30",
}


def _ok(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/json"
    return response.get_json()


def test_a_members_own_review_asks_for_their_own_and_shows_rates_and_deadline(client, fake):
    fake.evaluation.GetMemberReview.returns(_review())
    assert _ok(client.get("/api/v1/review?quarter=2026-Q4", headers=MEMBER)) == REVIEW_JSON
    (call,) = fake.calls
    assert call.request == pb.GetMemberReviewRequest(member_id="", quarter="2026-Q4")


def test_a_review_with_nothing_to_measure_shows_its_rates_and_deadline_as_null(client, fake):
    fake.evaluation.GetMemberReview.returns(pb.MemberReview(member_id="member-0002", member_name="陈明",
                                                            quarter="2026-Q4", door_visits=3, grade="not_assessed"))
    answer = _ok(client.get("/api/v1/members/member-0002/review", headers=SECRETARY))
    assert (answer["fulfilment_rate"], answer["on_time_rate"], answer["satisfaction_rate"]) == (None, None, None)
    assert (answer["grade"], answer["rectify_by"], answer["neighbourhood_id"]) == ("not_assessed", None, None)
    (call,) = fake.calls
    assert call.request == pb.GetMemberReviewRequest(member_id="member-0002")


def test_a_neighbourhoods_quarter_lists_its_reviews_in_the_services_order(client, fake):
    fake.evaluation.ListMemberReviews.returns(pb.MemberReviewList(
        neighbourhood_id=N1, neighbourhood_name="幸福小区", quarter="2026-Q3",
        reviews=[_review(), _review(member_id="member-0002", grade="excellent")]))
    answer = _ok(client.get(f"/api/v1/neighbourhoods/{N1}/reviews?quarter=2026-Q3", headers=bearer("county_admin")))
    assert (answer["neighbourhood_name"], answer["quarter"]) == ("幸福小区", "2026-Q3")
    assert answer["reviews"] == [REVIEW_JSON, {**REVIEW_JSON, "member_id": "member-0002", "grade": "excellent"}]
    (call,) = fake.calls
    assert call.request == pb.ListMemberReviewsRequest(neighbourhood_id=N1, quarter="2026-Q3")


def test_the_bulletin_is_plain_text_by_default_and_csv_when_asked(client, fake):
    fake.evaluation.GetReviewBulletin.returns(pb.ReviewBulletin(
        neighbourhood_id=N1, quarter="2026-Q4", format=pb.BULLETIN_FORMAT_TEXT, content="幸福小区2026年第四季度……\n"))
    text = client.get(f"/api/v1/neighbourhoods/{N1}/review-bulletin", headers=SECRETARY)
    assert (text.status_code, text.headers["Content-Type"]) == (200, "text/plain; charset=utf-8")
    assert text.get_data(as_text=True) == "幸福小区2026年第四季度……\n"
    fake.evaluation.GetReviewBulletin.returns(pb.ReviewBulletin(
        neighbourhood_id=N1, quarter="2026-Q4", format=pb.BULLETIN_FORMAT_CSV, content="季度,小区\r\n"))
    table = client.get(f"/api/v1/neighbourhoods/{N1}/review-bulletin?format=csv&quarter=2026-Q4", headers=SECRETARY)
    assert (table.status_code, table.headers["Content-Type"]) == (200, "text/csv; charset=utf-8; header=present")
    assert table.headers["Content-Disposition"] == 'attachment; filename="bulletin-2026-Q4.csv"'
    assert table.get_data(as_text=True) == "\ufeff季度,小区\r\n", "with a byte-order mark, as every CSV here"
    first, second = fake.calls
    assert first.request == pb.GetReviewBulletinRequest(neighbourhood_id=N1, format=pb.BULLETIN_FORMAT_TEXT)
    assert second.request == pb.GetReviewBulletinRequest(neighbourhood_id=N1, quarter="2026-Q4",
                                                         format=pb.BULLETIN_FORMAT_CSV)


BAD = [
    ("/api/v1/review?quarter=2026Q4", "quarter"),
    ("/api/v1/review?quarter=2026-Q5", "quarter"),
    ("/api/v1/review?quarter=0000-Q1", "quarter"),  # a year no service keeps (servicekit.moments)
    ("/api/v1/members/member-0001/review?quarter=9999-Q4", "quarter"),
    ("/api/v1/members/member-0001/review?quarter=", "quarter"),
    (f"/api/v1/neighbourhoods/{N1}/reviews?quarter=last", "quarter"),
    (f"/api/v1/neighbourhoods/{N1}/reviews?since=2026-Q1", "since"),
    (f"/api/v1/neighbourhoods/{N1}/review-bulletin?format=pdf", "format"),
    (f"/api/v1/neighbourhoods/{N1}/review-bulletin?format=CSV", "format"),
]


@pytest.mark.parametrize("path, names", BAD, ids=[b[0].split("?")[1] for b in BAD])
def test_a_quarter_or_format_breaking_its_schema_is_a_422_naming_it_and_asks_no_service(client, fake, path, names):
    explained = reasons(problem_of(client.get(path, headers=SECRETARY), 422))
    assert any(names in reason for reason in explained), explained
    assert fake.calls == []


def test_a_member_outside_the_callers_scope_is_a_404_as_the_service_says(client, fake):
    fake.evaluation.GetMemberReview.fails(grpc.StatusCode.NOT_FOUND, "no member member-0009")
    problem = problem_of(client.get("/api/v1/members/member-0009/review", headers=SECRETARY), 404)
    assert "member-0009" in problem["detail"]


def test_the_bulletin_as_csv_when_the_caller_prefers_it(client, fake):
    fake.evaluation.GetReviewBulletin.returns(pb.ReviewBulletin(
        neighbourhood_id=N1, quarter="2026-Q4", format=pb.BULLETIN_FORMAT_CSV, content="季度,小区\r\n"))
    table = client.get(f"/api/v1/neighbourhoods/{N1}/review-bulletin", headers={**SECRETARY, "Accept": "text/csv"})
    assert table.headers["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert fake.calls[0].request.format == pb.BULLETIN_FORMAT_CSV


def test_a_neighbourhoods_reviews_as_csv_are_one_row_per_member(client, fake):
    fake.evaluation.ListMemberReviews.returns(pb.MemberReviewList(
        neighbourhood_id=N1, neighbourhood_name="幸福小区", quarter="2026-Q4", reviews=[pb.MemberReview(
            member_id="m-1", member_name="=王", neighbourhood_id=N1, quarter="2026-Q4", committed=3, fulfilled=2,
            grade="basically_qualified", shortfalls=["on_time", "satisfaction"], rectify_by="2027-01-30")]))
    table = client.get(f"/api/v1/neighbourhoods/{N1}/reviews?format=csv", headers=SECRETARY)
    assert table.headers["Content-Type"] == "text/csv; charset=utf-8; header=present"
    rows = list(csv.reader(io.StringIO(table.get_data(as_text=True).removeprefix("\ufeff"))))
    assert len(rows) == 2
    cells = dict(zip(rows[0], rows[1], strict=True))
    assert (cells["member_id"], cells["member_name"], cells["quarter"], cells["committed"]) == (
        "m-1", "'=王", "2026-Q4", "3")
    assert (cells["shortfalls"], cells["rectify_by"], cells["fulfilment_rate"]) == (
        "on_time;satisfaction", "2027-01-30", "")
