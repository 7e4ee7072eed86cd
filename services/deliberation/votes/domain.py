"""The residents' vote (议不议) in numbers: the tally and the rule that accepts or rejects a topic.
No I/O here.

Both shares are "at least": a quorum of 0.5 is met when half the households have voted, and a
threshold of 0.5 when half the votes are yes. The arithmetic is exact (fractions of the decimal
the county set), so 0.3 of 10 households is 3 votes, not 2.9999.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from servicekit.errors import InvalidArgument
from services.deliberation.contract import VOTE_CHOICES

QUORUM_MISSED, THRESHOLD_MISSED = "quorum_missed", "threshold_missed"


@dataclass(frozen=True)
class VoteRule:
    """The county's shares for a place: the quorum (share of the directory's households that must
    vote) and the threshold (share of yes among the votes)."""

    quorum: float
    threshold: float

    def __post_init__(self) -> None:
        if not (0 <= self.quorum <= 1 and 0 < self.threshold <= 1):
            raise ValueError(f"quorum must be in [0, 1] and threshold in (0, 1], not {self}")


@dataclass(frozen=True)
class Count:
    """Votes cast, and the households that could vote."""

    yes: int
    no: int
    households: int

    @property
    def votes(self) -> int:
        return self.yes + self.no


@dataclass(frozen=True)
class Outcome:
    accepted: bool
    rejection_reason: str = ""  # quorum_missed or threshold_missed when not accepted


def share(value: float) -> Fraction:
    """A county share as the exact decimal it was written as (0.3 is 3/10, not the binary
    float nearest to it)."""
    return Fraction(repr(value))


def quorum_met(count: Count, rule: VoteRule) -> bool:
    return count.votes >= share(rule.quorum) * count.households


def threshold_met(count: Count, rule: VoteRule) -> bool:
    """At least the threshold's share of the votes are yes; no votes meet no threshold."""
    return count.votes > 0 and count.yes >= share(rule.threshold) * count.votes


def outcome(count: Count, rule: VoteRule) -> Outcome:
    """Accepted, or rejected and why. The quorum is checked first: that too few voted says more
    than how the few voted."""
    if not quorum_met(count, rule):
        return Outcome(False, QUORUM_MISSED)
    if not threshold_met(count, rule):
        return Outcome(False, THRESHOLD_MISSED)
    return Outcome(True)


@dataclass(frozen=True)
class Tally:
    """The vote as it stands (open: the households in the directory now, the county's shares
    now) or as it closed."""

    count: Count
    rule: VoteRule
    closed: bool
    closes_at: datetime | None
    closed_at: datetime | None = None  # the window's end, or earlier if the secretary closed it
    closed_early: bool = False

    @property
    def quorum_met(self) -> bool:
        return quorum_met(self.count, self.rule)

    @property
    def threshold_met(self) -> bool:
        return threshold_met(self.count, self.rule)


def check_choice(choice: str) -> None:
    if choice not in VOTE_CHOICES:
        raise InvalidArgument(f"choice must be one of {', '.join(VOTE_CHOICES)}")


def decimal_text(value: float) -> str:
    """A share as people read it: 0.5, not 0.50000001, and 0.00001, not 1e-05."""
    return format(Decimal(repr(value)), "f")
