"""The REST API's bodies for the quarterly member review (季度综合评价): which quarter and format
callers ask for, and a member's review as they get it. Shape and bounds only (from
services/evaluation/contract.py); grades, scope and the county's rules are the service's."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from services.evaluation.contract import (
    ANNUAL_FIRST_YEAR,
    ANNUAL_LAST_YEAR,
    ANNUAL_VERSION_MAX,
    BULLETIN_FORMATS,
    GRADES,
    INDICATORS,
    QUARTER_PATTERN,
    TIERS,
)
from services.gateway.bounds import StrictBody as _Strict

Quarter = Annotated[str, Field(pattern=QUARTER_PATTERN, description="YYYY-Qn in the county's time, e.g. 2026-Q1")]
Grade = Literal[GRADES]


class ReviewQuery(_Strict):
    quarter: Quarter | None = Field(None, description="YYYY-Qn in the county's time, e.g. 2026-Q1; left out, the "
                                                      "current quarter")


class ReviewListQuery(ReviewQuery):
    format: Literal["json", "csv"] | None = Field(None, description="csv for text/csv (or send Accept: text/csv): "
                                                                    "one row per member")


class BulletinQuery(_Strict):
    quarter: Quarter | None = Field(None, description="YYYY-Qn in the county's time, e.g. 2026-Q1; left out, the "
                                                      "current quarter")
    format: Literal[BULLETIN_FORMATS] | None = Field(
        None, description="text: zh-CN plain text (the default); csv: one row per member (or send Accept: text/csv)")


class MemberReviewOut(BaseModel):
    """A member's quarter from their commitment ledger (践诺台账), graded by the county's rules.
    Commitments count in the quarter they were made; door visits and panels in the quarter they
    happened."""

    member_id: str
    member_name: str = Field(description="The name the directory knows the member by")
    neighbourhood_id: str | None
    quarter: str
    committed: int = Field(description="Commitments made (承诺)")
    fulfilled: int = Field(description="Of them, fulfilled (践诺)")
    fulfilled_on_time: int = Field(description="Of them, fulfilled by the deadline")
    open: int = Field(description="Of them, not yet fulfilled")
    released: int = Field(description="Of them, taken from the member (reassigned or escalated)")
    satisfied: int = Field(description="Residents' latest rating of each commitment (评诺)")
    basically_satisfied: int
    unsatisfied: int
    rework_rounds: int
    door_visits: int
    panels_served: int
    fulfilment_rate: float | None = Field(description="fulfilled / (committed - released), to 4 places; null with "
                                                      "nothing to measure")
    on_time_rate: float | None = Field(description="fulfilled_on_time / fulfilled")
    satisfaction_rate: float | None = Field(description="(satisfied + basically_satisfied) / rated")
    grade: Grade = Field(description="excellent 优秀, qualified 合格, basically_qualified 基本合格, unqualified "
                                     "不合格; not_assessed: no commitment of their own in the quarter")
    shortfalls: list[Literal["fulfilment", "on_time", "satisfaction", "rework_rounds"]] = Field(
        description="What fell short of qualified's bar")
    rectify_by: str | None = Field(description="The rectification deadline (限期整改), YYYY-MM-DD, for those graded "
                                               "below qualified")


class MemberReviewListOut(BaseModel):
    """Every member of a neighbourhood reviewed for a quarter, best grade first."""

    neighbourhood_id: str
    neighbourhood_name: str
    quarter: str
    reviews: list[MemberReviewOut]


DOCUMENTED = [MemberReviewOut, MemberReviewListOut]


# -- the annual rating ----------------------------------------------------------------------------

AnnualYear = Annotated[int, Field(ge=ANNUAL_FIRST_YEAR, le=ANNUAL_LAST_YEAR)]


class AnnualYearPath(_Strict):
    year: AnnualYear


class AnnualVersionPath(_Strict):
    year: AnnualYear
    version: Annotated[int, Field(ge=1, le=ANNUAL_VERSION_MAX)]


class AnnualQuery(_Strict):
    place_id: str | None = Field(None, min_length=1, max_length=64,
                                 description="A neighbourhood, community, township or the county; left out, yours")
    version: Annotated[int, Field(ge=0, le=ANNUAL_VERSION_MAX)] = Field(
        0, description="0 (or left out): the latest published")
    format: Literal["json", "csv"] | None = Field(None, description="csv for text/csv (or send Accept: text/csv)")


class AnnualVersionOut(BaseModel):
    county_id: str
    year: int
    version: int
    calculated_at: datetime
    calculated_by: str
    published_at: datetime | None = Field(description="Null until published; a published version never changes")
    published_by: str | None


class AnnualComponentOut(BaseModel):
    indicator: Literal[INDICATORS]
    share: float | None = Field(description="part / whole, to 4 places; null with nothing to measure")
    part: int
    whole: int
    weight: float
    points: float = Field(description="What the indicator brought to the score")


class AnnualRatingOut(BaseModel):
    neighbourhood_id: str
    neighbourhood_name: str
    score: float = Field(description="0-100, to 2 places")
    components: list[AnnualComponentOut]
    tier: Literal[TIERS] = Field(description="advanced 先进, average 一般, lagging 后进")
    rank_in_community: int
    rank_in_township: int
    rank_in_county: int


class AnnualRatingsOut(BaseModel):
    version: AnnualVersionOut
    ratings: list[AnnualRatingOut]


class AnnualVersionsOut(BaseModel):
    versions: list[AnnualVersionOut]


DOCUMENTED += [AnnualVersionOut, AnnualRatingsOut, AnnualVersionsOut]
