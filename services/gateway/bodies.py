"""Reading request bodies and query strings into validated models, or a clear 4xx."""
from __future__ import annotations

import json
from typing import TypeVar

from flask import request
from pydantic import BaseModel

from services.gateway.problems import ProblemError

M = TypeVar("M", bound=BaseModel)


def json_body(model: type[M]) -> M:
    if request.mimetype != "application/json":
        raise ProblemError(415, "send the body as application/json")
    raw = request.get_data(cache=False)  # over MAX_CONTENT_LENGTH raises 413 here
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ProblemError(400, f"malformed JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ProblemError(422, "the body must be a JSON object")
    return model.model_validate(data)


def query(model: type[M]) -> M:
    """Query parameters, with integers given as text converted before strict validation."""
    data: dict[str, object] = {}
    for key, value in request.args.items(multi=False):
        field = model.model_fields.get(key)
        if field is not None and field.annotation is int:
            if not value.lstrip("-").isdigit():
                raise ProblemError(422, f"{key} must be an integer")
            data[key] = int(value)
        else:
            data[key] = value
    return model.model_validate(data)
