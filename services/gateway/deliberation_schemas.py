"""The REST API's bodies for deliberation (议事): topics, the residents' vote, the panel and the joint
meeting's decision. Shape and bounds only (from services/deliberation/contract.py); the order of
the cycle, who sits on a panel and who must attend the joint meeting are the service's to check."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from servicekit import moments
from services import periods
from services.deliberation.contract import (
    ACTION_MAX_CHARS,
    ACTIONS_MAX,
    ATTENDEE_BODIES,
    ATTENDEES_MAX,
    CONCERNS_FATES,
    CONSENSUS_MAX_CHARS,
    HANDLING_TIERS,
    MINUTES_MAX_CHARS,
    NAME_MAX_CHARS,
    OPINION_MAX_CHARS,
    PANEL_MAX,
    PANEL_MIN,
    POOL_PAGE_SIZE_DEFAULT,
    POOL_PAGE_SIZE_MAX,
    REASON_MAX_CHARS,
    REJECTION_REASONS,
    RESOLUTION_MAX_CHARS,
    SUMMARY_MAX_CHARS,
    TITLE_MAX_CHARS,
    TOPIC_CONCERNS_MAX,
    TOPIC_STATES,
    VOTE_CHOICES,
)
from services.gateway.bounds import CalendarDay, PlainText
from services.gateway.bounds import StrictBody as _Strict
from services.gateway.schemas import ConcernOut
from services.intake.contract import ID_MAX_CHARS

State = Literal[TOPIC_STATES]
Choice = Literal[VOTE_CHOICES]
Tier = Literal[HANDLING_TIERS]


Id = Annotated[str, StringConstraints(min_length=1, max_length=ID_MAX_CHARS)]
Day = CalendarDay
# Within the services' years (servicekit.moments), which the services also check.
Month = Annotated[str, StringConstraints(pattern=moments.MONTH_PATTERN), Field(description="YYYY-MM")]
Period = Annotated[str, StringConstraints(pattern=periods.PATTERN),
                   Field(description="YYYY (a year), YYYY-Qn (a quarter, Q1-Q4) or YYYY-MM (a month), in the "
                                     "county's time (UTC+8)")]


# -- what callers send ------------------------------------------------------------------------

class TopicDraft(_Strict):
    """A topic (议题) drafted from concerns in the neighbourhood's pool; they leave the pool."""

    title: PlainText = Field(min_length=1, max_length=TITLE_MAX_CHARS)
    summary: PlainText = Field("", max_length=SUMMARY_MAX_CHARS)
    concern_ids: list[Id] = Field(min_length=1, max_length=TOPIC_CONCERNS_MAX)
    meeting_on: Day | None = Field(None, description="The deliberation day (议事日) planned for it, YYYY-MM-DD")


class TopicQuery(_Strict):
    state: list[State] = Field(default_factory=list, description="Only topics in these states (TopicOut's state "
                                                                 "words; repeat the parameter); none for all")
    page_size: int = Field(POOL_PAGE_SIZE_DEFAULT, ge=1, le=POOL_PAGE_SIZE_MAX)
    page_token: str = Field("", max_length=200)


class AgendaQuery(_Strict):
    month: Month


class VoteIn(_Strict):
    choice: Choice


class ReleaseIn(_Strict):
    fate: Literal[CONCERNS_FATES] = Field(description="pool: back for another topic; closed: closed with the reason")
    reason: PlainText = Field("", max_length=REASON_MAX_CHARS, description="Shown on the concerns' timelines; "
                                                                     "needed to close them")


class PanelProposalQuery(_Strict):
    size: int = Field(PANEL_MIN, ge=PANEL_MIN, le=PANEL_MAX)


class PanelIn(_Strict):
    member_ids: list[Id] = Field(min_length=PANEL_MIN, max_length=PANEL_MAX)


class OpinionIn(_Strict):
    text: PlainText = Field(min_length=1, max_length=OPINION_MAX_CHARS)
    member_id: Id | None = Field(None, description="The panellist it is from, when the party secretary records it "
                                                   "for them; others leave it out")


class ConsensusIn(_Strict):
    consensus: PlainText = Field(min_length=1, max_length=CONSENSUS_MAX_CHARS)


class AttendeeIn(_Strict):
    body: Literal[ATTENDEE_BODIES]
    name: PlainText | None = Field(None, min_length=1, max_length=NAME_MAX_CHARS)


class ActionIn(_Strict):
    description: PlainText = Field(min_length=1, max_length=ACTION_MAX_CHARS)
    tier: Tier | None = Field(None, description="How it should be handled; left out, dispatch's routing decides")
    owner_id: Id | None = Field(None, description="The directory entity who takes it on, if the meeting named one")
    owner_name: PlainText | None = Field(None, min_length=1, max_length=NAME_MAX_CHARS)
    deadline: Day


class DecisionIn(_Strict):
    """The joint meeting's (大物业联席会) decision and its plan, for dispatch to hand out."""

    attendees: list[AttendeeIn] = Field(max_length=ATTENDEES_MAX)
    minutes: PlainText = Field("", max_length=MINUTES_MAX_CHARS)
    resolution: PlainText = Field(min_length=1, max_length=RESOLUTION_MAX_CHARS)
    actions: list[ActionIn] = Field(min_length=1, max_length=ACTIONS_MAX)


class FiguresQuery(_Strict):
    place_id: Id = Field(description="A neighbourhood, community, township or county id")
    period: Period


# -- what they get back -----------------------------------------------------------------------

