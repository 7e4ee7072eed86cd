"""The REST API's bodies for rating handled matters (评事, 一事一评): the lists of matters, one
matter, and a household's rating of its current round. Shape and bounds only (from
services/evaluation/contract.py); who may rate which matter, and whether its round is rated
already, are the service's to check."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field

from servicekit.paging import DEFAULT_PAGE_SIZE
from services.evaluation.contract import COMMENT_MAX_CHARS, MATTER_LISTS, MATTER_STATES, RATINGS
from services.gateway.bounds import StrictBody as _Strict
from services.gateway.bounds import each_of_a_comma_list, plain_text
from services.gateway.deliberation_schemas import Id
from services.gateway.dispatch_schemas import PageSize, PageToken

MatterState = Literal[MATTER_STATES]
Rating = Literal[RATINGS]

# A resident's comment on a rating, as they type it (line breaks allowed).
Comment = plain_text(max_length=COMMENT_MAX_CHARS)


# -- what callers send ------------------------------------------------------------------------

class RatingIn(_Strict):
    """The household's rating of the matter's current round (满意 / 基本满意 / 不满意)."""

    rating: Rating
    comment: Comment = ""
    household_id: Id | None = Field(None, description="Staff recording a rating a household gave in person name "
                                                      "the household; a resident leaves it out (their own)")


class MatterQuery(_Strict):
    list_: Literal[MATTER_LISTS] = Field("mine", alias="list", description="mine: a resident's household's matters "
                                         "(staff: every matter of their scope); place: every matter of a place")
    place_id: Id | None = Field(None, description="For the place list: a neighbourhood, community, township or "
                                                  "the county; left out, the caller's own scope")
    state: Annotated[list[MatterState], BeforeValidator(each_of_a_comma_list)] = Field(
        default_factory=list, description="Only matters in these states (repeat the parameter, or separate by "
                                          "commas); none for all")
    page_size: PageSize = DEFAULT_PAGE_SIZE
    page_token: PageToken = ""


# -- what they get back -----------------------------------------------------------------------

class MatterOut(BaseModel):
    """A resolved task awaiting, or given, its households' rating (一事一评)."""

    task_id: str = Field(description="The task's id (dispatch's)")
    neighbourhood_id: str
    decision_id: str | None
    action_id: str | None
    concern_ids: list[str]
    household_ids: list[str] = Field(description="The households that raised its concerns: who may rate it "
                                                 "(shown to contact roles only)")
    round: int = Field(description="Which resolution this is, from 1 (each rework round adds one)")
    state: MatterState = Field(description="awaiting_rating, reworking (rated unsatisfied), archived, "
                                           "closed_unrated")
    result: str | None
    resolved_at: datetime | None
    rating_due: datetime | None = Field(description="By when the round is to be rated")
    rating: Rating | None = Field(description="Null until the round is rated")
    comment: str | None
    rated_at: datetime | None
    in_person: bool = Field(description="Recorded by staff for a household that gave it in person")
    recorded_by: str | None
    supervisor_id: str | None = Field(description="Who supervises the rework (督促整改), after an unsatisfied rating")
    supervisor_name: str | None
    reminded_at: datetime | None


class MatterPage(BaseModel):
    """One page of matters, newest first."""

    matters: list[MatterOut]
    next_page_token: str | None


DOCUMENTED = [RatingIn, MatterOut, MatterPage]
