"""The joint meeting (大物业联席会) decides a topic the panel reached consensus on: its resolution (决议)
and the plan dispatch takes."""
from __future__ import annotations

from flask import Blueprint

from lianyi.deliberation.v1 import deliberation_service_pb2 as pb
from services.gateway import deliberation_words as words
from services.gateway.auth import serves
from services.gateway.bodies import json_body
from services.gateway.clients import upstreams
from services.gateway.deliberation_out import topic_json
from services.gateway.deliberation_schemas import DecisionIn

blueprint = Blueprint("decisions", __name__, url_prefix="/api/v1/topics")


@blueprint.post("/<topic_id>/decision")
@serves("lianyi.deliberation.v1.DeliberationService.RecordDecision")
def record_decision(topic_id: str):
    """Record the joint meeting's decision.
    ---
    post:
      summary: >-
        The joint meeting's (大物业联席会) attendees, resolution and plan; dispatch takes the plan's actions
        and the topic's concerns are decided
      parameters:
        - {name: topic_id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: DecisionIn
      responses:
        201:
          description: Decided
          content:
            application/json:
              schema: TopicOut
        409: {$ref: "#/components/responses/Problem"}
    """
    body = json_body(DecisionIn)
    stubs = upstreams()
    topic = stubs.deliberation.RecordDecision(pb.RecordDecisionRequest(
        topic_id=topic_id,
        attendees=[pb.Attendee(body=a.body, name=a.name or "") for a in body.attendees],
        minutes=body.minutes,
        resolution=body.resolution,
        actions=[pb.ActionInput(description=a.description, tier=words.TIERS.value(a.tier),
                                owner_id=a.owner_id or "", owner_name=a.owner_name or "", deadline=a.deadline)
                 for a in body.actions],
    ), **stubs.call_options())
    return topic_json(topic), 201
