"""The REST API's request and response bodies. Structure is checked here; domain rules are the
services' (their limits come from their contract modules, not restated)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.contract import ACCOUNT_ROLES
from services.deliberation.contract import POOL_PAGE_SIZE_DEFAULT, POOL_PAGE_SIZE_MAX
from services.gateway.bounds import CalendarDay, FreeJsonObject, Int64, Moment, PlainText
from services.gateway.bounds import StrictBody as _Strict
from services.intake.contract import (
    ADDRESS_MAX_CHARS,
    CHANNELS,
    DESCRIPTION_MAX_CHARS,
    EXTERNAL_ID_MAX_CHARS,
    ID_MAX_CHARS,
    IMPORT_MAX_ROWS,
    KINDS,
    MERGE_MAX,
    NAME_MAX_CHARS,
    PASSWORD_MIN_CHARS,
    PHOTO_URLS_MAX,
    REPORTER_NAME_MAX_CHARS,
    ROUTES,
    RULE_ROUTES,
    STATUSES,
    TRIAGE_NOTE_MAX_CHARS,
    URGENCIES,
    USERNAME_PATTERN,
)

Channel = Literal[CHANNELS]


class ReporterContactIn(_Strict):
    name: PlainText = Field("", max_length=REPORTER_NAME_MAX_CHARS)
    phone: str = Field("", max_length=32)


class LocationIn(_Strict):
    address: PlainText = Field("", max_length=ADDRESS_MAX_CHARS)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


class ConcernSubmission(_Strict):
    """A concern raised by or for residents."""

    neighbourhood_id: str = Field(min_length=1, max_length=64)
    channel: Channel
    category: str = Field(min_length=1, max_length=50)
    description: PlainText = Field(min_length=1, max_length=DESCRIPTION_MAX_CHARS)
    household_id: str | None = Field(None, min_length=1, max_length=64)
    building_id: str | None = Field(None, min_length=1, max_length=64,
                                    description="The building it concerns, when not one household's")
    reporter: ReporterContactIn | None = None
    urgency: Literal[URGENCIES] = "normal"
    location: LocationIn | None = None
    photo_urls: list[str] = Field(default_factory=list, max_length=PHOTO_URLS_MAX)
    anonymous: bool = Field(False, description="Not named to the public (owners' groups, notices)")


class ReporterContactOut(BaseModel):
    name: str
    phone: str = Field(description="Masked (138****5678) unless the caller's role handles residents' matters")


class ConcernOut(BaseModel):
    concern_id: str
    neighbourhood_id: str
    building_id: str | None = Field(None, description="Named, or the household's")
    household_id: str | None
    channel: Channel
    category: str
    description: str
    reporter: ReporterContactOut | None
    status: str
    received_at: datetime
    urgency: Literal[URGENCIES]
    location: LocationIn | None
    photo_urls: list[str]
    anonymous: bool
    triage: TriageOut | None = None
    merged_into: str | None = None
    updated_at: datetime
    timeline: list[TimelineEntryOut] = Field(default_factory=list)
    possible_duplicates: list[SimilarConcernOut] | None = Field(
        None, description="Only in answers to submitting and triaging: recent concerns that look like the same matter")


class TriageOut(BaseModel):
    route: Literal[ROUTES]
    note: str
    rule_id: str | None = Field(None, description="The routing-table rule that triaged it on arrival")
    triaged_at: datetime


class TimelineEntryOut(BaseModel):
    status: Literal[STATUSES]
    at: datetime
    note: str
    source: str


class SimilarConcernOut(BaseModel):
    concern_id: str
    similarity: float
    status: str
    received_at: datetime


class SimilarConcernList(BaseModel):
    concerns: list[SimilarConcernOut]


class TriageIn(_Strict):
    route: Literal[ROUTES]
    note: PlainText = Field("", max_length=TRIAGE_NOTE_MAX_CHARS)


class MergeIn(_Strict):
    concern_ids: list[Annotated[str, Field(min_length=1, max_length=ID_MAX_CHARS)]] = Field(
        min_length=1, max_length=MERGE_MAX)
    note: PlainText = Field("", max_length=TRIAGE_NOTE_MAX_CHARS)


class ConcernQuery(_Strict):
    status: str = Field("", max_length=300, description="Comma-separated statuses; received is the triage queue")
    category: str = Field("", max_length=50)
    building_id: str = Field("", max_length=64, description="Only this building's")
    page_size: int = Field(0, ge=0, le=500)
    page_token: str = Field("", max_length=200)


class ConcernPage(BaseModel):
    concerns: list[ConcernOut]
    next_page_token: str | None


class TriageRuleIn(_Strict):
    scope_id: str = Field(min_length=1, max_length=64, description="A county, township, community or neighbourhood "
                                                                    "id, or * for everywhere")
    category: str = Field(min_length=1, max_length=50)
    urgency: Literal["", *URGENCIES] = ""
    route: Literal[RULE_ROUTES]
    note: PlainText = Field("", max_length=TRIAGE_NOTE_MAX_CHARS)


class TriageRuleOut(BaseModel):
    rule_id: str
    scope_id: str
    category: str
    urgency: str
    route: Literal[RULE_ROUTES]
    note: str


class TriageRuleQuery(_Strict):
    scope_id: str = Field(min_length=1, max_length=64, description="A county, township, community or neighbourhood "
                                                                    "id, or * for everywhere")


class TriageRuleList(BaseModel):
    rules: list[TriageRuleOut]


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
    page_size: int = Field(POOL_PAGE_SIZE_DEFAULT, ge=1, le=POOL_PAGE_SIZE_MAX)
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


# -- directory ---------------------------------------------------------------------------------

DirectoryKind = Literal[KINDS]


class EntityCreate(_Strict):
    kind: DirectoryKind
    name: PlainText = Field(min_length=1, max_length=NAME_MAX_CHARS)
    parent_id: str | None = Field(None, min_length=1, max_length=64)
    external_id: str | None = Field(None, min_length=1, max_length=EXTERNAL_ID_MAX_CHARS)
    attributes: FreeJsonObject = Field(default_factory=dict)


class EntityUpdate(_Strict):
    name: PlainText | None = Field(None, min_length=1, max_length=NAME_MAX_CHARS)
    attributes: FreeJsonObject | None = None
    expected_version: Int64 | None = Field(None, ge=1)


class EntityOut(BaseModel):
    entity_id: str
    kind: DirectoryKind
    external_id: str | None
    parent_id: str | None
    ancestor_ids: list[str]
    name: str
    attributes: dict = Field(description="Kind-specific; phone numbers masked unless the caller's role needs them")
    version: int
    updated_at: datetime


class EntityPage(BaseModel):
    entities: list[EntityOut]
    next_page_token: str | None


class EntityQuery(_Strict):
    kind: DirectoryKind | None = None
    within: str | None = Field(None, max_length=64, description="Only entities below this one")
    page_size: int = Field(100, ge=1, le=500)
    page_token: str = Field("", max_length=200)


class ImportRowIn(_Strict):
    kind: str = Field(max_length=40)
    external_id: str = Field("", max_length=EXTERNAL_ID_MAX_CHARS)
    parent_external_id: str = Field("", max_length=EXTERNAL_ID_MAX_CHARS)
    name: PlainText = Field("", max_length=NAME_MAX_CHARS)
    attributes: FreeJsonObject = Field(default_factory=dict)


class ImportRequest(_Strict):
    """Rows keyed by the county platform's ids; parents before children."""

    rows: list[ImportRowIn] = Field(min_length=1, max_length=IMPORT_MAX_ROWS)


