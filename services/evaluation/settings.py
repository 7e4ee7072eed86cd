"""Evaluation's county settings (servicekit.county_settings): how long a household has to rate a
resolved matter, which a township, community or neighbourhood may override."""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import Field

from servicekit.county_settings import Definition
from servicekit.settings_store import CountySettings
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

DEFINITIONS: tuple[Definition[Any], ...] = (RATING_PERIOD_DAYS, REVIEW_GRADING)


class EvaluationSettings:
    def __init__(self, county: CountySettings):
        self.county = county

    def rating_period(self, conn: sa.Connection, place_path: tuple[str, ...]) -> timedelta:
        return timedelta(days=self.county.value(conn, RATING_PERIOD_DAYS.key, place_path))

    def review_grading(self, conn: sa.Connection, place_path: tuple[str, ...]) -> Grading:
        grading: Grading = self.county.value(conn, REVIEW_GRADING.key, place_path)
        return grading
