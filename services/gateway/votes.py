"""The residents' vote on a published topic (议不议): a household's vote, the tally, closing it early,
and what becomes of a rejected topic's concerns."""
from __future__ import annotations

from flask import Blueprint

from lianyi.deliberation.v1 import deliberation_service_pb2 as pb
from services.gateway import deliberation_words as words
from services.gateway.auth import serves
from services.gateway.bodies import json_body
from services.gateway.clients import upstreams
from services.gateway.deliberation_out import tally_out, topic_json, vote_out
from services.gateway.deliberation_schemas import ReleaseIn, VoteIn

blueprint = Blueprint("votes", __name__, url_prefix="/api/v1/topics")


@blueprint.put("/<topic_id>/vote")
@serves("lianyi.deliberation.v1.DeliberationService.CastVote")
def cast_vote(topic_id: str):
    """Vote on a topic.
    ---
    put:
      summary: A household's vote whether to deliberate the topic; voting again changes it until the vote closes
      parameters:
        - {name: topic_id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: VoteIn
      responses:
        200:
          description: The household's vote as it now stands
          content:
            application/json:
              schema: VoteOut
        409: {$ref: "#/components/responses/Problem"}
    """
    body = json_body(VoteIn)
    stubs = upstreams()
    vote = stubs.deliberation.CastVote(pb.CastVoteRequest(topic_id=topic_id, choice=words.CHOICES.value(body.choice)),
                                       **stubs.call_options())
    return vote_out(vote).model_dump(mode="json")


@blueprint.get("/<topic_id>/tally")
@serves("lianyi.deliberation.v1.DeliberationService.GetTally")
def tally(topic_id: str):
    """The vote's tally.
    ---
    get:
      summary: Votes for and against, of the neighbourhood's households, and whether quorum and threshold are met
      parameters:
        - {name: topic_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: Live while the vote is open, final once it closed
          content:
            application/json:
              schema: TallyOut
        409: {$ref: "#/components/responses/Problem"}
    """
    stubs = upstreams()
    found = stubs.deliberation.GetTally(pb.GetTallyRequest(topic_id=topic_id), **stubs.call_options())
    return tally_out(found).model_dump(mode="json")


@blueprint.post("/<topic_id>/close-vote")
@serves("lianyi.deliberation.v1.DeliberationService.CloseVote")
def close_vote(topic_id: str):
    """Close the vote early.
    ---
    post:
      summary: Close the vote before its window ends; the topic is accepted or rejected by the county's rule
      parameters:
        - {name: topic_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: Accepted or rejected (and why), with the final tally
          content:
            application/json:
              schema: TopicOut
        409: {$ref: "#/components/responses/Problem"}
    """
    stubs = upstreams()
    return topic_json(stubs.deliberation.CloseVote(pb.CloseVoteRequest(topic_id=topic_id), **stubs.call_options()))


@blueprint.post("/<topic_id>/release")
@serves("lianyi.deliberation.v1.DeliberationService.ReleaseConcerns")
def release_concerns(topic_id: str):
    """Release a rejected topic's concerns.
    ---
    post:
      summary: A rejected topic's concerns go back to the pool, or are closed with a reason on their timelines
      parameters:
        - {name: topic_id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: ReleaseIn
      responses:
        200:
          description: Released
          content:
            application/json:
              schema: TopicOut
        409: {$ref: "#/components/responses/Problem"}
    """
    body = json_body(ReleaseIn)
    stubs = upstreams()
    return topic_json(stubs.deliberation.ReleaseConcerns(pb.ReleaseConcernsRequest(
        topic_id=topic_id, fate=words.FATES.value(body.fate), reason=body.reason), **stubs.call_options()))
