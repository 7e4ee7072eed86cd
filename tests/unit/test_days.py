"""The days people name (a visit's, a talk session's, a meeting's, a deadline): real days within
the years every service holds, in one rule (servicekit.moments.day) wherever they are read."""
from __future__ import annotations

from datetime import date

import pytest

from servicekit import moments
from servicekit.errors import InvalidArgument
from services.deliberation import calendar
from services.intake.talks.domain import check_session
from services.intake.visits.domain import parse_day


@pytest.mark.parametrize("text", ["0001-01-01", "1899-12-31", "9999-01-01", "2026-02-30", "20260101", "2026-W01-1",
                                  "٢٠٢٦-01-01", "2026-01-01\n", ""])
def test_a_day_outside_the_calendar_or_in_another_form_is_refused(text):
    with pytest.raises(InvalidArgument, match="held_on must be a date, YYYY-MM-DD, years 1900-9998"):
        moments.day(text, "held_on")


@pytest.mark.parametrize("text, day", [("1900-01-01", date(1900, 1, 1)), ("2024-02-29", date(2024, 2, 29)),
                                       ("9998-12-31", date(9998, 12, 31))])
def test_a_real_day_within_the_years_is_read(text, day):
    assert moments.day(text, "held_on") == day


def test_visits_talks_and_deliberation_read_days_by_the_one_rule():
    with pytest.raises(InvalidArgument, match="visited_on must be a date"):
        parse_day("0001-01-01", "visited_on")
    with pytest.raises(InvalidArgument, match="held_on must be a date"):
        check_session("0001-01-01", [], 0, [], date(2026, 12, 2))
    with pytest.raises(InvalidArgument, match="meeting_on must be a date"):
        calendar.parse_date("0001-01-01", "meeting_on")
    assert calendar.parse_date("", "meeting_on") is None
