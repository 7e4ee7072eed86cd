"""GET requests' filters, read the way the spec describes them (no I/O here)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from servicekit.moments import LAST_YEAR
from services.gateway.open311.formats import Open311Error, parse_w3c_datetime

# "Default query limit is a span of 90 days or first 1000 requests returned, whichever is smallest."
WINDOW = timedelta(days=90)
MAX_REQUESTS = 1000
STATES = ("open", "closed")
# Dates a client may name. Without a bound, 0001-01-01 or 9999-12-31 overflow Python's datetime
# when the 90-day window is filled in (or protobuf's Timestamp after converting to UTC) and the
# answer was a 500; no concern predates 1970. The latest leaves room for the window filled in
# after it, within the years every service takes (servicekit/moments.py).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC) - WINDOW


@dataclass(frozen=True)
class RequestQuery:
    """Either explicit ids (which override every other filter, per the spec) or a search."""
    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    states: tuple[str, ...] = ()


def comma_list(text: str | None) -> tuple[str, ...]:
    """A comma-delimited argument's values, trimmed, without blanks or repeats."""
    return tuple(dict.fromkeys(v.strip() for v in (text or "").split(",") if v.strip()))


def request_query(args, now: datetime) -> RequestQuery:
    """GET requests' arguments (a mapping), or Open311Error(400) naming every problem."""
    ids = comma_list(args.get("service_request_id"))
    if ids:
        if len(ids) > MAX_REQUESTS:
            raise Open311Error(400, f"at most {MAX_REQUESTS} service_request_id values at once")
        return RequestQuery(ids=ids)
    problems = []
    start, end = (_moment(args.get(name), name, problems) for name in ("start_date", "end_date"))
    states = comma_list(args.get("status"))
    if any(s not in STATES for s in states):
        problems.append("status must be open, closed, or both comma-delimited")
    if start and end and end < start:
        problems.append("end_date is before start_date")
    elif start and end and end - start > WINDOW:
        problems.append(f"start_date to end_date may not span more than {WINDOW.days} days")
    if problems:
        raise Open311Error(400, *problems)
    if start is None and end is None:
        start, end = now - WINDOW, now
    elif start is None:
        start = end - WINDOW
    elif end is None:
        end = start + WINDOW
    return RequestQuery(service_codes=comma_list(args.get("service_code")), start=start, end=end,
                        states=states)


def _moment(text: str | None, name: str, problems: list[str]) -> datetime | None:
    if not (text or "").strip():
        return None  # the spec's "optional": empty means not given
    try:
        moment = parse_w3c_datetime(text, name).astimezone(UTC)
    except ValueError as exc:
        problems.append(str(exc))
        return None
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        moment = None
    if moment is None or not EARLIEST <= moment < LATEST:
        problems.append(f"{name} must fall between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC)")
        return None
    return moment
