"""/api/v1/concerns: submitting a concern and asking where it is."""
from __future__ import annotations

from collections import Counter
from datetime import UTC

from flask import Blueprint, request

from lianyi.intake.v1 import intake_service_pb2 as intake_pb
from services.gateway.auth import serves
from services.gateway.bodies import json_body
from services.gateway.clients import upstreams
from services.gateway.schemas import (
    CategoryList,
    CategoryOut,
    ConcernOut,
    ConcernSubmission,
    LocationIn,
    OnlineBatch,
    OnlineBatchReport,
    OnlineOutcomeOut,
    ReporterContactOut,
    SimilarConcernOut,
    TimelineEntryOut,
    TriageOut,
)
from services.intake.contract import channel_name, channel_value

blueprint = Blueprint("concerns", __name__, url_prefix="/api/v1/concerns")


def concern_out(message, *, with_duplicates: bool = False) -> dict:
    """A concern as the API shows it; possible duplicates only in answers that look for them."""
    reporter = None
    if message.HasField("reporter"):  # as intake allowed this caller to see it (maybe masked)
        reporter = ReporterContactOut(name=message.reporter.name, phone=message.reporter.phone)
    return ConcernOut(
        concern_id=message.concern_id,
        neighbourhood_id=message.neighbourhood_id,
        household_id=message.household_id or None,
        building_id=message.building_id or None,
        channel=channel_name(message.channel),
        category=message.category,
        description=message.description,
        reporter=reporter,
        status=message.status,
        received_at=message.received_at.ToDatetime(tzinfo=UTC),
        urgency=message.urgency or "normal",
        location=LocationIn(
            address=message.location.address,
            latitude=message.location.latitude if message.location.HasField("latitude") else None,
            longitude=message.location.longitude if message.location.HasField("longitude") else None,
        ) if message.HasField("location") else None,
        photo_urls=list(message.photo_urls),
        anonymous=message.anonymous,
        triage=TriageOut(
            route=message.triage.route, note=message.triage.note, rule_id=message.triage.rule_id or None,
            triaged_at=message.triage.triaged_at.ToDatetime(tzinfo=UTC),
        ) if message.HasField("triage") else None,
        merged_into=message.merged_into or None,
        updated_at=message.updated_at.ToDatetime(tzinfo=UTC),
        timeline=[TimelineEntryOut(status=e.status, at=e.at.ToDatetime(tzinfo=UTC), note=e.note,
                                   source=e.source) for e in message.timeline],
        possible_duplicates=similar_out(message.possible_duplicates) if with_duplicates else None,
    ).model_dump(mode="json", exclude=None if with_duplicates else {"possible_duplicates"})


def similar_out(found) -> list[SimilarConcernOut]:
    return [SimilarConcernOut(concern_id=c.concern_id, similarity=c.similarity, status=c.status,
                              received_at=c.received_at.ToDatetime(tzinfo=UTC)) for c in found]


@blueprint.post("")
@serves("lianyi.intake.v1.IntakeService.SubmitConcern")
def submit_concern():
    """Submit a concern.
    ---
    post:
      summary: Submit a concern from any channel
      parameters:
        - name: Idempotency-Key
          in: header
          schema: {type: string, maxLength: 100}
          description: A retry with the same key returns the first result and creates nothing new
      requestBody:
        required: true
        content:
          application/json:
            schema: ConcernSubmission
      responses:
        201:
          description: Recorded; it will reach deliberation, dispatch and evaluation
          content:
            application/json:
              schema: ConcernOut
        400: {$ref: "#/components/responses/Problem"}
        413: {$ref: "#/components/responses/Problem"}
        415: {$ref: "#/components/responses/Problem"}
    """
    body = json_body(ConcernSubmission)
    stubs = upstreams()
    submission = intake_pb.SubmitConcernRequest(
        idempotency_key=request.headers.get("Idempotency-Key", ""),
        neighbourhood_id=body.neighbourhood_id,
        household_id=body.household_id or "",
        building_id=body.building_id or "",
        channel=channel_value(body.channel),
        category=body.category,
        description=body.description,
        urgency=body.urgency,
        photo_urls=body.photo_urls,
        anonymous=body.anonymous,
    )
    if body.location is not None:
        submission.location.address = body.location.address
        if body.location.latitude is not None:
            submission.location.latitude = body.location.latitude
        if body.location.longitude is not None:
            submission.location.longitude = body.location.longitude
    if body.reporter is not None:
        submission.reporter.name = body.reporter.name
        submission.reporter.phone = body.reporter.phone
    concern = stubs.intake.SubmitConcern(submission, **stubs.call_options())
    # Concern ids are URL-safe; building the path here costs a fraction of url_for on the hot path.
    location = f"{blueprint.url_prefix}/{concern.concern_id}"
    return concern_out(concern, with_duplicates=True), 201, {"Location": location}


@blueprint.get("/<concern_id>")
@serves("lianyi.intake.v1.IntakeService.GetConcern")
def get_concern(concern_id: str):
    """Get a concern.
    ---
    get:
      summary: Where is this concern?
      parameters:
        - {name: concern_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: The concern
          content:
            application/json:
              schema: ConcernOut
    """
    stubs = upstreams()
    concern = stubs.intake.GetConcern(
        intake_pb.GetConcernRequest(concern_id=concern_id), **stubs.call_options()
    )
    return concern_out(concern)


@blueprint.post("/online-batches")
@serves("lianyi.intake.v1.IntakeService.SubmitOnlineMessages")
def submit_online_batch():
    """Online messages.
    ---
    post:
      summary: Messages from an owners' chat group, each becoming a concern once (by source message id)
      requestBody:
        required: true
        content:
          application/json:
            schema: OnlineBatch
      responses:
        200:
          description: What became of each message; re-sending a batch reports its messages as duplicates
          content:
            application/json:
              schema: OnlineBatchReport
    """
    body = json_body(OnlineBatch)
    stubs = upstreams()
    result = stubs.intake.SubmitOnlineMessages(intake_pb.SubmitOnlineMessagesRequest(
        source=body.source,
        messages=[intake_pb.OnlineMessage(source_message_id=m.source_message_id, neighbourhood_id=m.neighbourhood_id,
                                          text=m.text, category=m.category, household_id=m.household_id or "")
                  for m in body.messages],
    ), **stubs.call_options(timeout=30))
    summary = Counter({"created": 0, "duplicate": 0, "rejected": 0})
    summary.update(o.outcome for o in result.outcomes)
    return OnlineBatchReport(summary=dict(summary), outcomes=[
        OnlineOutcomeOut(index=o.index, outcome=o.outcome, concern_id=o.concern_id or None, reason=o.reason or None)
        for o in result.outcomes
    ]).model_dump(mode="json")


categories_blueprint = Blueprint("categories", __name__, url_prefix="/api/v1/categories")


@categories_blueprint.get("")
@serves("lianyi.intake.v1.IntakeService.ListCategories")
def list_categories():
    """Concern categories.
    ---
    get:
      summary: The county's open concern categories, with their zh-CN and English names
      responses:
        200:
          description: Every open category
          content:
            application/json:
              schema: CategoryList
    """
    stubs = upstreams()
    found = stubs.intake.ListCategories(intake_pb.ListCategoriesRequest(), **stubs.call_options())
    return CategoryList(categories=[
        CategoryOut(code=c.code, name_zh=c.name_zh, name_en=c.name_en) for c in found.categories
    ]).model_dump(mode="json")