class ImportOutcomeOut(BaseModel):
    row: int
    outcome: Literal["created", "updated", "unchanged", "rejected"]
    entity_id: str | None
    reason: str | None


class ImportReport(BaseModel):
    summary: dict[str, int]
    outcomes: list[ImportOutcomeOut]


DOCUMENTED += [EntityCreate, EntityUpdate, EntityOut, EntityPage, ImportRequest, ImportReport]


# -- signing in --------------------------------------------------------------------------------

class TokenRequest(_Strict):
    """Staff and members sign in with username and password; residents may instead use the
    access code their building leader gave their household."""

    # _one_way_in, as the document states it: one way in, the other's fields absent (or null).
    model_config = ConfigDict(json_schema_extra={"oneOf": [
        {"required": ["username", "password"], "properties": {
            "username": {"type": "string"}, "password": {"type": "string"}, "access_code": {"type": "null"}}},
        {"required": ["access_code"], "properties": {
            "access_code": {"type": "string"}, "username": {"type": "null"}, "password": {"type": "null"}}},
    ]})
    username: str | None = Field(None, min_length=1, max_length=50)
    password: str | None = Field(None, min_length=1, max_length=200)
    access_code: str | None = Field(None, min_length=1, max_length=40)

    @model_validator(mode="after")
    def _one_way_in(self) -> TokenRequest:
        with_password = self.username is not None and self.password is not None
        if with_password == (self.access_code is not None) or (self.username is None) != (self.password is None):
            raise ValueError("send either username and password, or access_code")
        return self


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds until the token expires")
    role: str
    scope: list[str] = Field(description="Directory path of the subtree this account may see")
    name: str


