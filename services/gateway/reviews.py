"""The quarterly member review (季度综合评价): a member's own review, a member's for those who review
them, a neighbourhood's quarter, and its bulletin (通报) for the owners' group as zh-CN text or CSV."""
from __future__ import annotations

from flask import Blueprint, Response

from lianyi.evaluation.v1 import evaluation_service_pb2 as pb
from services.gateway import csv_answers
from services.gateway.auth import serves
from services.gateway.bodies import query
from services.gateway.clients import upstreams
from services.gateway.review_schemas import (
    BulletinQuery,
    MemberReviewListOut,
    MemberReviewOut,
    ReviewListQuery,
    ReviewQuery,
)

blueprint = Blueprint("reviews", __name__, url_prefix="/api/v1")

_FORMATS = {"text": pb.BULLETIN_FORMAT_TEXT, "csv": pb.BULLETIN_FORMAT_CSV}


def review_out(review) -> MemberReviewOut:
    def rate(field: str) -> float | None:
        return getattr(review, field) if review.HasField(field) else None

    return MemberReviewOut(
        member_id=review.member_id, member_name=review.member_name, neighbourhood_id=review.neighbourhood_id or None,
        quarter=review.quarter, committed=review.committed, fulfilled=review.fulfilled,
        fulfilled_on_time=review.fulfilled_on_time, open=review.open, released=review.released,
        satisfied=review.satisfied, basically_satisfied=review.basically_satisfied, unsatisfied=review.unsatisfied,
        rework_rounds=review.rework_rounds, door_visits=review.door_visits, panels_served=review.panels_served,
        fulfilment_rate=rate("fulfilment_rate"), on_time_rate=rate("on_time_rate"),
        satisfaction_rate=rate("satisfaction_rate"), grade=review.grade, shortfalls=list(review.shortfalls),
        rectify_by=review.rectify_by or None)


def _review(member_id: str, params: ReviewQuery) -> dict:
    stubs = upstreams()
    found = stubs.evaluation.GetMemberReview(pb.GetMemberReviewRequest(
        member_id=member_id, quarter=params.quarter or ""), **stubs.call_options())
    return review_out(found).model_dump(mode="json")


@blueprint.get("/review")
@serves("lianyi.evaluation.v1.EvaluationService.GetMemberReview")
def own_review():
    """The caller's own quarterly review.
    ---
    get:
      summary: The caller's own quarterly review (季度综合评价) from their commitment ledger
      responses:
        200:
          description: The review
          content:
            application/json:
              schema: MemberReviewOut
        404: {$ref: "#/components/responses/Problem"}
    """
    return _review("", query(ReviewQuery))


@blueprint.get("/members/<member_id>/review")
@serves("lianyi.evaluation.v1.EvaluationService.GetMemberReview")
def member_review(member_id: str):
    """A member's quarterly review.
    ---
    get:
      summary: A member's quarterly review (季度综合评价), for the member and those who review them
      parameters:
        - {name: member_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: The review
          content:
            application/json:
              schema: MemberReviewOut
    """
    return _review(member_id, query(ReviewQuery))


@blueprint.get("/neighbourhoods/<neighbourhood_id>/reviews")
@serves("lianyi.evaluation.v1.EvaluationService.ListMemberReviews")
def neighbourhood_reviews(neighbourhood_id: str):
    """A neighbourhood's quarterly reviews.
    ---
    get:
      summary: Every member of a neighbourhood reviewed for a quarter, best grade first
      parameters:
        - {name: neighbourhood_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: The quarter's reviews (as CSV, one row per member, shortfalls joined by ";")
          content:
            application/json:
              schema: MemberReviewListOut
            text/csv:
              schema: {type: string}
    """
    params = query(ReviewListQuery)
    stubs = upstreams()
    found = stubs.evaluation.ListMemberReviews(pb.ListMemberReviewsRequest(
        neighbourhood_id=neighbourhood_id, quarter=params.quarter or ""), **stubs.call_options())
    listed = MemberReviewListOut(neighbourhood_id=found.neighbourhood_id, neighbourhood_name=found.neighbourhood_name,
                                 quarter=found.quarter, reviews=[review_out(r) for r in found.reviews])
    if csv_answers.wants_csv(params.format):
        rows = ([";".join(v) if isinstance(v, list) else v for v in review.values()]
                for review in listed.model_dump(mode="json")["reviews"])
        return csv_answers.csv_response(list(MemberReviewOut.model_fields), rows, f"reviews-{found.quarter}.csv")
    return listed.model_dump(mode="json")


@blueprint.get("/neighbourhoods/<neighbourhood_id>/review-bulletin")
@serves("lianyi.evaluation.v1.EvaluationService.GetReviewBulletin")
def review_bulletin(neighbourhood_id: str):
    """A neighbourhood's quarterly bulletin.
    ---
    get:
      summary: >-
        The quarter's bulletin (通报) for the owners' group: zh-CN plain text, or CSV with a header row and
        one row per member (members by the names they are known by; nothing of any resident)
      parameters:
        - {name: neighbourhood_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: The bulletin
          content:
            text/plain:
              schema: {type: string}
            text/csv:
              schema: {type: string}
    """
    params = query(BulletinQuery)
    table = csv_answers.wants_csv(params.format)
    stubs = upstreams()
    found = stubs.evaluation.GetReviewBulletin(pb.GetReviewBulletinRequest(
        neighbourhood_id=neighbourhood_id, quarter=params.quarter or "", format=_FORMATS["csv" if table else "text"]),
        **stubs.call_options())
    if table:  # evaluation writes the table; it downloads as every CSV here does
        return csv_answers.csv_download(found.content, f"bulletin-{found.quarter}.csv")
    return Response(found.content, content_type="text/plain; charset=utf-8")
