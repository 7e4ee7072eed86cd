"""A topic (议题) through the cycle, in the glossary's words. No I/O here.

    drafted ──publish──► published ──vote closes──► accepted ──panel──► deliberating
       │                                 │                                   │ consensus
       ▼ withdraw                        ▼                                   ▼
    withdrawn                        rejected ──release concerns      consensus_reached
                                                 (pool / closed)             │ joint meeting
                                                                             ▼
                                                                          decided

Each step checks the topic is where the step belongs (or says where it is: FailedPrecondition,
409), records its event and a history entry, and moves the topic's concerns on their timelines
where the step concerns them.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from servicekit.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from servicekit.events import Aggregate, Origin, Place
from servicekit.text import has_control_characters
from services.deliberation import contract
from services.deliberation.contract import (
    ACCEPTED,
    CONSENSUS_REACHED,
    DECIDED,
    DELIBERATING,
    DRAFTED,
    PUBLISHED,
    REJECTED,
    WITHDRAWN,
)
from services.deliberation.panels.domain import Candidate, check_size
from services.deliberation.progress.domain import ActionProgress, DecisionProgress
from services.deliberation.votes.domain import Count, Outcome, Tally, VoteRule, outcome

# Timeline statuses the topic's steps report (lianyi.events.v1.ConcernStatus's words).
IN_DELIBERATION, DECIDED_STATUS, CLOSED = "in_deliberation", "decided", "closed"


# -- what a topic says ----------------------------------------------------------------------------

@dataclass(frozen=True)
class TopicDrafted:
    topic_id: str
    neighbourhood_id: str
    title: str
    concern_ids: tuple[str, ...]
    meeting_on: date | None


@dataclass(frozen=True)
class TopicWithdrawn:
    topic_id: str
    concern_ids: tuple[str, ...]


@dataclass(frozen=True)
class TopicPublished:
    topic_id: str
    title: str
    vote_closes_at: datetime


@dataclass(frozen=True)
class VoteClosed:
    topic_id: str
    outcome: Outcome
    count: Count
    closed_early: bool
    concerns: int


@dataclass(frozen=True)
class ConcernsReleased:
    topic_id: str
    fate: str  # pool or closed
    concern_ids: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class PanelConfirmed:
    topic_id: str
    member_ids: tuple[str, ...]


@dataclass(frozen=True)
class OpinionGiven:
    topic_id: str
    opinion_id: str
    member_id: str


@dataclass(frozen=True)
class ConsensusRecorded:
    topic_id: str
    consensus: str


@dataclass(frozen=True)
class DecisionMade:
    topic_id: str
    neighbourhood_id: str
    title: str
    decision: Decision
    concern_ids: tuple[str, ...]


@dataclass(frozen=True)
class ConcernMoved:
    """One of the topic's concerns moved on; intake's timeline shows it to whoever raised it."""

    concern_id: str
    status: str  # in_deliberation, decided or closed
    note: str


# -- what a topic holds -----------------------------------------------------------------------------

@dataclass(frozen=True)
class HistoryEntry:
    step: str
    at: datetime
    note: str = ""
    actor: str = ""  # a staff member's name; empty for a timer


@dataclass(frozen=True)
class Opinion:
    opinion_id: str
    member_id: str
    member_name: str
    text: str
    given_at: datetime
    recorded_by: str = ""  # the party secretary's name, when they recorded it for the panellist


@dataclass(frozen=True)
class Attendee:
    body: str
    name: str = ""


@dataclass(frozen=True)
class Action:
    action_id: str
    description: str
    deadline: date
    tier: str = ""  # individual, joint, escalated, or "" for dispatch's routing table to decide
    owner_id: str = ""
    owner_name: str = ""


@dataclass(frozen=True)
class Decision:
    decision_id: str
    attendees: tuple[Attendee, ...]
    minutes: str
    resolution: str
    actions: tuple[Action, ...]
    decided_at: datetime


@dataclass
class Topic(Aggregate):
    """An agenda item drafted from pooled concerns, and everything that happened to it. Loaded
    whole (its panel and who has given opinions, not their texts); `new_history` and
    `new_opinions` are what this unit of work adds."""

    topic_id: str
    place: Place
    title: str
    summary: str
    concern_ids: tuple[str, ...]
    meeting_on: date | None
    state: str
    drafted_at: datetime
    published_at: datetime | None = None
    vote_closes_at: datetime | None = None
    vote_closed_at: datetime | None = None
    closed_early: bool = False
    count: Count | None = None  # the final tally, once the vote closed
    rule: VoteRule | None = None  # the shares it was judged by
    rejection_reason: str = ""
    concerns_fate: str = ""
    panel: tuple[Candidate, ...] = ()
    panel_confirmed_at: datetime | None = None
    opinion_givers: frozenset[str] = frozenset()
    consensus: str = ""
    consensus_at: datetime | None = None
    decision: Decision | None = None
    new_history: list[HistoryEntry] = field(default_factory=list, compare=False)
    new_opinions: list[Opinion] = field(default_factory=list, compare=False)

    @property
    def neighbourhood_id(self) -> str:
        return self.place.neighbourhood_id

    # -- the steps ------------------------------------------------------------------------------

    @classmethod
    def draft(cls, topic_id: str, place: Place, title: str, summary: str, concern_ids: Sequence[str],
              meeting_on: date | None, at: datetime, actor: str, origin: Origin) -> Topic:
        title, summary = title.strip(), summary.strip()
        check_draft(title, summary, concern_ids)
        topic = cls(topic_id=topic_id, place=place, title=title, summary=summary,
                    concern_ids=tuple(dict.fromkeys(concern_ids)), meeting_on=meeting_on, state=DRAFTED,
                    drafted_at=at)
        topic._step("drafted", at, actor, f"from {len(topic.concern_ids)} concern(s)")
        topic.record(TopicDrafted(topic_id, place.neighbourhood_id, title, topic.concern_ids, meeting_on), origin, at)
        topic._move_concerns(IN_DELIBERATION, f"drafted into topic {_quoted(title)}", origin, at)
        return topic

    def withdraw(self, at: datetime, actor: str, origin: Origin) -> None:
        self._require(DRAFTED, "only a draft can be withdrawn")
        self.state, self.concerns_fate = WITHDRAWN, "pool"
        self._step("withdrawn", at, actor, "its concerns are back in the pool")
        self.record(TopicWithdrawn(self.topic_id, self.concern_ids), origin, at)
        self._move_concerns(IN_DELIBERATION, "back in the pool: the draft was withdrawn", origin, at)

    def publish(self, at: datetime, window: timedelta, actor: str, origin: Origin) -> None:
        self._require(DRAFTED, "only a draft can be published")
        self.state, self.published_at, self.vote_closes_at = PUBLISHED, at, at + window
        self._step("published", at, actor, f"residents vote until {self.vote_closes_at.isoformat()}")
        self.record(TopicPublished(self.topic_id, self.title, self.vote_closes_at), origin, at)

    def require_open_vote(self, at: datetime) -> datetime:
        """When the vote closes, if a household may vote now; FailedPrecondition if not."""
        self._require(PUBLISHED, "only a published topic takes votes")
        assert self.vote_closes_at is not None
        if at >= self.vote_closes_at:
            raise FailedPrecondition(f"topic {self.topic_id}'s vote closed at {self.vote_closes_at.isoformat()}")
        return self.vote_closes_at

    def close_vote(self, count: Count, rule: VoteRule, at: datetime, early: bool, actor: str,
                   origin: Origin) -> None:
        """Close the vote: accepted or rejected by the county's rule, and why. It closes when its
        window ends, however late the timer comes, and early only if asked before then."""
        self._require(PUBLISHED, "only a published topic's vote can close")
        assert self.vote_closes_at is not None
        result = outcome(count, rule)
        early = early and at < self.vote_closes_at
        at = min(at, self.vote_closes_at)
        self.state = ACCEPTED if result.accepted else REJECTED
        self.vote_closed_at, self.closed_early, self.count, self.rule = at, early, count, rule
        self.rejection_reason = result.rejection_reason
        said = f"{count.yes} yes, {count.no} no of {count.households} households"
        verdict = "accepted" if result.accepted else f"rejected ({result.rejection_reason.replace('_', ' ')})"
        self._step("vote_closed", at, actor, f"{verdict}: {said}" + (", closed early" if early else ""))
        self.record(VoteClosed(self.topic_id, result, count, early, len(self.concern_ids)), origin, at)
        self._move_concerns(IN_DELIBERATION, f"residents' vote {verdict}", origin, at)

    def release_concerns(self, fate: str, reason: str, at: datetime, actor: str, origin: Origin) -> None:
        """A rejected topic's concerns go back to the pool or are closed with the reason."""
        reason = reason.strip()
        check_release(fate, reason)
        self._require(REJECTED, "only a rejected topic's concerns are released")
        if self.concerns_fate:
            raise FailedPrecondition(f"topic {self.topic_id}'s concerns were already released "
                                     f"({'back to the pool' if self.concerns_fate == 'pool' else 'closed'})")
        self.concerns_fate = fate
        back = "back to the pool" if fate == "pool" else "closed"
        self._step("concerns_released", at, actor, f"{back}: {reason}" if reason else back)
        self.record(ConcernsReleased(self.topic_id, fate, self.concern_ids, reason), origin, at)
        # The whole reason reaches the timeline: its prefix is short and the reason bounded.
        why = reason or f"topic {_quoted(self.title)} was rejected"
        if fate == "pool":
            self._move_concerns(IN_DELIBERATION, f"back in the pool: {why}", origin, at)
        else:
            self._move_concerns(CLOSED, f"topic rejected: {why}", origin, at)

    def confirm_panel(self, panel: Sequence[Candidate], at: datetime, actor: str, origin: Origin) -> None:
        self._require(ACCEPTED, "only an accepted topic gets a panel")
        check_size(len({member.member_id for member in panel}))
        self.state, self.panel, self.panel_confirmed_at = DELIBERATING, tuple(panel), at
        self._step("panel_confirmed", at, actor, "、".join(member.name for member in panel))
        self.record(PanelConfirmed(self.topic_id, tuple(member.member_id for member in panel)), origin, at)

    def panellist(self, member_id: str) -> Candidate | None:
        return next((member for member in self.panel if member.member_id == member_id), None)

    def give_opinion(self, opinion_id: str, member_id: str, text: str, at: datetime, recorded_by: str,
                     origin: Origin) -> Opinion:
        """A panellist's opinion; `recorded_by` names the party secretary who recorded it for them."""
        text = text.strip()
        check_text("text", text, contract.OPINION_MAX_CHARS)
        self._require(DELIBERATING, "opinions are given while the panel deliberates")
        member = self.panellist(member_id)
        if member is None:
            raise PermissionDenied(f"{member_id[:64] or 'you'} is not on topic {self.topic_id}'s panel")
        opinion = Opinion(opinion_id, member_id, member.name, text, at, recorded_by)
        self.new_opinions.append(opinion)
        self.opinion_givers = self.opinion_givers | {member_id}
        self._step("opinion_given", at, recorded_by or member.name, member.name)
        self.record(OpinionGiven(self.topic_id, opinion_id, member_id), origin, at)
        return opinion

    def record_consensus(self, consensus: str, at: datetime, actor: str, origin: Origin) -> None:
        consensus = consensus.strip()
        check_text("consensus", consensus, contract.CONSENSUS_MAX_CHARS)
        self._require(DELIBERATING, "consensus is recorded while the panel deliberates")
        silent = [member for member in self.panel if member.member_id not in self.opinion_givers]
        if silent:
            raise FailedPrecondition("every panellist gives at least one opinion before consensus; not yet: "
                                     + ", ".join(f"{member.name} ({member.member_id})" for member in silent))
        self.state, self.consensus, self.consensus_at = CONSENSUS_REACHED, consensus, at
        self._step("consensus_recorded", at, actor)
        self.record(ConsensusRecorded(self.topic_id, consensus), origin, at)

    def decide(self, decision: Decision, actor: str, origin: Origin) -> None:
        check_decision(decision)
        self._require(CONSENSUS_REACHED, "the joint meeting decides once the panel has reached consensus")
        at = decision.decided_at
        self.state, self.decision = DECIDED, decision
        self._step("decided", at, actor, f"{len(decision.actions)} action(s)")
        self.record(DecisionMade(self.topic_id, self.neighbourhood_id, self.title, decision, self.concern_ids),
                    origin, at)
        self._move_concerns(DECIDED_STATUS, f"decided by the joint meeting: {decision.resolution[:200]}", origin, at)

    # -- the bookkeeping ----------------------------------------------------------------------------

    def require_published(self) -> None:
        """FailedPrecondition unless the topic was put to the residents' vote."""
        if self.published_at is None:
            raise FailedPrecondition(f"topic {self.topic_id} is {self.state}: it has no vote until it is published")

    def require(self, state: str, why: str) -> None:
        """FailedPrecondition naming where the topic is, unless it is in `state`."""
        self._require(state, why)

    def _require(self, state: str, why: str) -> None:
        if self.state != state:
            raise FailedPrecondition(f"topic {self.topic_id} is {self.state.replace('_', ' ')}: {why}")

    def _step(self, step: str, at: datetime, actor: str, note: str = "") -> None:
        self.new_history.append(HistoryEntry(step, at, note, actor))

    def _move_concerns(self, status: str, note: str, origin: Origin, at: datetime) -> None:
        for concern_id in self.concern_ids:
            self.record(ConcernMoved(concern_id, status, note), origin, at)


