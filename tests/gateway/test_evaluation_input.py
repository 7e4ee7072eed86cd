"""Evaluation's bodies and query strings the gateway refuses by itself: a 422 problem naming the
field, and no service asked. Only shape and bounds (services/evaluation/contract.py's); who may rate
which matter, and whether its round is rated already, are the service's to refuse."""
from __future__ import annotations

import pytest

from services.evaluation import contract
from tests.gateway.answers import problem_of, reasons
from tests.gateway.callers import bearer
from tests.gateway.canned_matters import awaiting

RATING = "/api/v1/matters/task-0001/rating"
TOO_LONG = "x" * (contract.COMMENT_MAX_CHARS + 1)

BAD_BODIES = [
    # (case, body, what the problem names)
    ("no rating", {"comment": "很好"}, "rating: Field required"),
    ("an unknown rating", {"rating": "very_satisfied"}, "rating"),
    ("the proto's enum", {"rating": "RATING_SATISFIED"}, "rating"),
    ("a rating by number", {"rating": 1}, "rating"),
    ("a rating in capitals", {"rating": "Satisfied"}, "rating"),
    ("an empty rating", {"rating": ""}, "rating"),
    ("a comment too long", {"rating": "satisfied", "comment": TOO_LONG}, "comment: String should have at most 500"),
    ("a comment with a NUL", {"rating": "satisfied", "comment": "很好\x00"}, "comment: Value error, plain text"),
    ("a comment with an escape sequence", {"rating": "unsatisfied", "comment": "\x1b[31m差"}, "comment: Value error"),
    ("a comment of null", {"rating": "satisfied", "comment": None}, "comment"),
    ("a comment as a number", {"rating": "satisfied", "comment": 5}, "comment: Input should be a valid string"),
    ("an empty household id", {"rating": "satisfied", "household_id": ""}, "household_id"),
    ("a household by number", {"rating": "satisfied", "household_id": 7}, "household_id"),
    ("an unknown field", {"rating": "satisfied", "score": 5}, "score: Extra inputs are not permitted"),
]


@pytest.mark.parametrize("case, body, names", BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
def test_a_rating_breaking_its_schema_is_a_422_naming_the_field_and_asks_no_service(client, fake, case, body,
                                                                                     names):
    explained = reasons(problem_of(client.post(RATING, json=body, headers=bearer("resident")), 422))
    assert any(names in reason for reason in explained), explained
    assert fake.calls == []


def test_a_rating_that_is_not_a_json_object_is_refused_before_asking_evaluation(client, fake):
    problem_of(client.post(RATING, json=["satisfied"], headers=bearer("resident")), 422)
    assert client.post(RATING, data="rating=satisfied", headers=bearer("resident")).status_code == 415
    assert fake.calls == []


def test_the_longest_comment_a_rating_keeps_is_not_refused(client, fake):
    fake.evaluation.RateMatter.returns(awaiting())
    comment = "评" * contract.COMMENT_MAX_CHARS
    response = client.post(RATING, json={"rating": "satisfied", "comment": comment}, headers=bearer("resident"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert fake.calls[0].request.comment == comment


BAD_QUERIES = [
    # (case, query string, what the problem names)
    ("an unknown list", "list=all", "list"),
    ("the proto's list", "list=MATTER_LIST_PLACE", "list"),
    ("an unknown state", "state=rated", "state.0"),
    ("a known and an unknown state, by comma", "state=archived,done", "state.1"),
    ("a known and an unknown state, repeated", "state=archived&state=ARCHIVED", "state.1"),
    ("an empty state", "state=", "state.0"),
    ("an empty place", "list=place&place_id=", "place_id"),
    ("a page of none", "page_size=0", "page_size"),
    ("a page too large", "page_size=501", "page_size"),
    ("a page of words", "page_size=ten", "page_size must be an integer"),
    ("a page token too long", f"page_token={'t' * 201}", "page_token"),
    ("an unknown parameter", "status=archived", "status: Extra inputs are not permitted"),
]


@pytest.mark.parametrize("case, query, names", BAD_QUERIES, ids=[c[0] for c in BAD_QUERIES])
def test_a_list_query_breaking_its_schema_is_a_422_naming_the_parameter_and_asks_no_service(client, fake, case,
                                                                                             query, names):
    explained = reasons(problem_of(client.get(f"/api/v1/matters?{query}", headers=bearer("party_secretary")), 422))
    assert any(names in reason for reason in explained), explained
    assert fake.calls == []
