"""A matter (一事一评): a task dispatch resolved, rated by the household that raised it, round by
round. No I/O here.

    awaiting_rating ──satisfied / basically satisfied──► archived (归档)
          │  └──────unsatisfied──► reworking ──resolved again──► awaiting_rating (next round)
          └──rating period passed──► closed_unrated

One rating per round, by one of the matter's households (or recorded by staff for a household
that gave it in person, marked so). Each step records its event and moves the concerns'
timelines (rated, archived); dispatch reports the rework's own steps (reopened, resolved).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from servicekit.errors import Conflict, FailedPrecondition, InvalidArgument, PermissionDenied
from servicekit.events import Aggregate, Origin, Place
from servicekit.text import has_control_characters
from services.evaluation.contract import COMMENT_MAX_CHARS, RATINGS

AWAITING, REWORKING, ARCHIVED, CLOSED_UNRATED = "awaiting_rating", "reworking", "archived", "closed_unrated"
SATISFIED, BASICALLY_SATISFIED, UNSATISFIED = RATINGS
# Timeline statuses the matter's steps report (lianyi.events.v1.ConcernStatus's words).
RATED_STATUS, ARCHIVED_STATUS = "rated", "archived"
_RATING_WORDS = {SATISFIED: "满意 satisfied", BASICALLY_SATISFIED: "基本满意 basically satisfied",
                 UNSATISFIED: "不满意 unsatisfied"}


@dataclass(frozen=True)
class Resolution:
    """Dispatch resolved a task (TaskResolved): one round of a matter."""

    task_id: str
    neighbourhood_id: str
    decision_id: str
    action_id: str
    concern_ids: tuple[str, ...]
    household_ids: tuple[str, ...]
    result: str
    resolved_at: datetime
    round: int  # from 1
    handler_id: str = ""  # the member who resolved it: not one to record its rating
    concerns_resolved: bool = True  # False: a decision's action while its other actions are handled
    on_time: bool = False  # resolved by its deadline (the member's review counts it)


@dataclass(frozen=True)
class Supervisor:
    id: str
    name: str


# -- what a matter says ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ConcernMoved:
    concern_id: str
    status: str
    note: str


@dataclass(frozen=True)
class MatterRated:
    matter: Matter


@dataclass(frozen=True)
class ReworkRequested:
    matter: Matter
    rework_id: str


@dataclass(frozen=True)
class MatterArchived:
    matter: Matter


@dataclass(frozen=True)
class RatingReminded:
    matter: Matter


def comment_of(text: str) -> str:
    text = text.strip()
    if len(text) > COMMENT_MAX_CHARS:
        raise InvalidArgument(f"comment: at most {COMMENT_MAX_CHARS} characters")
    if has_control_characters(text):
        raise InvalidArgument("comment must be plain text")
    return text


@dataclass
class Matter(Aggregate):
    task_id: str
    place: Place
    concern_ids: tuple[str, ...]
    household_ids: tuple[str, ...]
    round: int
    state: str
    result: str
    resolved_at: datetime
    rating_due: datetime
    decision_id: str = ""
    action_id: str = ""
    rating: str = ""
    comment: str = ""
    rated_at: datetime | None = None
    in_person: bool = False
    recorded_by: str = ""
    supervisor: Supervisor | None = None
    reminded_at: datetime | None = None
    closed_at: datetime | None = None
    handler_id: str = ""
    # Its rating moves the concerns' timelines (not for one action of several of a decision).
    moves_concerns: bool = True
    rated_household: str = ""  # the household whose rating this round's is
    rating_id: str = field(default="", compare=False)

    @classmethod
    def of(cls, resolution: Resolution, place: Place, rating_due: datetime) -> Matter:
        """A task's first resolution, awaiting its households' rating."""
        return cls(task_id=resolution.task_id, place=place, concern_ids=resolution.concern_ids,
                   household_ids=resolution.household_ids, round=resolution.round, state=AWAITING,
                   result=resolution.result, resolved_at=resolution.resolved_at, rating_due=rating_due,
                   decision_id=resolution.decision_id, action_id=resolution.action_id,
                   handler_id=resolution.handler_id, moves_concerns=resolution.concerns_resolved)

    def resolved_again(self, resolution: Resolution, rating_due: datetime) -> bool:
        """The rework's round resolved: awaiting its own rating. A round seen before (a
        redelivery, or one older than ours arriving late) changes nothing (False)."""
        if resolution.round <= self.round:
            return False
        self.round, self.state, self.result, self.resolved_at, self.rating_due = (
            resolution.round, AWAITING, resolution.result, resolution.resolved_at, rating_due)
        self.rating, self.comment, self.rated_at, self.in_person, self.recorded_by = "", "", None, False, ""
        self.reminded_at, self.closed_at, self.rated_household = None, None, ""
        self.household_ids = resolution.household_ids or self.household_ids
        self.handler_id, self.moves_concerns = resolution.handler_id, resolution.concerns_resolved
        return True

    def rate(self, rating: str, comment: str, household_id: str, *, in_person: bool, recorded_by: str,
             recorder_id: str, rating_id: str, at: datetime, origin: Origin, supervisor: Supervisor | None) -> None:
        """The round's rating by one of its households (once). Unsatisfied asks for rework under
        `supervisor`; otherwise the matter is archived. Staff recording a rating given in person
        (`recorder_id`) may not be the member who resolved it: nobody rates their own work."""
        if rating not in RATINGS:
            raise InvalidArgument(f"rating must be one of {', '.join(RATINGS)}")
        comment = comment_of(comment)
        if household_id not in self.household_ids:
            raise PermissionDenied("only a household that raised this matter rates it")
        if in_person and recorder_id and recorder_id == self.handler_id:
            raise PermissionDenied("the member who resolved this matter may not record its rating")
        if self.state != AWAITING:
            if self.rated_at is not None or self.state == CLOSED_UNRATED:
                raise Conflict(f"round {self.round} of this matter is rated already" if self.rated_at
                               else "this matter was closed unrated when its rating period passed")
            raise FailedPrecondition(f"this matter is {self.state.replace('_', ' ')}")
        self.rating, self.comment, self.rated_at, self.rated_household = rating, comment, at, household_id
        self.in_person, self.recorded_by, self.rating_id = in_person, recorded_by, rating_id
        self.record(MatterRated(self.snapshot()), origin, at)
        self._move_concerns(RATED_STATUS, f"rated {_RATING_WORDS[rating]}" + (" (in person)" if in_person else ""),
                            origin, at)
        if rating == UNSATISFIED:
            self.state, self.supervisor = REWORKING, supervisor
            self.record(ReworkRequested(self.snapshot(), rating_id), origin, at)
        else:
            self._archive(at, origin, ARCHIVED, "archived after a satisfied rating")

    def remind(self, at: datetime, origin: Origin) -> bool:
        if self.state != AWAITING or self.reminded_at is not None:
            return False
        self.reminded_at = at
        self.record(RatingReminded(self.snapshot()), origin, at)
        return True

    def close_unrated(self, at: datetime, origin: Origin) -> bool:
        """The rating period passed without a rating: closed, counted as unrated."""
        if self.state != AWAITING or at < self.rating_due:
            return False
        self._archive(at, origin, CLOSED_UNRATED, "closed unrated: not rated within the rating period")
        return True

    def _archive(self, at: datetime, origin: Origin, state: str, note: str) -> None:
        self.state, self.closed_at = state, at
        self.record(MatterArchived(self.snapshot()), origin, at)
        self._move_concerns(ARCHIVED_STATUS, note, origin, at)

    def snapshot(self) -> Matter:
        return replace(self)

    def _move_concerns(self, status: str, note: str, origin: Origin, at: datetime) -> None:
        if not self.moves_concerns:
            return  # a decision's concerns follow its last action, not each of them
        for concern_id in self.concern_ids:
            self.record(ConcernMoved(concern_id, status, note), origin, at)
