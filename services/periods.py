"""The county's periods as people write them, and the days each covers in the county's time (UTC+8):
a year (2026), a quarter (2026-Q4: October to December) or a month (2026-11). One rule for every
report by period (deliberation's figures, the county's figures report, the three rates), so that
"2026-Q4" means the same days everywhere. A contract module: it imports nothing of any service,
so the gateway may read it. No I/O here."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from servicekit.errors import InvalidArgument
from servicekit.moments import FIRST_YEAR, LAST_YEAR, PERIOD_PATTERN
from services.contract import COUNTY_TIME

YEAR, QUARTER, MONTH = "year", "quarter", "month"
KINDS = (YEAR, QUARTER, MONTH)
_SPELLING = {YEAR: "a year (YYYY)", QUARTER: "a quarter (YYYY-Q1 to YYYY-Q4)", MONTH: "a month (YYYY-MM)"}
# [0-9], not \d: \d also matches other scripts' digits. Q in capitals only, as the API documents it.
_PERIOD = re.compile(r"([0-9]{4})(?:-([0-9]{2})|-Q([0-9]))?")
# The same spelling as a schema pattern states it (the API's documents); parse() is the rule.
PATTERN = PERIOD_PATTERN


@dataclass(frozen=True)
class Period:
    """A period as written, and its days: from `first_day` to `last_day`, both included."""

    text: str
    kind: str
    first_day: date
    last_day: date

    @property
    def start(self) -> datetime:
        """Its first moment, in the county's time."""
        return datetime.combine(self.first_day, time(), COUNTY_TIME)

    @property
    def end(self) -> datetime:
        """The first moment after it: [start, end) holds every moment of the period."""
        return datetime.combine(self.last_day + timedelta(days=1), time(), COUNTY_TIME)


def parse(text: str, name: str = "period", kinds: tuple[str, ...] = KINDS) -> Period:
    """The period `text` names, of one of `kinds`, or InvalidArgument naming the field `name`."""
    match = _PERIOD.fullmatch(text)
    year = int(match[1]) if match else 0
    kind = (MONTH if match[2] else QUARTER if match[3] else YEAR) if match else ""
    number = int(match[2] or match[3] or 0) if match else 0
    if match is None or kind not in kinds or not FIRST_YEAR <= year <= LAST_YEAR or \
            (kind == MONTH and not 1 <= number <= 12) or (kind == QUARTER and not 1 <= number <= 4):
        wanted = " or ".join(_SPELLING[k] for k in kinds)
        raise InvalidArgument(f"{name} must be {wanted}, years {FIRST_YEAR}-{LAST_YEAR}, in the county's time")
    first_month, months = (1, 12) if kind == YEAR else (3 * number - 2, 3) if kind == QUARTER else (number, 1)
    first = date(year, first_month, 1)
    after = date(year + (first_month + months - 1) // 12, (first_month + months - 1) % 12 + 1, 1)
    return Period(text, kind, first, after - timedelta(days=1))


def quarter_of(day: date) -> str:
    """The quarter a county-time day falls in, as written: "2026-Q4"."""
    return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"


def quarter_of_moment(moment: datetime) -> str:
    """The quarter a moment falls in, in the county's time."""
    return quarter_of(moment.astimezone(COUNTY_TIME).date())


def quarters(year: int) -> list[str]:
    """A year's four quarters, as written."""
    return [quarter_of(date(year, month, 1)) for month in (1, 4, 7, 10)]