class TallyOut(BaseModel):
    """The residents' vote (议不议): live while it is open, final once closed."""

    topic_id: str
    yes_votes: int
    no_votes: int
    households: int = Field(description="The neighbourhood's households (now, or when the vote closed)")
    quorum: str = Field(description='The share of households that must vote, as decimal text, e.g. "0.5"')
    threshold: str = Field(description="The share of the votes that must be yes, as decimal text")
    quorum_met: bool
    threshold_met: bool
    closed: bool
    closes_at: datetime = Field(description="When the window ends (ended)")
    closed_at: datetime | None = Field(description="When the vote closed: the window's end, or earlier if the "
                                                   "party secretary closed it early; null while open")
    closed_early: bool


class VoteOut(BaseModel):
    """A household's vote, as that household sees it; voting again changes it until the vote closes."""

    topic_id: str
    choice: Choice
    cast_at: datetime
    closes_at: datetime


class PanellistOut(BaseModel):
    member_id: str
    name: str
    member_kind: str = Field(description="serving, retired_cadre, floating or resident")
    recent_panels: int = Field(description="Panels they sat on in the last 180 days (when proposed)")


class OpinionOut(BaseModel):
    opinion_id: str
    member_id: str
    member_name: str
    text: str
    given_at: datetime
    recorded_by: str | None = Field(description="Who recorded it for the panellist (the party secretary), if not "
                                                "the panellist")


class AttendeeOut(BaseModel):
    body: Literal[ATTENDEE_BODIES]
    name: str | None


class ActionOut(BaseModel):
    action_id: str
    description: str
    tier: Tier | None
    owner_id: str | None
    owner_name: str | None
    deadline: str = Field(description="YYYY-MM-DD")
    resolved_at: datetime | None = Field(description="When dispatch resolved it; null until then, and while it is "
                                                     "reopened for rework")
    on_time: bool | None = Field(description="Resolved by its deadline; null until resolved")
    rework_rounds: int = Field(description="Times it was sent back for rework after an unsatisfied rating")
    rating: Literal["satisfied", "basically_satisfied", "unsatisfied"] | None = Field(
        description="The residents' latest rating; null until rated")


class DecisionProgressOut(BaseModel):
    """How far a decision's plan has come (议定事项落实), from dispatch's and evaluation's reports."""

    actions: int
    resolved: int
    ratings: dict[str, int] = Field(description="Ratings given, by value: satisfied, basically_satisfied, "
                                                "unsatisfied")


class DecisionOut(BaseModel):
    decision_id: str
    attendees: list[AttendeeOut]
    minutes: str | None
    resolution: str
    actions: list[ActionOut]
    decided_at: datetime
    progress: DecisionProgressOut


class HistoryEntryOut(BaseModel):
    step: str = Field(description="drafted, published, vote_closed, concerns_released, panel_confirmed, ...")
    at: datetime
    note: str
    actor: str | None = Field(description="The staff member who took it; null for the timer, and for residents")


class TopicOut(BaseModel):
    """An agenda topic (议题) and everything that happened to it."""

    topic_id: str
    neighbourhood_id: str
    title: str
    summary: str
    concern_ids: list[str] = Field(description="Empty for residents, who never see concern ids")
    state: State
    meeting_on: str | None = Field(description="YYYY-MM-DD")
    drafted_at: datetime
    published_at: datetime | None
    tally: TallyOut | None = Field(description="Once published")
    rejection_reason: Literal[REJECTION_REASONS] | None
    concerns_fate: Literal[CONCERNS_FATES] | None = Field(description="What became of a rejected topic's concerns")
    panel: list[PanellistOut]
    opinions: list[OpinionOut]
    consensus: str | None
    decision: DecisionOut | None
    history: list[HistoryEntryOut]
    your_vote: Choice | None = Field(description="A resident's own household's vote, if it voted")


class TopicPage(BaseModel):
    """One page of a neighbourhood's topics, oldest first."""

    topics: list[TopicOut]
    next_page_token: str | None


class AgendaOut(BaseModel):
    """The month's agenda (议事日): its topics by meeting date, then as drafted."""

    neighbourhood_id: str
    month: str
    topics: list[TopicOut]


class TopicConcerns(BaseModel):
    """The concerns a topic was drafted from, as intake shows them to the caller."""

    topic_id: str
    concerns: list[ConcernOut]


class PanelProposalOut(BaseModel):
    topic_id: str
    panellists: list[PanellistOut] = Field(description="Member kinds mixed, fewest recent panels first")
    candidates: list[PanellistOut] = Field(description="Every member the secretary could choose instead, least "
                                                       "loaded first")


class FiguresOut(BaseModel):
    """Deliberation's counts for a place and a month or year."""

    place_id: str
    period: str
    drafted: int
    published: int
    accepted: int
    rejected: int
    rejected_by_reason: dict[Literal[REJECTION_REASONS], int]
    votes: int = Field(description="Votes cast in the votes that closed in the period")
    households: int = Field(description="Households that could vote in them")
    turnout: str | None = Field(description="votes / households to 4 places, as text; null when no vote closed")
    panels: int
    opinions: int
    decisions: int
    proposals_adopted: int = Field(description="Accepted topics drawn from residents' concerns (居民提议被采纳)")


DOCUMENTED = [TopicDraft, TopicOut, TopicPage, AgendaOut, TopicConcerns, VoteIn, VoteOut, TallyOut, ReleaseIn,
              PanelProposalOut, PanelIn, OpinionIn, OpinionOut, ConsensusIn, DecisionIn, FiguresOut]
