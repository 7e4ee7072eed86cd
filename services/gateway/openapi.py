"""The OpenAPI document, built from the app's real routes (their docstrings) and the pydantic
schemas, so the description cannot drift from what is served.

A route's docstring says what is its own: its body, parameters, success and the refusals only it
gives (a 409, a 404 for what it names). What the edge answers for every route is added here, each
from the one place that decides it, so no docstring restates it: the bounds on a request's head
(heads.py), a JSON body's refusals (bodies.json_body and MAX_CONTENT_LENGTH), credentials and
roles (auth.serves), the rate limiter (limits.py), and a service's refusals and outages as
problems.py maps their gRPC status codes."""
from __future__ import annotations

import inspect
import re

from apispec import APISpec
from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from servicekit.auth import PUBLIC
from services.gateway import (
    deliberation_schemas,
    dispatch_schemas,
    evaluation_schemas,
    figures_sections,
    heads,
    rates_schemas,
    review_schemas,
    schemas,
    settings_schemas,
)

REF_TEMPLATE = "#/components/schemas/{model}"
HEAD_BOUNDS = {
    "414": ("TargetTooLong", f"The request target (path and query, as sent) is over {heads.MAX_TARGET_BYTES} bytes"),
    "431": ("HeaderFieldsTooLarge", f"A header field is over {heads.MAX_HEADER_FIELD_BYTES} bytes, or there are "
                                    f"over {heads.MAX_HEADER_FIELDS} header fields: answered by the HTTP server "
                                    "before the gateway, not as a problem"),
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again", "required": True,
                                "schema": {"type": "string"}}}
# Status: (component name, description, headers it always carries).
EDGE_ANSWERS = {
    "400": ("MalformedJson", "The body is not JSON (or holds an unpaired surrogate escape)", {}),
    "401": ("Unauthenticated", "No credentials, or credentials that are malformed, expired, revoked or wrong",
            {"WWW-Authenticate": {"description": "How to authenticate", "required": True,
                                  "schema": {"type": "string"}}}),
    "403": ("Forbidden", "The caller's role may not do this, or what it names is outside the caller's scope", {}),
    "404": ("NotFound", "What the request names does not exist, or not in the caller's scope", {}),
    "413": ("BodyTooLarge", "The body is over {max_body_bytes} bytes", {}),
    "415": ("NotJson", "The body is not sent as application/json", {}),
    "422": ("Unprocessable", "The request does not match the schema, or a service refused it as invalid; "
                             "errors names the fields", {}),
    "429": ("TooManyRequests", "Too many requests without credentials (or sign-in attempts) from this address",
            _RETRY_AFTER),
    "503": ("Unavailable", "A service behind the gateway is unavailable; try again after Retry-After seconds",
            _RETRY_AFTER),
    "504": ("TimedOut", "A service behind the gateway did not answer in time; try again shortly", {}),
}
# Which of them an operation may meet: every operation a 401 (sign-in refuses wrong credentials
# too), the limiter's 429, and a service's refusal (422) or outage (503, 504): every operation
# calls one, if only to check an API key.
EVERY_OPERATION = ("401", "422", "429", "503", "504")
JSON_BODY = ("400", "413", "415")  # bodies.json_body, before the body's schema is read


def build(app: Flask) -> dict:
    spec = APISpec(
        title="lianyi API",
        version="1",
        openapi_version="3.1.0",
        info={"description": "邻里联议家事: concerns asked, deliberated, handled and evaluated."},
        plugins=[FlaskPlugin()],
    )
    documented = [*schemas.DOCUMENTED, *settings_schemas.DOCUMENTED, *deliberation_schemas.DOCUMENTED,
                  *dispatch_schemas.DOCUMENTED, *evaluation_schemas.DOCUMENTED, *rates_schemas.DOCUMENTED,
                  *review_schemas.DOCUMENTED, figures_sections.CountyFigures]
    _, built = models_json_schema([(m, "serialization") for m in documented], ref_template=REF_TEMPLATE)
    for name, schema in built["$defs"].items():
        spec.components.schema(name, schema)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.security_scheme("apiKey", {"type": "apiKey", "in": "header", "name": "X-Api-Key"})
    problem_content = {"application/problem+json": {"schema": {"$ref": REF_TEMPLATE.format(model="Problem")}}}
    spec.components.response("Problem", {"description": "Problem details (RFC 9457)", "content": problem_content})
    # Any operation may meet the bounds on a request's head (heads.py), before its own checks.
    for status, (name, description) in HEAD_BOUNDS.items():
        # The 431 is the HTTP server's own answer (heads.py): no problem body to promise.
        spec.components.response(name, {"description": description, **(
            {"content": problem_content} if status != "431" else {})})
    for name, description, headers in EDGE_ANSWERS.values():
        spec.components.response(name, {
            "description": description.format(max_body_bytes=app.config["MAX_CONTENT_LENGTH"]),
            "content": problem_content, **({"headers": headers} if headers else {})})
    roles: dict[tuple[str, str], frozenset[str] | None] = {}
    reads: dict[tuple[str, str], dict[str, type[BaseModel]]] = {}
    with app.test_request_context():
        for endpoint, view in app.view_functions.items():
            rule = next(app.url_map.iter_rules(endpoint))
            if rule.rule.startswith("/api/"):
                spec.path(view=view, app=app)
                for method in rule.methods or ():
                    roles[(_openapi_path(rule.rule), method.lower())] = getattr(view, "allowed_roles", None)
                    reads[(_openapi_path(rule.rule), method.lower())] = _models_read(view)
    document = spec.to_dict()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "responses" in operation:
                read = reads.get((path, method), {})
                if "path" in read:
                    _describe_path(operation, read["path"])
                if "query" in read:
                    _describe_query(operation, read["query"])
                _add_edge_answers(operation, roles.get((path, method)))
    document["security"] = [{"bearer": []}, {"apiKey": []}]  # every operation unless it says otherwise
    return document


