"""Evaluation's county settings (servicekit.county_settings): how long a household has to rate a
resolved matter, which a township, community or neighbourhood may override."""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import Field

from servicekit.county_settings import Definition
from servicekit.settings_store import CountySettings
from services.evaluation.annual.domain import CutOffs, Weights
from services.evaluation.reviews.domain import Grading

RATING_PERIOD_DAYS: Definition[int] = Definition(
    key="evaluation.rating.period_days",
    description="How many days the household has to rate a resolved matter (一事一评). It is reminded a day before "
                "the end (halfway through a one-day period); unrated at the end, the matter is closed and counted "
                "as unrated.",
    type=Annotated[int, Field(ge=1, le=90)],
    default=7,
)

REVIEW_GRADING: Definition[Grading] = Definition(
    key="evaluation.review.grading",
    description="How the quarterly member review (季度综合评价) grades each member's quarter: the bars of excellent "
                "(优秀), qualified (合格) and basically qualified (基本合格), each at least a share of commitments "
                "fulfilled (of those made and not released), of those fulfilled on time, of ratings satisfied or "
                "basically satisfied, and at most so many rounds of rework; below them, unqualified (不合格). Those "
                "graded basically qualified or unqualified have rectification_days after the quarter's last day "
                "to rectify (限期整改).",
    type=Grading,
    default=Grading(),
)

ANNUAL_WEIGHTS: Definition[Weights] = Definition(
    key="evaluation.annual.weights",
    description="How the annual rating (年度量化评定) weighs each indicator of a neighbourhood's year: decisions "
                "implemented (议定事项落实: decided actions resolved), residents' satisfaction (ratings satisfied or "
                "basically satisfied), members' fulfilment (commitments fulfilled), visit coverage (households "
                "visited) and panel service (members who served on a panel). They add up to 1; the score is 100 "
                "times the weighted shares, the weights of indicators with nothing to measure going to the others. "
                "Set for the county, so every neighbourhood is scored alike.",
    type=Weights,
    default=Weights(),
    levels=("*", "county"),
)

ANNUAL_TIERS: Definition[CutOffs] = Definition(
    key="evaluation.annual.tiers",
    description="The annual rating's tiers: a score (0-100) at or above advanced is advanced (先进), below lagging is "
                "lagging (后进), between them average (一般).",
    type=CutOffs,
    default=CutOffs(),
    levels=("*", "county"),
)

DEFINITIONS: tuple[Definition[Any], ...] = (RATING_PERIOD_DAYS, REVIEW_GRADING, ANNUAL_WEIGHTS, ANNUAL_TIERS)


class EvaluationSettings:
    def __init__(self, county: CountySettings):
        self.county = county

    def rating_period(self, conn: sa.Connection, place_path: tuple[str, ...]) -> timedelta:
        return timedelta(days=self.county.value(conn, RATING_PERIOD_DAYS.key, place_path))

    def annual_weights(self, conn: sa.Connection, county_path: tuple[str, ...]) -> Weights:
        weights: Weights = self.county.value(conn, ANNUAL_WEIGHTS.key, county_path)
        return weights

    def annual_tiers(self, conn: sa.Connection, county_path: tuple[str, ...]) -> CutOffs:
        cut_offs: CutOffs = self.county.value(conn, ANNUAL_TIERS.key, county_path)
        return cut_offs

    def review_grading(self, conn: sa.Connection, place_path: tuple[str, ...]) -> Grading:
        grading: Grading = self.county.value(conn, REVIEW_GRADING.key, place_path)
        return grading
