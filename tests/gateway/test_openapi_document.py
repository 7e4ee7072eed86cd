"""The OpenAPI document the gateway serves: valid, and describing every API route."""
from __future__ import annotations

import inspect
import re

from openapi_spec_validator import validate

from services.gateway import heads


def test_openapi_document_is_valid_and_describes_every_api_route(client, fake):
    document = client.get("/openapi.json").get_json()
    validate(document)
    assert set(document["paths"]) == {
        "/api/v1/concerns", "/api/v1/concerns/{concern_id}", "/api/v1/neighbourhoods/{neighbourhood_id}/pool",
        "/api/v1/directory/entities", "/api/v1/directory/entities/{entity_id}", "/api/v1/directory/import",
        "/api/v1/auth/token", "/api/v1/audit", "/api/v1/accounts", "/api/v1/api-keys", "/api/v1/api-keys/{key_id}",
        "/api/v1/access-codes", "/api/v1/categories",
        "/api/v1/concerns/online-batches", "/api/v1/visits", "/api/v1/neighbourhoods/{neighbourhood_id}/visit-coverage",
        "/api/v1/talk-sessions", "/api/v1/neighbourhoods/{neighbourhood_id}/talk-sessions",
        "/api/v1/concerns/{concern_id}/triage", "/api/v1/concerns/{concern_id}/merge",
        "/api/v1/concerns/{concern_id}/similar", "/api/v1/neighbourhoods/{neighbourhood_id}/concerns",
        "/api/v1/triage-rules", "/api/v1/triage-rules/{rule_id}", "/api/v1/settings", "/api/v1/settings/{key}",
        "/api/v1/neighbourhoods/{neighbourhood_id}/topics", "/api/v1/neighbourhoods/{neighbourhood_id}/agenda",
        "/api/v1/topics/{topic_id}", "/api/v1/topics/{topic_id}/withdraw", "/api/v1/topics/{topic_id}/publish",
        "/api/v1/topics/{topic_id}/concerns", "/api/v1/topics/{topic_id}/vote", "/api/v1/topics/{topic_id}/tally",
        "/api/v1/topics/{topic_id}/close-vote", "/api/v1/topics/{topic_id}/release",
        "/api/v1/topics/{topic_id}/panel-proposal", "/api/v1/topics/{topic_id}/panel",
        "/api/v1/topics/{topic_id}/opinions", "/api/v1/topics/{topic_id}/consensus",
        "/api/v1/topics/{topic_id}/decision", "/api/v1/deliberation-figures",
        "/api/v1/tasks", "/api/v1/tasks/{task_id}", "/api/v1/concerns/{concern_id}/task",
        "/api/v1/decisions/{decision_id}/actions", "/api/v1/tasks/{task_id}/claim", "/api/v1/tasks/{task_id}/assignment",
        "/api/v1/tasks/{task_id}/helpers", "/api/v1/tasks/{task_id}/notes", "/api/v1/tasks/{task_id}/parts",
        "/api/v1/tasks/{task_id}/resolution", "/api/v1/tasks/{task_id}/escalation", "/api/v1/tasks/{task_id}/whistle",
        "/api/v1/tasks/{task_id}/department-reports", "/api/v1/ledger", "/api/v1/members/{member_id}/ledger",
        "/api/v1/platform/deliveries", "/api/v1/dispatch-figures",
        "/api/v1/matters", "/api/v1/matters/{task_id}", "/api/v1/matters/{task_id}/rating",
        "/api/v1/figures", "/api/v1/rates",
        "/api/v1/review", "/api/v1/members/{member_id}/review", "/api/v1/neighbourhoods/{neighbourhood_id}/reviews",
        "/api/v1/neighbourhoods/{neighbourhood_id}/review-bulletin", "/api/v1/annual-ratings/{year}/versions",
        "/api/v1/annual-ratings/{year}/versions/{version}/publish", "/api/v1/annual-ratings/{year}"}
    submission_schema = document["components"]["schemas"]["ConcernSubmission"]
    assert submission_schema["additionalProperties"] is False
    assert fake.calls == []


def test_the_rating_body_is_described_with_its_words_and_bounds(client, fake):
    schemas = client.get("/openapi.json").get_json()["components"]["schemas"]
    rating = schemas["RatingIn"]
    assert rating["additionalProperties"] is False and rating["required"] == ["rating"]
    assert rating["properties"]["rating"]["enum"] == ["satisfied", "basically_satisfied", "unsatisfied"]
    assert rating["properties"]["comment"]["maxLength"] == 500
    assert schemas["MatterOut"]["properties"]["state"]["enum"] == ["awaiting_rating", "reworking", "archived",
                                                                   "closed_unrated"]


def test_every_operation_may_answer_the_bounds_on_a_requests_head(client, fake):
    document = client.get("/openapi.json").get_json()
    responses = document["components"]["responses"]
    assert str(heads.MAX_TARGET_BYTES) in responses["TargetTooLong"]["description"]
    assert str(heads.MAX_HEADER_FIELD_BYTES) in responses["HeaderFieldsTooLarge"]["description"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["responses"]["414"] == {"$ref": "#/components/responses/TargetTooLong"}, (method, path)
            assert operation["responses"]["431"] == {"$ref": "#/components/responses/HeaderFieldsTooLarge"}


def test_query_parameters_are_written_once_in_the_models_the_views_read(app):
    """A docstring that hand-wrote ?state= beside the view's query model would be a second place
    for the same rule (and the one the document ignores): every operation's query parameters
    come from the model bodies.query reads, so no route's docstring names one."""
    for endpoint, view in app.view_functions.items():
        docstring = inspect.getdoc(view) or ""
        assert not re.search(r"\bin: query\b", docstring), endpoint