def _add_edge_answers(operation: dict, allowed_roles: frozenset[str] | None) -> None:
    """The answers `operation` may get from the edge rather than from its own view."""
    responses = operation["responses"]

    def answer(status: str, name: str) -> None:
        responses[status] = {"$ref": f"#/components/responses/{name}"}

    for status, (name, _) in HEAD_BOUNDS.items():
        answer(status, name)
    statuses = [*EVERY_OPERATION]
    if "requestBody" in operation:
        statuses += JSON_BODY
    if any(p.get("in") == "path" for p in operation.get("parameters", ())):
        statuses.append("404")  # the id in its path may name nothing (the service says NOT_FOUND)
    if allowed_roles is not None and PUBLIC not in allowed_roles:
        statuses.append("403")  # auth.serves: a role the endpoint does not serve, or (the service) out of scope
    generic = {"$ref": "#/components/responses/Problem"}
    for status in [*statuses, *(s for s, r in responses.items() if r == generic and s in EDGE_ANSWERS)]:
        # What a docstring says in its own words stays; a bare reference to the generic Problem
        # gives way to the specific answer.
        if responses.get(status, generic) == generic:
            answer(status, EDGE_ANSWERS[status][0])


_READS = re.compile(r"\b(query|path)\((\w+)\)")


def _models_read(view: object) -> dict[str, type[BaseModel]]:
    """The models a view reads its query string and its path's variables into (`params =
    query(TaskQuery)`, `where = path(AnnualYearPath)`, bodies.query and bodies.path), by where
    they are: the one place those parameters' names, types and bounds are written."""
    original = inspect.unwrap(view)  # type: ignore[arg-type]
    return {found.group(1): original.__globals__[found.group(2)]
            for found in _READS.finditer(inspect.getsource(original))}


def _describe_path(operation: dict, model: type[BaseModel]) -> None:
    """The schemas of the path's variables, as bodies.path reads them into `model` (the route
    names them; the docstring may describe them in words)."""
    schema = model.model_json_schema(by_alias=True, mode="validation", ref_template=REF_TEMPLATE)
    generated = {name: {k: v for k, v in prop.items() if k != "title"} for name, prop in schema["properties"].items()}
    parameters = operation.setdefault("parameters", [])
    for parameter in parameters:
        if parameter.get("in") == "path" and parameter["name"] in generated:
            parameter["schema"] = generated.pop(parameter["name"])
    parameters += [{"name": name, "in": "path", "required": True, "schema": prop} for name, prop in generated.items()]


def _describe_query(operation: dict, model: type[BaseModel]) -> None:
    """The operation's query parameters, as bodies.query reads them into `model`: a docstring
    may describe a parameter in words, but its name, type, bounds and whether it is required are
    the model's (by alias: ?from= is from_)."""
    schema = model.model_json_schema(by_alias=True, mode="validation", ref_template=REF_TEMPLATE)
    said = {p["name"]: p for p in operation.get("parameters", ()) if p.get("in") == "query"}
    parameters = [p for p in operation.get("parameters", ()) if p.get("in") != "query"]
    for name, declared in schema["properties"].items():
        prop = _without_null(declared)
        prop.pop("title", None)
        description = said.get(name, {}).get("description") or prop.pop("description", None)
        prop.pop("description", None)
        parameter = {"name": name, "in": "query", "required": name in schema.get("required", ()), "schema": prop,
                     **({"description": description} if description else {})}
        if prop.get("type") == "array":  # ?state=a&state=b (bodies.query also takes a,b)
            parameter.update(style="form", explode=True)
        parameters.append(parameter)
    operation["parameters"] = parameters


def _without_null(prop: dict) -> dict:
    """`X | None` as a query parameter: absent is None; a query string cannot say null."""
    variants = prop.get("anyOf")
    if variants:
        kept = [v for v in variants if v != {"type": "null"}]
        if len(kept) == 1:
            rest = {k: v for k, v in prop.items() if k not in ("anyOf", "default")}
            return {**kept[0], **rest}
    return dict(prop)


def _openapi_path(rule: str) -> str:
    """Flask's /topics/<topic_id> as OpenAPI's /topics/{topic_id} (apispec's own conversion)."""
    return FlaskPlugin.flaskpath2openapi(rule)
