"""Moments and days a caller may name (audit and public-listing bounds, a visit's or a meeting's
day): aware, and within the years every service can hold, count in and convert without overflow.
One range for the gateway's checks and the services' own, so neither lets through what the other
cannot carry."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from servicekit.errors import InvalidArgument

if TYPE_CHECKING:
    from google.protobuf import timestamp_pb2

# Years people plan and count in; a year's or a month's bounds in any time zone stay inside
# protobuf's Timestamp (years 1-9999 in UTC) and Python's datetime.
FIRST_YEAR, LAST_YEAR = 1900, 9998
_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
# The same as a JSON Schema pattern, for documents that state it (the gateway's OpenAPI): the
# form, the years and the months; whether the day exists (02-30) only `day` can say.
_YEARS = r"(19[0-9]{2}|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"
DAY_PATTERN = rf"^{_YEARS}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
MONTH_PATTERN = rf"^{_YEARS}-(0[1-9]|1[0-2])$"
PERIOD_PATTERN = rf"^{_YEARS}(-(0[1-9]|1[0-2]|Q[1-4]))?$"  # a year, a month or a quarter (services.periods)
QUARTER_PATTERN = rf"^{_YEARS}-Q[1-4]$"  # a quarter alone (evaluation's member review)
# A moment's written year (RFC 3339 text): `problem_with` also sees it once in UTC.
MOMENT_PATTERN = rf"^{_YEARS}-"


def day(text: str, name: str) -> date:
    """A YYYY-MM-DD field: a real day, in ASCII digits, within the years; InvalidArgument naming
    the field otherwise (0001-01-01, 2026-02-30, 20260101 and 2026-W01-1 among them)."""
    match = _DAY.fullmatch(text) if isinstance(text, str) else None
    try:
        if match is None or not FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
            raise ValueError(text)
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise InvalidArgument(f"{name} must be a date, YYYY-MM-DD, years {FIRST_YEAR}-{LAST_YEAR}") from None


def problem_with(moment: datetime) -> str | None:
    """Why `moment` is not one a caller may name, or None."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        return "needs a time zone offset"
    try:
        year = moment.astimezone(UTC).year
    except OverflowError:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
        year = 0
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return f"must fall within the years {FIRST_YEAR}-{LAST_YEAR} (in UTC)"
    return None


def requested(message: object, field: str) -> datetime | None:
    """A request's Timestamp field as an aware UTC datetime, None if unset; InvalidArgument naming
    the field if it is not a moment a caller may name."""
    if not message.HasField(field):  # type: ignore[attr-defined]
        return None
    stamp: timestamp_pb2.Timestamp = getattr(message, field)
    try:
        moment = stamp.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):  # seconds or nanos outside what a Timestamp may hold
        raise InvalidArgument(f"{field}: not a valid timestamp") from None
    problem = problem_with(moment)
    if problem:
        raise InvalidArgument(f"{field}: {problem}")
    return moment
