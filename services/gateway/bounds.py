"""Types for input that must fit what the services can carry: a moment they can hold, an integer
their int64 fields can hold, free JSON a protobuf Struct (or JSON text) carries unchanged. Each
refuses, naming the field, what would otherwise fail after validation as a 500 or behind the
gateway as a 5xx "try again"."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, JsonValue

from servicekit import json_values, moments
from servicekit.errors import InvalidArgument
from servicekit.text import CONTROL_CHARACTERS, has_control_characters

INT64_MAX = 2**63 - 1


class StrictBody(BaseModel):
    """The base of every request body and query: unknown fields and type coercion ("5" for 5)
    are refused, and so are NaN and Infinity wherever a number is expected."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class _Stated:
    """Adds to a type's JSON Schema (so the OpenAPI document) a rule its validator enforces; the
    validator keeps its own clear message."""

    def __init__(self, **keywords: object):
        self.keywords = keywords

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> Any:
        schema = handler(core_schema)
        schema.update(self.keywords)
        return schema


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
Moment = Annotated[datetime, AfterValidator(_fitting_moment), _Stated(pattern=moments.MOMENT_PATTERN)]
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


# Text people type: `plain`, and the document says so.
PLAIN_TEXT_PATTERN = f"^[^{CONTROL_CHARACTERS}]*$"
PlainText = Annotated[str, AfterValidator(plain), _Stated(pattern=PLAIN_TEXT_PATTERN)]


def plain_text(**bounds: Any) -> Any:
    """PlainText with its bounds (min_length, max_length) checked first, as a string's: a type
    alias for text with the same bounds in many places."""
    return Annotated[str, Field(**bounds), AfterValidator(plain), _Stated(pattern=PLAIN_TEXT_PATTERN)]


def _calendar_day(text: str) -> str:
    try:
        moments.day(text, "it")
    except InvalidArgument:
        raise ValueError(f"not a day of the calendar: YYYY-MM-DD, years {moments.FIRST_YEAR}-{moments.LAST_YEAR}"
                         ) from None
    return text


# A day of the calendar within the services' years, as YYYY-MM-DD ([0-9], not \d: the
# validator's \d also matches other scripts' digits). The pattern states what JSON Schema can:
# the form and the years; the validator also refuses days the calendar lacks (2026-02-30).
CalendarDay = Annotated[str, AfterValidator(_calendar_day), _Stated(
    pattern=moments.DAY_PATTERN, format="date", description="YYYY-MM-DD")]


def each_of_a_comma_list(values: object) -> object:
    """A validator for a repeatable query parameter: ?state=open,in_handling is ?state=open&state=in_handling."""
    if isinstance(values, list) and all(isinstance(v, str) for v in values):
        return [word for value in values for word in value.split(",")]
    return values
