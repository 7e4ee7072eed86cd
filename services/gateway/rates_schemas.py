"""The REST API's shapes for the three rates (响应率 / 解决率 / 满意率): which subject and period a
caller asks for, and the answer. Shape and bounds only; who may read whose rates is the service's."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from services.gateway.bounds import StrictBody as _Strict
from services.gateway.deliberation_schemas import Id, Period


class RatesQuery(_Strict):
    place_id: Id | None = Field(None, description="A neighbourhood, community, township or the county")
    member_id: Id | None = Field(None, description="A member: the tasks they handle")
    department_id: Id | None = Field(None, description="A county department: the tasks it was whistled to")
    period: Period
    format: Literal["json", "csv"] | None = Field(None, description="csv for text/csv (or send Accept: text/csv)")

    @model_validator(mode="after")
    def _one_subject(self) -> RatesQuery:
        if sum(subject is not None for subject in (self.place_id, self.member_id, self.department_id)) != 1:
            raise ValueError("name exactly one of place_id, member_id, department_id")
        return self


class RatesOut(BaseModel):
    """A subject's tasks opened in the period and what is known of them now (see the endpoint's
    description for exactly what each figure counts)."""

    place_id: str | None
    member_id: str | None
    department_id: str | None
    period: str
    tasks: int = Field(description="Tasks opened in the period")
    responded: int = Field(description="Of them, acted on by the deadline they were opened with")
    resolved: int = Field(description="Of them, resolved and not reopened for rework since")
    satisfied: int = Field(description="Ratings 满意 of every round of their matters")
    basically_satisfied: int = Field(description="Ratings 基本满意")
    unsatisfied: int = Field(description="Ratings 不满意")
    unrated: int = Field(description="Rounds closed unrated when the rating period passed")
    response_rate: float | None = Field(description="responded / tasks; null with no tasks")
    resolution_rate: float | None = Field(description="resolved / tasks; null with no tasks")
    satisfaction_rate: float | None = Field(description="(satisfied + basically_satisfied) / ratings; null with "
                                                        "no ratings")
    median_hours_to_resolve: int | None = Field(description="Nearest-rank median of whole hours begun from "
                                                            "opening to resolution; null with none resolved")
    p90_hours_to_resolve: int | None = Field(description="Nearest-rank 90th percentile, likewise")


RATES_CSV_COLUMNS: tuple[str, ...] = tuple(RatesOut.model_fields)
DOCUMENTED = [RatesOut]