# -- what people see ---------------------------------------------------------------------------

@dataclass(frozen=True)
class TopicView:
    """A topic as a reader sees it: with its history, opinions, tally and (for a resident) their
    own household's vote."""

    topic: Topic
    history: tuple[HistoryEntry, ...] = ()
    opinions: tuple[Opinion, ...] = ()
    tally: Tally | None = None
    your_vote: str = ""
    # A decision's actions' progress, by action id.
    progress: dict[str, ActionProgress] = field(default_factory=dict)

    @property
    def decision_progress(self) -> DecisionProgress | None:
        decision = self.topic.decision
        if decision is None:
            return None
        return DecisionProgress.of((a.action_id for a in decision.actions), self.progress)

    def for_residents(self) -> TopicView:
        """What residents see: no concern ids (they lead to whoever raised them), no resident's
        name among the meeting's attendees, and no staff names on the history's steps."""
        topic = replace(self.topic, concern_ids=())
        if topic.decision is not None:
            attendees = tuple(replace(a, name="") if a.body == "resident" else a for a in topic.decision.attendees)
            topic = replace(topic, decision=replace(topic.decision, attendees=attendees))
        return replace(self, topic=topic, history=tuple(replace(h, actor="") for h in self.history),
                       opinions=tuple(replace(o, recorded_by="") for o in self.opinions))