DOCUMENTED += [TokenRequest, TokenResponse]


# -- audit -------------------------------------------------------------------------------------

class AuditQuery(_Strict):
    service: Literal["intake", "deliberation", "dispatch", "evaluation"] = "intake"
    actor: str = Field("", max_length=100)
    action: str = Field("", max_length=60, description="e.g. concern.submitted")
    since: Moment | None = None
    until: Moment | None = None
    page_size: int = Field(100, ge=1, le=500)
    page_token: str = Field("", max_length=200)


class AuditEntryOut(BaseModel):
    seq: int
    recorded_at: datetime
    actor: str
    role: str
    action: str
    target_kind: str
    target_id: str
    correlation_id: str
    summary: str


class AuditPage(BaseModel):
    service: str
    entries: list[AuditEntryOut]
    next_page_token: str | None


DOCUMENTED += [AuditPage]


# -- accounts and API keys ---------------------------------------------------------------------

class AccountCreate(_Strict):
    username: str = Field(pattern=USERNAME_PATTERN, description="3-50 lower-case letters, digits or _.-")
    password: str = Field(min_length=PASSWORD_MIN_CHARS, max_length=200)
    role: Literal[ACCOUNT_ROLES] = Field(description="An integration signs in with an API key "
                                                     "(POST /api/v1/api-keys), not an account")
    scope_id: str = Field(min_length=1, max_length=64, description="The place whose subtree the account may see")
    entity_id: str = Field("", max_length=64, description="The person's own entity: member, household, department")
    display_name: PlainText = Field("", max_length=100)


class AccountOut(BaseModel):
    account_id: str
    username: str
    role: str
    scope_id: str
    entity_id: str | None
    display_name: str


class ApiKeyCreate(_Strict):
    name: PlainText = Field(min_length=1, max_length=100)
    scope_id: str = Field(min_length=1, max_length=64)


class ApiKeyIssued(BaseModel):
    key_id: str
    api_key: str = Field(description="Shown once; only its hash is kept")


DOCUMENTED += [AccountCreate, AccountOut, ApiKeyCreate, ApiKeyIssued]


class AccessCodeCreate(_Strict):
    household_id: str = Field(min_length=1, max_length=64)


class AccessCodeIssued(BaseModel):
    access_code: str = Field(description="Give it to the household; it replaces their previous code")
    expires_at: datetime


DOCUMENTED += [AccessCodeCreate, AccessCodeIssued]


class CategoryOut(BaseModel):
    code: str
    name_zh: str
    name_en: str


class CategoryList(BaseModel):
    categories: list[CategoryOut]


DOCUMENTED += [CategoryList]


class OnlineMessageIn(_Strict):
    source_message_id: PlainText = Field(min_length=1, max_length=100)
    neighbourhood_id: str = Field(min_length=1, max_length=64)
    text: PlainText = Field(min_length=1, max_length=DESCRIPTION_MAX_CHARS)
    category: str = Field("other", min_length=1, max_length=50)
    household_id: str | None = Field(None, min_length=1, max_length=64)


