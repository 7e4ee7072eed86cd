"""The REST API's bodies for the quarterly member review (季度综合评价): which quarter and format
callers ask for, and a member's review as they get it. Shape and bounds only (from
services/evaluation/contract.py); grades, scope and the county's rules are the service's."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from services.evaluation.contract import BULLETIN_FORMATS, GRADES, QUARTER_PATTERN
from services.gateway.bounds import StrictBody as _Strict

Quarter = Annotated[str, Field(pattern=QUARTER_PATTERN, description="YYYY-Qn in the county's time, e.g. 2026-Q1")]
Grade = Literal[GRADES]


class ReviewQuery(_Strict):
    quarter: Quarter | None = Field(None, description="Left out, the current quarter")


class BulletinQuery(_Strict):
    quarter: Quarter | None = Field(None, description="Left out, the current quarter")
    format: Literal[BULLETIN_FORMATS] = Field("text", description="text: zh-CN plain text; csv: one row per member")


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