# -- the rules of each step's input ---------------------------------------------------------------

def _quoted(title: str) -> str:
    return f"«{title[:60]}»"


def check_text(name: str, text: str, max_chars: int, *, required: bool = True) -> None:
    if required and not text.strip():
        raise InvalidArgument(f"{name} must not be empty")
    if len(text) > max_chars:
        raise InvalidArgument(f"{name} is longer than {max_chars} characters")
    if has_control_characters(text):
        raise InvalidArgument(f"{name} must be plain text")


def check_draft(title: str, summary: str, concern_ids: Sequence[str]) -> None:
    problems = ["title must be one line"] if "\n" in title or "\r" in title else []
    for name, text, limit, required in (("title", title, contract.TITLE_MAX_CHARS, True),
                                        ("summary", summary, contract.SUMMARY_MAX_CHARS, False)):
        try:
            check_text(name, text, limit, required=required)
        except InvalidArgument as exc:
            problems.append(exc.detail)
    if not 0 < len(set(concern_ids)) <= contract.TOPIC_CONCERNS_MAX:
        problems.append(f"concern_ids: a topic answers 1 to {contract.TOPIC_CONCERNS_MAX} pooled concerns")
    if problems:
        raise InvalidArgument("; ".join(problems))


def check_release(fate: str, reason: str) -> None:
    if fate not in contract.CONCERNS_FATES:
        raise InvalidArgument(f"fate must be one of {', '.join(contract.CONCERNS_FATES)}")
    check_text("reason", reason, contract.REASON_MAX_CHARS, required=fate == "closed")


