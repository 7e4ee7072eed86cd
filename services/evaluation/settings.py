"""Evaluation's county settings (servicekit.county_settings): how long a household has to rate a
resolved matter, which a township, community or neighbourhood may override."""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import Field

from servicekit.county_settings import Definition
from servicekit.settings_store import CountySettings

RATING_PERIOD_DAYS: Definition[int] = Definition(
    key="evaluation.rating.period_days",
    description="How many days the household has to rate a resolved matter (一事一评). It is reminded a day before "
                "the end (halfway through a one-day period); unrated at the end, the matter is closed and counted "
                "as unrated.",
    type=Annotated[int, Field(ge=1, le=90)],
    default=7,
)

DEFINITIONS: tuple[Definition[Any], ...] = (RATING_PERIOD_DAYS,)


class EvaluationSettings:
    def __init__(self, county: CountySettings):
        self.county = county

    def rating_period(self, conn: sa.Connection, place_path: tuple[str, ...]) -> timedelta:
        return timedelta(days=self.county.value(conn, RATING_PERIOD_DAYS.key, place_path))
