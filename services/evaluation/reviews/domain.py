"""The quarterly member review (季度综合评价): what each member's commitment ledger (践诺台账) says
of a quarter, and the grade the county's rules give it. No I/O here.

A commitment counts in the quarter it was made (county time), with what became of it since:
fulfilled (on time or late), released (the task went to someone else or up a tier), the
residents' latest rating of it and its rounds of rework. Door visits and panels count in the
quarter they happened. Shares are exact fractions, so a member exactly at a bar meets it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from itertools import pairwise
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services import periods
from services.evaluation.contract import GRADES

EXCELLENT, QUALIFIED, BASICALLY_QUALIFIED, UNQUALIFIED, NOT_ASSESSED = GRADES
# The bars, best first: a review's grade is the first whose every criterion it meets.
_BARRED = (EXCELLENT, QUALIFIED, BASICALLY_QUALIFIED)
# Grades below this one get a rectification deadline (限期整改).
_RECTIFIED = (BASICALLY_QUALIFIED, UNQUALIFIED)

Share = Annotated[float, Field(ge=0, le=1)]


# -- what evaluation hears for the reviews (the other services' events in its words) ------------

@dataclass(frozen=True)
class Committed:
    """A member took a task on (承诺): assigned, or claimed from the pool (dispatch's TaskAssigned)."""

    task_id: str
    neighbourhood_id: str
    member_id: str
    member_name: str
    committed_at: datetime
    deadline: datetime | None  # a task's always has one; an event without it is kept without


@dataclass(frozen=True)
class Released:
    """The task went up a tier (TaskEscalated): its open commitment is no longer its member's."""

    task_id: str
    at: datetime | None = None


@dataclass(frozen=True)
class Reopened:
    """An unsatisfied rating sent the task back (TaskReopened): a round of rework for the member
    whose commitment last fulfilled it."""

    task_id: str
    round: int
    deadline: datetime | None


@dataclass(frozen=True)
class Visited:
    """A member's door visit (intake's DoorVisitRecorded)."""

    visit_id: str
    neighbourhood_id: str
    member_id: str
    household_id: str
    visited_on: date


@dataclass(frozen=True)
class PanelServed:
    """Members confirmed on a topic's panel (deliberation's PanelConfirmed)."""

    topic_id: str
    member_ids: tuple[str, ...]


# -- quarters (services/periods.py: the one rule for periods) ---------------------------------------

def check_quarter(text: str) -> str:
    """A quarter as callers name it ("2026-Q1"), or InvalidArgument naming the field."""
    return periods.parse(text, "quarter", (periods.QUARTER,)).text


def last_day(quarter: str) -> date:
    """The quarter's last day."""
    return periods.parse(quarter, "quarter", (periods.QUARTER,)).last_day


# -- the county's grading rules (the setting evaluation.review.grading) ----------------------------

class Bar(BaseModel):
    """What a grade asks of a quarter: at least these shares, at most so many rounds of rework."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fulfilment: Share = Field(description="Commitments fulfilled, of those made and not released")
    on_time: Share = Field(description="Fulfilled by the deadline, of those fulfilled")
    satisfaction: Share = Field(description="Rated satisfied or basically satisfied, of those rated")
    rework_rounds: Annotated[int, Field(ge=0, le=1000)] = Field(description="At most this many rounds of rework")


class Grading(BaseModel):
    """The bars of 优秀, 合格 and 基本合格 (below them 不合格), and how many days after the quarter's
    last day those graded 基本合格 or 不合格 have to rectify (限期整改)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    excellent: Bar = Bar(fulfilment=0.95, on_time=0.9, satisfaction=0.9, rework_rounds=0)
    qualified: Bar = Bar(fulfilment=0.8, on_time=0.7, satisfaction=0.7, rework_rounds=2)
    basically_qualified: Bar = Bar(fulfilment=0.6, on_time=0.5, satisfaction=0.5, rework_rounds=4)
    rectification_days: Annotated[int, Field(ge=1, le=365)] = 30

    @model_validator(mode="after")
    def _bars_descend(self) -> Grading:
        bars = [self.excellent, self.qualified, self.basically_qualified]
        for higher, lower in pairwise(bars):
            if (higher.fulfilment < lower.fulfilment or higher.on_time < lower.on_time
                    or higher.satisfaction < lower.satisfaction or higher.rework_rounds > lower.rework_rounds):
                raise ValueError("each grade's bar must be at least as high as the one below it")
        return self

    def bar(self, grade: str) -> Bar:
        bar: Bar = getattr(self, grade)
        return bar


# -- a member's quarter ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Tally:
    """A member's quarter as their ledger and the events say it."""

    committed: int = 0
    fulfilled: int = 0
    on_time: int = 0
    open: int = 0
    released: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0
    unsatisfied: int = 0
    rework_rounds: int = 0
    door_visits: int = 0
    panels: int = 0

    @property
    def rated(self) -> int:
        return self.satisfied + self.basically_satisfied + self.unsatisfied

    @property
    def fulfilment(self) -> Fraction | None:
        """Fulfilled of the commitments that stayed the member's (None: none did)."""
        kept = self.committed - self.released
        return Fraction(self.fulfilled, kept) if kept else None

    @property
    def on_time_share(self) -> Fraction | None:
        return Fraction(self.on_time, self.fulfilled) if self.fulfilled else None

    @property
    def satisfaction(self) -> Fraction | None:
        return Fraction(self.satisfied + self.basically_satisfied, self.rated) if self.rated else None


# What each criterion is called when a review falls short of it (for the bulletin).
FULFILMENT, ON_TIME, SATISFACTION, REWORK = "fulfilment", "on_time", "satisfaction", "rework_rounds"


@dataclass(frozen=True)
class Shortfall:
    criterion: str
    bar: float | int


@dataclass(frozen=True)
class Review:
    """A member's quarterly review: their tally, its grade, where it fell short of 合格 and, for
    those late or poor, by when to rectify."""

    member_id: str
    member_name: str
    neighbourhood_id: str
    quarter: str
    tally: Tally
    grade: str
    shortfalls: tuple[Shortfall, ...] = ()
    rectify_by: date | None = None


def _shortfalls(tally: Tally, bar: Bar) -> tuple[Shortfall, ...]:
    """The criteria of `bar` the tally misses. A share with nothing to measure (no commitment
    kept, none fulfilled, none rated) is not held against the member."""
    missed = []
    for criterion, share, least in ((FULFILMENT, tally.fulfilment, bar.fulfilment),
                                    (ON_TIME, tally.on_time_share, bar.on_time),
                                    (SATISFACTION, tally.satisfaction, bar.satisfaction)):
        if share is not None and share < Fraction(str(least)):
            missed.append(Shortfall(criterion, least))
    if tally.rework_rounds > bar.rework_rounds:
        missed.append(Shortfall(REWORK, bar.rework_rounds))
    return tuple(missed)


def review(member_id: str, member_name: str, neighbourhood_id: str, quarter: str, tally: Tally,
           grading: Grading) -> Review:
    """Grade a quarter: the best grade whose bar it meets, else 不合格; a member who made no
    commitment that stayed theirs is not assessed. Graded 基本合格 or 不合格, they rectify within
    the county's days after the quarter's last day, and the review says what fell short of 合格."""
    if tally.committed - tally.released == 0:
        return Review(member_id, member_name, neighbourhood_id, quarter, tally, NOT_ASSESSED)
    grade = next((g for g in _BARRED if not _shortfalls(tally, grading.bar(g))), UNQUALIFIED)
    if grade not in _RECTIFIED:
        return Review(member_id, member_name, neighbourhood_id, quarter, tally, grade)
    return Review(member_id, member_name, neighbourhood_id, quarter, tally, grade,
                  _shortfalls(tally, grading.qualified),
                  last_day(quarter) + timedelta(days=grading.rectification_days))


def share(value: Fraction | None) -> float | None:
    """A share as shown: to 4 places."""
    return None if value is None else round(float(value), 4)
