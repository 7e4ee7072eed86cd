"""The REST API's request and response bodies. Structure is checked here; domain rules are
intake's (its limits are imported, not restated)."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.intake.domain import CHANNELS, DESCRIPTION_MAX_CHARS, REPORTER_NAME_MAX_CHARS

Channel = Literal[CHANNELS]


class _Strict(BaseModel):
    # Unknown fields and type coercion ("5" for 5) are refused, not silently accepted.
    model_config = ConfigDict(extra="forbid", strict=True)


class ReporterContactIn(_Strict):
    name: str = Field("", max_length=REPORTER_NAME_MAX_CHARS)
    phone: str = Field("", max_length=32)


class ConcernSubmission(_Strict):
    """A concern raised by or for residents."""

    neighbourhood_id: str = Field(min_length=1, max_length=64)
    channel: Channel
    category: str = Field(min_length=1, max_length=50)
    description: str = Field(min_length=1, max_length=DESCRIPTION_MAX_CHARS)
    household_id: str | None = Field(None, min_length=1, max_length=64)
    reporter: ReporterContactIn | None = None


class ReporterContactOut(BaseModel):
    name: str
    phone: str = Field(description="Masked: only the last four digits are shown")


class ConcernOut(BaseModel):
    concern_id: str
    neighbourhood_id: str
    household_id: str | None
    channel: Channel
    category: str
    description: str
    reporter: ReporterContactOut | None
    status: str
    received_at: datetime


class PoolEntryOut(BaseModel):
    concern_id: str
    neighbourhood_id: str
    category: str
    description: str
    received_at: datetime
    pooled_at: datetime


class PoolPage(BaseModel):
    """One page of a neighbourhood's deliberation pool, oldest first."""

    neighbourhood_id: str
    entries: list[PoolEntryOut]
    next_page_token: str | None


class PoolQuery(_Strict):
    page_size: int = Field(100, ge=1, le=500)
    page_token: str = Field("", max_length=200)


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    correlation_id: str | None = None
    errors: list[FieldError] | None = None


DOCUMENTED = [ConcernSubmission, ConcernOut, PoolPage, Problem]
