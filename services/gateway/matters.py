"""Rating handled matters (评事, 一事一评): the matters a resident's household has to rate or has
rated, a place's matters, one matter, and the household's rating of its current round. The rating
answers with the matter."""
from __future__ import annotations

from flask import Blueprint

from lianyi.evaluation.v1 import evaluation_service_pb2 as pb
from services.gateway import evaluation_words as words
from services.gateway.auth import serves
from services.gateway.bodies import json_body, query
from services.gateway.clients import upstreams
from services.gateway.evaluation_out import matter_json, matter_out
from services.gateway.evaluation_schemas import MatterPage, MatterQuery, RatingIn

blueprint = Blueprint("matters", __name__, url_prefix="/api/v1")


@blueprint.get("/matters")
@serves("lianyi.evaluation.v1.EvaluationService.ListMatters")
def list_matters():
    """A list of matters.
    ---
    get:
      summary: Matters to rate or rated, newest first, a page at a time
      responses:
        200:
          description: One page of matters
          content:
            application/json:
              schema: MatterPage
        404: {$ref: "#/components/responses/Problem"}
    """
    params = query(MatterQuery)
    stubs = upstreams()
    page = stubs.evaluation.ListMatters(pb.ListMattersRequest(
        list=words.LISTS.value(params.list_), place_id=params.place_id or "", states=params.state,
        page_size=params.page_size, page_token=params.page_token,
    ), **stubs.call_options())
    return MatterPage(matters=[matter_out(m) for m in page.matters],
                      next_page_token=page.next_page_token or None).model_dump(mode="json")


@blueprint.get("/matters/<task_id>")
@serves("lianyi.evaluation.v1.EvaluationService.GetMatter")
def get_matter(task_id: str):
    """Get a matter.
    ---
    get:
      summary: A handled matter (its task's id), its current round and how it was rated
      parameters:
        - {name: task_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: The matter
          content:
            application/json:
              schema: MatterOut
    """
    stubs = upstreams()
    return matter_json(stubs.evaluation.GetMatter(pb.GetMatterRequest(task_id=task_id), **stubs.call_options()))


@blueprint.post("/matters/<task_id>/rating")
@serves("lianyi.evaluation.v1.EvaluationService.RateMatter")
def rate_matter(task_id: str):
    """Rate a matter.
    ---
    post:
      summary: >-
        The household rates the matter's current round (满意, 基本满意, 不满意), once per round; staff record a
        rating a household gave in person by naming the household
      parameters:
        - {name: task_id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: RatingIn
      responses:
        200:
          description: Rated
          content:
            application/json:
              schema: MatterOut
        409: {$ref: "#/components/responses/Problem"}
    """
    body = json_body(RatingIn)
    stubs = upstreams()
    return matter_json(stubs.evaluation.RateMatter(pb.RateMatterRequest(
        task_id=task_id, rating=words.RATINGS.value(body.rating), comment=body.comment,
        household_id=body.household_id or "",
    ), **stubs.call_options()))
