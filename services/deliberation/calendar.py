"""Deliberation's calendar, in the county's time (UTC+8): what a date, a month, a quarter and a year
people write mean. One rule for the agenda, the figures, meeting days and deadlines. No I/O here."""
from __future__ import annotations

from datetime import date, datetime

from servicekit import moments
from services import periods


def parse_date(text: str, name: str) -> date | None:
    """A YYYY-MM-DD field (a real day, ASCII digits); None when empty."""
    return moments.day(text, name) if text else None


def period_bounds(period: str, name: str = "period", *, months_only: bool = False) -> tuple[datetime, datetime]:
    """"2026" (a year), "2026-Q4" (a quarter) or "2026-11" (a month) as [start, end) in the county's
    time (services.periods says what each means)."""
    found = periods.parse(period, name, (periods.MONTH,) if months_only else periods.KINDS)
    return found.start, found.end


def month_days(month: str) -> tuple[date, date]:
    """"2026-12" -> (2026-12-01, 2027-01-01): the month's first day and the next month's."""
    start, end = period_bounds(month, "month", months_only=True)
    return start.date(), end.date()
