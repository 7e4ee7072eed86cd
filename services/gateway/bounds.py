"""Types for input that must fit what the services can carry: a moment they can hold, an integer
their int64 fields can hold, free JSON a protobuf Struct (or JSON text) carries unchanged. Each
refuses, naming the field, what would otherwise fail after validation as a 500 or behind the
gateway as a 5xx "try again"."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, JsonValue

from servicekit import json_values, moments
from servicekit.text import has_control_characters

INT64_MAX = 2**63 - 1


class StrictBody(BaseModel):
    """The base of every request body and query: unknown fields and type coercion ("5" for 5)
    are refused, and so are NaN and Infinity wherever a number is expected."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


def _fitting_moment(moment: datetime) -> datetime:
    problem = moments.problem_with(moment)
    if problem:
        raise ValueError(problem)
    return moment


def _fitting_json(value: object) -> object:
    problem = json_values.problem_with(value)
    if problem:
        raise ValueError(problem)
    return value


# An aware time within the services' years once converted to UTC.
Moment = Annotated[datetime, AfterValidator(_fitting_moment)]
# A count or version a service keeps as int64.
Int64 = Annotated[int, Field(le=INT64_MAX)]
# Free JSON: finite numbers, exact integers, bounded depth and size (servicekit.json_values),
# checked before pydantic walks it, so a deep value gets one reason rather than one per level.
FreeJson = Annotated[JsonValue, BeforeValidator(_fitting_json)]
FreeJsonObject = Annotated[dict[str, JsonValue], BeforeValidator(_fitting_json)]


def plain(text: str) -> str:
    """A validator: text people type (line breaks allowed), no other control characters."""
    if has_control_characters(text):
        raise ValueError("plain text only: no control characters")
    return text


def each_of_a_comma_list(values: object) -> object:
    """A validator for a repeatable query parameter: ?state=open,in_handling is ?state=open&state=in_handling."""
    if isinstance(values, list) and all(isinstance(v, str) for v in values):
        return [word for value in values for word in value.split(",")]
    return values
