"""The county's periods: what a year, a quarter and a month cover, in the county's time."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from servicekit.errors import InvalidArgument
from services import periods


@pytest.mark.parametrize(("text", "kind", "first", "last"), [
    ("2026", "year", date(2026, 1, 1), date(2026, 12, 31)),
    ("2026-Q1", "quarter", date(2026, 1, 1), date(2026, 3, 31)),
    ("2024-Q1", "quarter", date(2024, 1, 1), date(2024, 3, 31)),
    ("2026-Q3", "quarter", date(2026, 7, 1), date(2026, 9, 30)),
    ("2026-Q4", "quarter", date(2026, 10, 1), date(2026, 12, 31)),
    ("2024-02", "month", date(2024, 2, 1), date(2024, 2, 29)),
    ("2026-12", "month", date(2026, 12, 1), date(2026, 12, 31)),
    ("9998-Q4", "quarter", date(9998, 10, 1), date(9998, 12, 31)),
])
def test_a_period_covers_its_days(text, kind, first, last):
    assert periods.parse(text) == periods.Period(text, kind, first, last)


def test_a_period_starts_and_ends_at_midnight_in_the_county():
    q4 = periods.parse("2026-Q4")
    assert q4.start == datetime(2026, 9, 30, 16, tzinfo=UTC)
    assert q4.end == datetime(2026, 12, 31, 16, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2026-Q5", "2026-Q0", "2026-q4", "2026-Q", "2026-13", "2026-00", "2026-1",
                                  "0001", "10000", "2026-W01", "2026-11-01", "٢٠٢٦", "2026\n", ""])
def test_anything_else_is_refused_naming_the_field(text):
    with pytest.raises(InvalidArgument, match=r"^when must be a year"):
        periods.parse(text, "when")


def test_a_caller_may_take_only_some_kinds():
    assert periods.parse("2026-11", kinds=(periods.MONTH,)).kind == "month"
    with pytest.raises(InvalidArgument, match=r"^month must be a month \(YYYY-MM\), years"):
        periods.parse("2026-Q4", "month", (periods.MONTH,))


def test_a_quarter_is_named_as_parse_reads_it():
    assert periods.quarter_of(date(2026, 12, 31)) == "2026-Q4"
    assert periods.quarter_of_moment(datetime(2026, 3, 31, 16, 0, tzinfo=UTC)) == "2026-Q2", "April 1st in UTC+8"
    assert periods.quarters(2026) == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    for text in periods.quarters(2026):
        assert periods.parse(text).kind == periods.QUARTER
