"""Deliberation's calendar, in the county's time (UTC+8): what a date, a month and a year people
write mean. One rule for the agenda, the figures, meeting days and deadlines. No I/O here."""
from __future__ import annotations

import re
from datetime import date, datetime

from servicekit import moments
from servicekit.errors import InvalidArgument
from servicekit.moments import FIRST_YEAR, LAST_YEAR
from services.deliberation.contract import COUNTY_TIME

_PERIOD = re.compile(r"([0-9]{4})(?:-([0-9]{2}))?")


def parse_date(text: str, name: str) -> date | None:
    """A YYYY-MM-DD field (a real day, ASCII digits); None when empty."""
    return moments.day(text, name) if text else None


def period_bounds(period: str, name: str = "period", *, months_only: bool = False) -> tuple[datetime, datetime]:
    """"2026" (a year) or "2026-11" (a month) as [start, end) in the county's time."""
    match = _PERIOD.fullmatch(period)
    year = int(match[1]) if match else 0
    month = int(match[2]) if match and match[2] else 0
    wanted = "a month (YYYY-MM)" if months_only else "a year (YYYY) or a month (YYYY-MM)"
    if match is None or not FIRST_YEAR <= year <= LAST_YEAR or (match[2] and not 1 <= month <= 12) or \
            (months_only and not month):
        raise InvalidArgument(f"{name} must be {wanted}, years {FIRST_YEAR}-{LAST_YEAR}")
    if not month:
        return datetime(year, 1, 1, tzinfo=COUNTY_TIME), datetime(year + 1, 1, 1, tzinfo=COUNTY_TIME)
    return (datetime(year, month, 1, tzinfo=COUNTY_TIME),
            datetime(year + month // 12, month % 12 + 1, 1, tzinfo=COUNTY_TIME))


def month_days(month: str) -> tuple[date, date]:
    """"2026-12" -> (2026-12-01, 2027-01-01): the month's first day and the next month's."""
    start, end = period_bounds(month, "month", months_only=True)
    return start.date(), end.date()