class OnlineBatch(_Strict):
    """Messages from one owners' chat group (or other online source), e.g. from a bot."""

    source: PlainText = Field(min_length=1, max_length=100, description='e.g. "wechat:幸福小区业主群"')
    messages: list[OnlineMessageIn] = Field(min_length=1, max_length=500)


class OnlineOutcomeOut(BaseModel):
    index: int
    outcome: Literal["created", "duplicate", "rejected"]
    concern_id: str | None
    reason: str | None


class OnlineBatchReport(BaseModel):
    summary: dict[str, int]
    outcomes: list[OnlineOutcomeOut]


DOCUMENTED += [OnlineBatch, OnlineBatchReport]


# -- door visits -------------------------------------------------------------------------------



class RaisedConcernIn(_Strict):
    category: str = Field(min_length=1, max_length=50)
    description: PlainText = Field(min_length=1, max_length=DESCRIPTION_MAX_CHARS)
    urgency: Literal[URGENCIES] = "normal"


class VisitIn(_Strict):
    """A member's visit to a household (串门听) and the concerns it raised."""

    household_id: str = Field(min_length=1, max_length=64)
    member_id: str = Field("", max_length=64, description="Left empty by a member recording their own visit")
    visited_on: CalendarDay
    notes: PlainText = Field("", max_length=2000)
    concerns: list[RaisedConcernIn] = Field(default_factory=list, max_length=20)


class VisitOut(BaseModel):
    visit_id: str
    household_id: str
    neighbourhood_id: str
    member_id: str
    party_group_id: str | None
    visited_on: str
    notes: str
    concern_ids: list[str]


class CoverageQuery(_Strict):
    from_: CalendarDay = Field(alias="from")
    to: CalendarDay


class CoverageLineOut(BaseModel):
    id: str
    name: str
    households: int
    households_visited: int
    visits: int
    concerns_collected: int


class VisitCoverageOut(BaseModel):
    """Households visited of all households (and concerns collected) for a period."""

    neighbourhood_id: str
    households: int
    households_visited: int
    coverage: float = Field(description="households_visited / households")
    visits: int
    concerns_collected: int
    buildings: list[CoverageLineOut]
    members: list[CoverageLineOut]


DOCUMENTED += [VisitIn, VisitOut, VisitCoverageOut]


# -- sit-down talks ----------------------------------------------------------------------------

class OpinionLogEntryIn(_Strict):
    text: PlainText = Field(min_length=1, max_length=DESCRIPTION_MAX_CHARS)
    category: str = Field("", max_length=50, description="Needed when the entry becomes a concern")
    household_id: str = Field("", max_length=64)
    becomes_concern: bool = False


class TalkSessionIn(_Strict):
    """A sit-down talk (促膝谈) at a venue, with its hosts, attendance and opinion log (民声日志)."""

    venue_id: str = Field(min_length=1, max_length=64)
    held_on: CalendarDay
    host_ids: list[str] = Field(min_length=1, max_length=10)
    attendance: int = Field(ge=0, le=10_000)
    entries: list[OpinionLogEntryIn] = Field(default_factory=list, max_length=200)


class OpinionLogEntryOut(BaseModel):
    text: str
    category: str
    household_id: str | None
    concern_id: str | None


class TalkSessionOut(BaseModel):
    session_id: str
    neighbourhood_id: str
    venue_id: str
    held_on: str
    host_ids: list[str]
    attendance: int
    entries: list[OpinionLogEntryOut]


class TalkSessionPage(BaseModel):
    sessions: list[TalkSessionOut]
    next_page_token: str | None


DOCUMENTED += [TalkSessionIn, TalkSessionOut, TalkSessionPage]

# -- triage (the models sit beside ConcernOut, which uses them) -------------------------------

DOCUMENTED += [TriageIn, MergeIn, SimilarConcernList, ConcernPage, TriageRuleIn, TriageRuleOut, TriageRuleList]
