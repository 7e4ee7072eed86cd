"""Evaluation's routes as the gateway serves them: each sends its RPC what the caller asked (the list
and the rating as the proto's enums) and answers with the service's matter as JSON: times in RFC
3339, the rating as its word, what proto3 leaves empty as null. (Who may rate which matter, and
whether its round is rated already, are the service's.)"""
from __future__ import annotations

import grpc
import pytest

from lianyi.evaluation.v1 import evaluation_service_pb2 as pb
from lianyi.evaluation.v1 import events_pb2
from tests.gateway.answers import problem_of
from tests.gateway.callers import bearer
from tests.gateway.canned import N1
from tests.gateway.canned_matters import AWAITING_JSON, REWORKING_JSON, TASK_ID, awaiting, reworking

RESIDENT = bearer("resident")
LEADER = bearer("building_leader")
SECRETARY = bearer("party_secretary")
MATTER = f"/api/v1/matters/{TASK_ID}"


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/json"
    return response.get_json()


# -- reading matters ------------------------------------------------------------------------------

def test_a_matter_awaiting_its_rating_shows_what_is_unset_as_null(client, fake):
    fake.evaluation.GetMatter.returns(awaiting())
    assert _ok(client.get(MATTER, headers=RESIDENT)) == AWAITING_JSON
    (call,) = fake.calls
    assert call.request == pb.GetMatterRequest(task_id=TASK_ID)


def test_a_matter_rated_unsatisfied_in_person_shows_its_rating_as_a_word_and_its_supervisor(client, fake):
    fake.evaluation.GetMatter.returns(reworking())
    assert _ok(client.get(MATTER, headers=bearer("township_admin"))) == REWORKING_JSON


def test_matters_are_listed_by_list_place_and_states_a_page_at_a_time(client, fake):
    fake.evaluation.ListMatters.returns(pb.ListMattersResponse(matters=[reworking(), awaiting("task-0002")],
                                                              next_page_token="p2"))
    listed = _ok(client.get(f"/api/v1/matters?list=place&place_id={N1}&state=awaiting_rating,reworking"
                            "&state=closed_unrated&page_size=2&page_token=p1", headers=SECRETARY))
    assert listed == {"matters": [REWORKING_JSON, {**AWAITING_JSON, "task_id": "task-0002"}], "next_page_token": "p2"}
    (call,) = fake.calls
    assert call.request == pb.ListMattersRequest(
        list=pb.MATTER_LIST_PLACE, place_id=N1, states=["awaiting_rating", "reworking", "closed_unrated"],
        page_size=2, page_token="p1")


def test_matters_listed_without_parameters_are_the_callers_own_from_the_first_page(client, fake):
    fake.evaluation.ListMatters.returns(pb.ListMattersResponse())
    assert _ok(client.get("/api/v1/matters", headers=RESIDENT)) == {"matters": [], "next_page_token": None}
    (call,) = fake.calls
    assert call.request == pb.ListMattersRequest(list=pb.MATTER_LIST_MINE, page_size=100)


# -- rating ---------------------------------------------------------------------------------------

RATINGS = [
    # (who, body, the request RateMatter gets)
    ("resident", {"rating": "satisfied"}, pb.RateMatterRequest(task_id=TASK_ID, rating=events_pb2.RATING_SATISFIED)),
    ("resident", {"rating": "basically_satisfied", "comment": "处理及时\n但噪音还在"},
     pb.RateMatterRequest(task_id=TASK_ID, rating=events_pb2.RATING_BASICALLY_SATISFIED, comment="处理及时\n但噪音还在")),
    ("resident", {"rating": "unsatisfied", "comment": "", "household_id": None},
     pb.RateMatterRequest(task_id=TASK_ID, rating=events_pb2.RATING_UNSATISFIED)),
    ("building_leader", {"rating": "unsatisfied", "comment": "只拆了一半", "household_id": "household-0001"},
     pb.RateMatterRequest(task_id=TASK_ID, rating=events_pb2.RATING_UNSATISFIED, comment="只拆了一半",
                          household_id="household-0001")),
]


@pytest.mark.parametrize("who, body, sent", RATINGS, ids=[f"{r[1]['rating']} by {r[0]}" for r in RATINGS])
def test_a_rating_sends_rate_matter_what_the_caller_gave_and_answers_200_with_the_matter(client, fake, who, body,
                                                                                        sent):
    fake.evaluation.RateMatter.returns(reworking())
    assert _ok(client.post(f"{MATTER}/rating", json=body, headers=bearer(who))) == REWORKING_JSON
    (call,) = fake.calls
    assert (call.method, call.request) == ("RateMatter", sent)


# -- refusals -------------------------------------------------------------------------------------

def test_a_round_rated_already_is_a_409_with_the_services_reason(client, fake):
    reason = f"round 1 of {TASK_ID} is rated already"
    fake.evaluation.RateMatter.fails(grpc.StatusCode.ALREADY_EXISTS, reason)
    assert problem_of(client.post(f"{MATTER}/rating", json={"rating": "satisfied"}, headers=RESIDENT),
                      409)["detail"] == reason
    assert [c.method for c in fake.calls] == ["RateMatter"]


@pytest.mark.parametrize("rpc, method, path, body", [
    ("GetMatter", "GET", MATTER, None),
    ("ListMatters", "GET", "/api/v1/matters?list=place&place_id=nowhere", None),
    ("RateMatter", "POST", f"{MATTER}/rating", {"rating": "satisfied"}),
], ids=["read", "list", "rate"])
def test_what_evaluation_does_not_find_is_a_404_with_its_reason(client, fake, rpc, method, path, body):
    getattr(fake.evaluation, rpc).fails(grpc.StatusCode.NOT_FOUND, "no such matter in your scope")
    response = client.open(path, method=method, json=body, headers=LEADER)
    assert problem_of(response, 404)["detail"] == "no such matter in your scope"
    assert [c.method for c in fake.calls] == [rpc]


@pytest.mark.parametrize("code, status", [
    (grpc.StatusCode.FAILED_PRECONDITION, 409), (grpc.StatusCode.PERMISSION_DENIED, 403),
    (grpc.StatusCode.INVALID_ARGUMENT, 422),
])
def test_a_ratings_other_refusals_reach_the_caller_as_one_problem(client, fake, code, status):
    fake.evaluation.RateMatter.fails(code, "the service's own words")
    response = client.post(f"{MATTER}/rating", json={"rating": "unsatisfied"}, headers=RESIDENT)
    assert problem_of(response, status)["detail"] == "the service's own words"
    assert [c.method for c in fake.calls] == ["RateMatter"]
