"""The annual rating (年度量化评定): the community party committee's yearly score of each
neighbourhood party organisation from weighted indicators, its tier (advanced 先进, average 一般,
lagging 后进) and its place in the community's, township's and county's rankings. No I/O here.

Every indicator is a share of something counted over the year (the county's time):
- decisions implemented (议定事项落实): actions of the joint meeting's decisions resolved, of those decided;
- satisfaction: ratings satisfied or basically satisfied, of those given (the satisfaction rate of
  the tasks opened in the year, as the three rates count it);
- fulfilment: members' commitments fulfilled, of those made and not released (their ledgers);
- visit coverage: households visited at least once, of the neighbourhood's households;
- panel service: members who served on at least one panel, of the neighbourhood's members.
The score is 100 × the weighted mean of the shares there is something to measure (a neighbourhood
that decided nothing is not marked down for it: the other weights carry its score); with nothing
measured at all it is 0. Scores are exact fractions, so one exactly at a cut-off is in the tier
the cut-off opens.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.evaluation.contract import INDICATORS, TIERS

ADVANCED, AVERAGE, LAGGING = TIERS
DECISIONS, SATISFACTION, FULFILMENT, VISIT_COVERAGE, PANEL_SERVICE = INDICATORS

Weight = Annotated[float, Field(ge=0, le=1)]
CutOff = Annotated[float, Field(ge=0, le=100)]


@dataclass(frozen=True)
class Decided:
    """The joint meeting's decision (deliberation's DecisionMade): the actions it decided."""

    decision_id: str
    neighbourhood_id: str
    decided_at: datetime
    action_ids: tuple[str, ...]


@dataclass(frozen=True)
class ActionReopened:
    """A decided action's task reopened for rework (dispatch's TaskReopened): not implemented until
    its rework round is resolved."""

    action_id: str
    round: int  # dispatch's rework round, from 1


class Weights(BaseModel):
    """How much each indicator weighs; together they make 1."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decisions_implemented: Weight = 0.3
    satisfaction: Weight = 0.3
    fulfilment: Weight = 0.2
    visit_coverage: Weight = 0.1
    panel_service: Weight = 0.1

    @model_validator(mode="after")
    def _whole(self) -> Weights:
        if sum(self.exact(name) for name in INDICATORS) != 1:
            raise ValueError("the weights must add up to 1")
        return self

    def exact(self, indicator: str) -> Fraction:
        """The weight as the county wrote it (0.1 is one tenth, not the float nearest it)."""
        return Fraction(str(getattr(self, indicator)))


class CutOffs(BaseModel):
    """Scores (0-100) from which a neighbourhood is advanced, and below which it is lagging."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    advanced: CutOff = 85
    lagging: CutOff = 60

    @model_validator(mode="after")
    def _ordered(self) -> CutOffs:
        if self.lagging > self.advanced:
            raise ValueError("lagging's cut-off must not be above advanced's")
        return self


@dataclass(frozen=True)
class Counts:
    """What a neighbourhood's year counted, each indicator's part and whole."""

    actions_decided: int = 0
    actions_resolved: int = 0
    ratings: int = 0
    ratings_satisfied: int = 0  # satisfied or basically satisfied
    commitments_kept: int = 0  # made and not released
    commitments_fulfilled: int = 0
    households: int = 0
    households_visited: int = 0
    members: int = 0
    members_on_panels: int = 0

    def shares(self) -> dict[str, Fraction | None]:
        def of(part: int, whole: int) -> Fraction | None:
            return Fraction(min(part, whole), whole) if whole else None

        return {DECISIONS: of(self.actions_resolved, self.actions_decided),
                SATISFACTION: of(self.ratings_satisfied, self.ratings),
                FULFILMENT: of(self.commitments_fulfilled, self.commitments_kept),
                VISIT_COVERAGE: of(self.households_visited, self.households),
                PANEL_SERVICE: of(self.members_on_panels, self.members)}


# What each indicator's share is of: (part, whole) among a year's counts.
PARTS = {DECISIONS: ("actions_resolved", "actions_decided"), SATISFACTION: ("ratings_satisfied", "ratings"),
         FULFILMENT: ("commitments_fulfilled", "commitments_kept"),
         VISIT_COVERAGE: ("households_visited", "households"), PANEL_SERVICE: ("members_on_panels", "members")}


@dataclass(frozen=True)
class Component:
    """One indicator of a score, shown: its share, its weight and the points it brought."""

    indicator: str
    share: Fraction | None
    weight: Fraction
    points: Fraction


@dataclass(frozen=True)
class Score:
    total: Fraction
    components: tuple[Component, ...]


def score(counts: Counts, weights: Weights) -> Score:
    shares = counts.shares()
    measured = sum((weights.exact(name) for name, share in shares.items() if share is not None), Fraction(0))
    components = []
    for name, share in shares.items():
        weight = weights.exact(name)
        points = 100 * weight * share / measured if share is not None and measured else Fraction(0)
        components.append(Component(name, share, weight, points))
    return Score(sum((c.points for c in components), Fraction(0)), tuple(components))


def tier(total: Fraction, cut_offs: CutOffs) -> str:
    """Advanced from its cut-off up, lagging below its cut-off, average between."""
    if total >= Fraction(str(cut_offs.advanced)):
        return ADVANCED
    if total < Fraction(str(cut_offs.lagging)):
        return LAGGING
    return AVERAGE


def ranks(scores: dict[str, Fraction]) -> dict[str, int]:
    """Each one's place by score, highest first; equal scores share a place and the next place
    skips as many (1, 2, 2, 4)."""
    ordered = sorted(scores.values(), reverse=True)
    first_place: dict[Fraction, int] = {}
    for index, value in enumerate(ordered, start=1):
        first_place.setdefault(value, index)
    return {key: first_place[value] for key, value in scores.items()}


def rounded(value: Fraction | None, places: int = 2) -> float | None:
    return None if value is None else round(float(value), places)
