"""Reading request bodies and query strings into validated models, or a clear 4xx."""
from __future__ import annotations

import json
import re
import typing
from datetime import datetime
from typing import TypeVar

from flask import request
from pydantic import BaseModel

from services.gateway.problems import ProblemError

M = TypeVar("M", bound=BaseModel)
_INTEGER = re.compile(r"^-?[0-9]{1,9}$")


def json_body(model: type[M]) -> M:
    if request.mimetype != "application/json":
        raise ProblemError(415, "send the body as application/json")
    raw = request.get_data(cache=False)  # over MAX_CONTENT_LENGTH raises 413 here
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ProblemError(400, f"malformed JSON: {exc}") from None
    except RecursionError:
        raise ProblemError(400, "malformed JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise ProblemError(422, "the body must be a JSON object")
    try:
        # JSON may escape half a surrogate pair ("\ud800"), which no service can store.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ProblemError(400, "malformed JSON: text with an unpaired surrogate escape") from None
    return model.model_validate(data)


def query(model: type[M]) -> M:
    """Query parameters, with integers and timestamps given as text converted before strict
    validation; a list field takes every value of its repeated parameter (?state=a&state=b)."""
    data: dict[str, object] = {}
    aliases = {f.alias: name for name, f in model.model_fields.items() if f.alias}
    for key, value in request.args.items(multi=False):
        field = model.model_fields.get(aliases.get(key, key))
        types = _plain_types(field.annotation) if field is not None else set()
        if field is not None and typing.get_origin(field.annotation) is list:
            data[key] = request.args.getlist(key)
        elif int in types:
            if not _INTEGER.match(value):
                raise ProblemError(422, f"{key} must be an integer")
            data[key] = int(value)
        elif datetime in types:
            try:
                data[key] = datetime.fromisoformat(value)
            except ValueError:
                raise ProblemError(422, f"{key} must be an ISO 8601 time, e.g. 2026-11-01T08:00:00+08:00") from None
            # Whether it is a moment the services can hold (aware, within their years once in
            # UTC) is the field's type to say (services.gateway.bounds.Moment).
        else:
            data[key] = value
    return model.model_validate(data)


def path(model: type[M]) -> M:
    """The path's variables, as the route's converters read them (<int:year> an int), validated
    into `model`: the bounds a converter cannot state (a year the services keep, an int32), so an
    id out of them is a 422 naming it rather than a service's overflow."""
    return model.model_validate(request.view_args or {})


def _plain_types(annotation: object) -> set[object]:
    """The types a field's annotation allows, without Annotated's constraints: `Int64 | None`
    gives {int, NoneType}."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _plain_types(typing.get_args(annotation)[0])
    arguments = typing.get_args(annotation)
    if arguments and typing.get_origin(annotation) is not list:
        return {t for argument in arguments for t in _plain_types(argument)}
    return {annotation}
