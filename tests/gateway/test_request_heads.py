"""How large a request's head may be (services/gateway/heads.py): the documented bounds answered as
a problem (414, 431) or, under /open311/v2, in the spec's error format; the longest legitimate
request, an Open311 list of 1,000 ids, well inside them. gunicorn's own limits, and these answers
through gunicorn, are tested end to end (tests/e2e/test_gateway_edges.py)."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from lianyi.intake.v1 import intake_service_pb2 as intake_pb
from servicekit.ids import new_id
from services.gateway import heads
from tests.gateway.answers import open311_errors, problem_of
from tests.gateway.canned import categories

LONGEST_JURISDICTION = "县" * 100  # GatewaySettings.open311_jurisdiction's max_length


def longest_open311_list(separator: str = ", ") -> str:
    """An Open311 list of 1,000 ids as a client may encode it at worst."""
    ids = separator.join(new_id() for _ in range(1000))
    return ("/open311/v2/requests.json?service_request_id=" + quote(ids)
            + "&jurisdiction_id=" + quote(LONGEST_JURISDICTION))


def test_the_longest_legitimate_target_fits_with_room_to_spare():
    target = longest_open311_list()
    assert len(target) < 0.75 * heads.MAX_TARGET_BYTES, len(target)
    assert heads.MAX_TARGET_BYTES + len("DELETE  HTTP/1.1") < heads.GUNICORN_REQUEST_LINE_BYTES
    # Header fields: gunicorn's own limits are the documented bounds (it alone sees each line).
    assert (heads.GUNICORN_HEADER_FIELD_BYTES, heads.GUNICORN_HEADER_FIELDS) == (
        heads.MAX_HEADER_FIELD_BYTES, heads.MAX_HEADER_FIELDS)


def test_an_open311_list_of_1000_ids_reaches_intake(client, fake):
    fake.intake.ListCategories.returns(categories())
    fake.intake.ListPublicConcerns.returns(intake_pb.ListPublicConcernsResponse())
    ids = ",".join(new_id() for _ in range(1000))
    response = client.get("/open311/v2/requests.json", query_string={"service_request_id": ids})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert len(fake.intake.ListPublicConcerns.calls[0].request.concern_ids) == 1000


def test_a_target_beyond_the_bound_is_a_414_problem_asking_nothing(client, fake, platform):
    path = "/api/v1/concerns/" + "a" * heads.MAX_TARGET_BYTES
    problem = problem_of(client.get(path, headers=platform), 414)
    assert f"more than {heads.MAX_TARGET_BYTES}" in problem["detail"]
    assert fake.calls == [], "not even the API key is looked up"


def test_a_query_just_within_the_bound_is_no_414(client, platform):
    prefix = "/api/v1/nothing-here?x="
    at_bound = client.get(prefix + "a" * (heads.MAX_TARGET_BYTES - len(prefix)), headers=platform)
    assert at_bound.status_code == 404
    problem_of(client.get(prefix + "a" * (heads.MAX_TARGET_BYTES - len(prefix) + 1), headers=platform), 414)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_open311_target_beyond_the_bound_is_a_414_in_the_specs_format(client, fake, fmt):
    response = client.get(f"/open311/v2/requests.{fmt}",
                          query_string={"service_request_id": "x" * heads.MAX_TARGET_BYTES})
    assert response.status_code == 414
    assert "more than" in open311_errors(response, fmt)[0][1]
    assert fake.calls == []


def test_the_target_is_measured_as_sent():
    """gunicorn's RAW_URI carries path and query, werkzeug's the path alone: both count the same."""
    query = "service_request_id=a%2Cb"
    gunicorn = {"RAW_URI": f"/open311/v2/requests.json?{query}", "QUERY_STRING": query,
                "PATH_INFO": "/open311/v2/requests.json"}
    werkzeug = {**gunicorn, "RAW_URI": "/open311/v2/requests.json"}
    bare = {"PATH_INFO": "/open311/v2/requests.json", "QUERY_STRING": query}
    assert heads.target_bytes(gunicorn) == heads.target_bytes(werkzeug) == heads.target_bytes(bare) \
        == len(gunicorn["RAW_URI"])
