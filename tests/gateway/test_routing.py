"""Routing as the OpenAPI document describes it: a path a route spells out is that route's for
every method (never an id for a sibling route's converter), and every 405 says in Allow which
methods the path serves."""
from __future__ import annotations

import re

import pytest
from flask import Flask
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from services.gateway import routing
from tests.gateway.answers import open311_errors, problem_of

ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_VARIABLE = re.compile(r"<(?:[^<>:]+:)?[^<>:]+>")


def _allow(response) -> set[str]:
    return {method.strip() for method in response.headers.get("Allow", "").split(",") if method.strip()}


def test_a_post_only_sibling_of_an_id_route_answers_405_not_a_concern_lookup(client, fake, platform):
    response = client.get("/api/v1/concerns/online-batches", headers=platform)
    problem = problem_of(response, 405)
    assert _allow(response) == {"POST", "OPTIONS"}
    assert "use POST" in problem["detail"]
    assert fake.writes() == [] and [call for call in fake.calls if call.service == "IntakeService"] == [], \
        "nothing may ask intake for a concern called online-batches"


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_other_methods_on_the_sibling_name_only_the_siblings_methods(client, platform, method):
    response = client.open("/api/v1/concerns/online-batches", method=method, headers=platform)
    problem_of(response, 405)
    assert _allow(response) == {"POST", "OPTIONS"}


def test_options_on_the_sibling_name_lists_only_its_methods(client, platform):
    assert _allow(client.options("/api/v1/concerns/online-batches", headers=platform)) == {"POST", "OPTIONS"}


def test_no_route_spells_out_a_segment_that_a_converter_takes_for_another_method(app):
    """The class of the bug above, for every route the gateway has and will have: a sample path of
    each route, asked with every method, never lands on a route with a variable where it spelled
    out a name (Open311's catch-all takes what Open311 does not serve, by design)."""
    adapter = app.url_map.bind("localhost")
    taken = []
    for rule in app.url_map.iter_rules():
        segments = rule.rule.split("/")
        path = "/".join(_VARIABLE.sub("x1", segment) for segment in segments)
        for method in ALL_METHODS:
            try:
                matched, _ = adapter.match(path, method=method, return_rule=True)
            except HTTPException:
                continue
            if matched.endpoint in ("open311.unknown", "static"):
                continue
            for mine, theirs in zip(segments, matched.rule.split("/"), strict=False):
                if "<" not in mine and "<" in theirs:
                    taken.append(f"{method} {rule.rule} -> {matched.rule}")
    assert taken == []


ROUTES = [  # a path, a method it does not serve, the methods it does
    ("/api/v1/concerns", "DELETE", {"POST"}),
    ("/api/v1/concerns/c-1", "PUT", {"GET", "HEAD"}),
    ("/api/v1/concerns/c-1/triage", "GET", {"POST"}),
    ("/api/v1/categories", "POST", {"GET", "HEAD"}),
    ("/api/v1/settings/some.key", "POST", {"GET", "HEAD", "PUT", "DELETE"}),
]


@pytest.mark.parametrize("path, method, served", ROUTES, ids=[f"{m} {p}" for p, m, _ in ROUTES])
def test_every_405_lists_the_methods_the_path_serves(client, platform, path, method, served):
    response = client.open(path, method=method, headers=platform)
    problem = problem_of(response, 405)
    assert _allow(response) == served | {"OPTIONS"}
    assert problem["detail"].startswith(f"{method} is not allowed here; use ")


def test_a_wrong_method_without_credentials_is_still_a_405_with_allow(client):
    response = client.delete("/api/v1/concerns")
    problem_of(response, 405)
    assert _allow(response) == {"POST", "OPTIONS"}


@pytest.mark.parametrize("path, method, allow", [
    ("/open311/v2/requests.json", "DELETE", "GET, POST"),
    ("/open311/v2/services.xml", "POST", "GET"),
    ("/open311/v2/requests/c-1.json", "PUT", "GET"),
])
def test_open311_405s_carry_allow_too(client, path, method, allow):
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert response.headers["Allow"] == allow
    assert open311_errors(response, path.rsplit(".", 1)[1])[0][0] == 405


def _toy_app() -> Flask:
    toy = routing.GatewayFlask(__name__)
    for rule, methods in [("/things/<thing_id>", ["GET"]), ("/things/<thing_id>/parts/<part_id>", ["GET"]),
                          ("/things/batch", ["POST"]), ("/things/<other_id>/parts/all", ["DELETE"]),
                          ("/files/<path:name>", ["GET"])]:
        toy.add_url_rule(rule, rule, lambda **_: "", methods=methods)
    # The rules registered after the id routes are known to them once the map is sealed.
    routing.seal(toy)
    return toy


@pytest.mark.parametrize("path, method, outcome", [
    ("/things/batch", "GET", {"POST", "OPTIONS"}),
    ("/things/batch", "POST", "/things/batch"),
    ("/things/batch2", "GET", "/things/<thing_id>"),
    ("/things/t1/parts/all", "GET", {"DELETE", "OPTIONS"}),
    ("/things/t1/parts/p1", "GET", "/things/<thing_id>/parts/<part_id>"),
    ("/things/all", "GET", "/things/<thing_id>"),  # "all" is spelled out one level down only
    ("/things/batch/parts/p1", "GET", 404),  # "batch" is no thing's id, below /things/batch either
    ("/files/batch", "GET", "/files/<path:name>"),
])
def test_a_spelled_out_name_is_refused_only_where_a_sibling_spells_it(path, method, outcome):
    adapter = _toy_app().url_map.bind("localhost")
    if isinstance(outcome, str):
        rule, _ = adapter.match(path, method=method, return_rule=True)
        assert rule.rule == outcome
        return
    with pytest.raises(HTTPException) as refused:
        adapter.match(path, method=method)
    if isinstance(outcome, int):
        assert refused.value.code == outcome
    else:
        assert isinstance(refused.value, MethodNotAllowed)
        assert set(refused.value.valid_methods or ()) == outcome