def check_decision(decision: Decision) -> None:
    """Every problem with a joint meeting's decision at once: who must be present, the texts, and
    a plan of one or more actions due no earlier than the meeting."""
    problems = []
    bodies = {attendee.body for attendee in decision.attendees}
    unknown = sorted(bodies - set(contract.ATTENDEE_BODIES))
    if unknown:
        problems.append(f"attendees: body must be one of {', '.join(contract.ATTENDEE_BODIES)}, not "
                        + ", ".join(b[:40] for b in unknown))
    missing = [body for body in contract.REQUIRED_BODIES if body not in bodies]
    if missing:
        problems.append(f"attendees: the joint meeting needs {', '.join(missing)} present")
    if len(decision.attendees) > contract.ATTENDEES_MAX:
        problems.append(f"attendees: at most {contract.ATTENDEES_MAX}")
    texts = [("minutes", decision.minutes, contract.MINUTES_MAX_CHARS, False),
             ("resolution", decision.resolution, contract.RESOLUTION_MAX_CHARS, True)]
    texts += [(f"attendees[{i}].name", a.name, contract.NAME_MAX_CHARS, False)
              for i, a in enumerate(decision.attendees)]
    if not 0 < len(decision.actions) <= contract.ACTIONS_MAX:
        problems.append(f"actions: a plan has 1 to {contract.ACTIONS_MAX} actions")
    for i, action in enumerate(decision.actions):
        texts += [(f"actions[{i}].description", action.description, contract.ACTION_MAX_CHARS, True),
                  (f"actions[{i}].owner_name", action.owner_name, contract.NAME_MAX_CHARS, False)]
        if action.tier and action.tier not in contract.HANDLING_TIERS:
            problems.append(f"actions[{i}].tier must be one of {', '.join(contract.HANDLING_TIERS)}, or left out")
        if action.deadline < decision.decided_at.astimezone(contract.COUNTY_TIME).date():
            problems.append(f"actions[{i}].deadline is before the meeting")
    for name, text, limit, required in texts:
        try:
            check_text(name, text, limit, required=required)
        except InvalidArgument as exc:
            problems.append(exc.detail)
    if problems:
        raise InvalidArgument("; ".join(problems))
