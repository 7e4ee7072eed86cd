"""The OpenAPI document, built from the app's real routes (their docstrings) and the pydantic
schemas, so the description cannot drift from what is served."""
from __future__ import annotations

from apispec import APISpec
from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask
from pydantic.json_schema import models_json_schema

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
    with app.test_request_context():
        for endpoint, view in app.view_functions.items():
            rule = next(app.url_map.iter_rules(endpoint))
            if rule.rule.startswith("/api/"):
                spec.path(view=view, app=app)
    document = spec.to_dict()
    for operations in document["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                for status, (name, _) in HEAD_BOUNDS.items():
                    operation["responses"].setdefault(status, {"$ref": f"#/components/responses/{name}"})
    document["security"] = [{"bearer": []}, {"apiKey": []}]  # every operation unless it says otherwise
    return document
