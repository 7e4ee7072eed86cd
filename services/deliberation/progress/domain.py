"""A decision's progress (议定事项落实): which of its actions dispatch resolved, and how residents
rated them, as dispatch's and evaluation's events report it. No I/O here.

Each action keeps two facts, each from its own source: whether it is resolved (dispatch: resolved,
or reopened for rework) and its latest rating (evaluation). Events of one source arrive in order
per neighbourhood, but a replay may bring an older one late: each fact is replaced only by a
report at least as new as the one it holds.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")


# -- what deliberation hears ------------------------------------------------------------------------

@dataclass(frozen=True)
class ActionResolved:
    """Dispatch resolved the task handing out a decision's action (empty ids: not a decision's)."""

    decision_id: str
    action_id: str
    resolved_at: datetime
    on_time: bool


@dataclass(frozen=True)
class ActionReopened:
    """A resolved action's task was reopened for rework after an unsatisfied rating."""

    decision_id: str
    action_id: str
    round: int


@dataclass(frozen=True)
class ActionRated:
    """Residents rated the matter an action's task handled; the latest rating stands."""

    decision_id: str
    action_id: str
    rating: str  # one of RATINGS
    rated_at: datetime


# -- what a decision shows ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ActionProgress:
    action_id: str
    resolved_at: datetime | None = None
    on_time: bool = False
    rework_rounds: int = 0
    rating: str = ""
    rated_at: datetime | None = None

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None


@dataclass(frozen=True)
class DecisionProgress:
    """How far a decision's plan has come: actions, resolved, and the ratings given."""

    actions: int
    resolved: int
    ratings: dict[str, int]

    @classmethod
    def of(cls, action_ids: Iterable[str], progress: dict[str, ActionProgress]) -> DecisionProgress:
        ids = list(action_ids)
        known = [progress[action_id] for action_id in ids if action_id in progress]
        rated = Counter(p.rating for p in known if p.rating)
        return cls(actions=len(ids), resolved=sum(1 for p in known if p.resolved),
                   ratings={rating: rated.get(rating, 0) for rating in RATINGS})
