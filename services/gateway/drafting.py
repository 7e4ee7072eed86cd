"""The drafting view of a topic: the concerns it was drafted from, as intake shows them to the caller.
Deliberation holds only their ids; each is asked of intake with the caller's principal, so intake
decides what of each concern the caller may see."""
from __future__ import annotations

from flask import Blueprint

from lianyi.deliberation.v1 import deliberation_service_pb2 as pb
from lianyi.intake.v1 import intake_service_pb2 as intake_pb
from services.contract import OWNERS_COMMITTEE, PROPERTY_COMPANY, RESIDENT
from services.gateway.auth import serves
from services.gateway.clients import upstreams
from services.gateway.concerns import concern_out

blueprint = Blueprint("drafting", __name__, url_prefix="/api/v1")


# Residents read published topics but never their concerns' ids, let alone the concerns; the owners'
# committee and the property company read topics but not concerns (intake's GetConcern serves
# neither), so they are refused here rather than after a call to deliberation.
@blueprint.get("/topics/<topic_id>/concerns")
@serves("lianyi.deliberation.v1.DeliberationService.GetTopic", excluding=(RESIDENT, OWNERS_COMMITTEE, PROPERTY_COMPANY))
def topic_concerns(topic_id: str):
    """A topic's concerns.
    ---
    get:
      summary: The concerns a topic was drafted from, each as intake shows it to the caller
      parameters:
        - {name: topic_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: The concerns, in the topic's order
          content:
            application/json:
              schema: TopicConcerns
    """
    stubs = upstreams()
    options = stubs.call_options()
    topic = stubs.deliberation.GetTopic(pb.GetTopicRequest(topic_id=topic_id), **options)
    # At most TOPIC_CONCERNS_MAX (50), asked at once; the first refusal answers for the view.
    asked = [stubs.intake.GetConcern.future(intake_pb.GetConcernRequest(concern_id=concern_id), **options)
             for concern_id in topic.concern_ids]
    return {"topic_id": topic.topic_id, "concerns": [concern_out(call.result()) for call in asked]}
