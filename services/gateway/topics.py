"""Topics (议题): drafted by the party secretary from the neighbourhood's pool, withdrawn or published
(公开公示) for the residents' vote, and read by everyone the neighbourhood's topics concern."""
from __future__ import annotations

from flask import Blueprint

from lianyi.deliberation.v1 import deliberation_service_pb2 as pb
from services.gateway import deliberation_words as words
from services.gateway.auth import serves
from services.gateway.bodies import json_body, query
from services.gateway.clients import upstreams
from services.gateway.deliberation_out import topic_json, topic_out
from services.gateway.deliberation_schemas import AgendaOut, AgendaQuery, TopicDraft, TopicPage, TopicQuery

blueprint = Blueprint("topics", __name__, url_prefix="/api/v1")


@blueprint.post("/neighbourhoods/<neighbourhood_id>/topics")
@serves("lianyi.deliberation.v1.DeliberationService.DraftTopic")
def draft_topic(neighbourhood_id: str):
    """Draft a topic.
    ---
    post:
      summary: Draft a topic from concerns in the neighbourhood's pool; they leave the pool while it holds them
      parameters:
        - {name: neighbourhood_id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: TopicDraft
      responses:
        201:
          description: Drafted; publish it to put it to the residents' vote
          content:
            application/json:
              schema: TopicOut
        409: {$ref: "#/components/responses/Problem"}
    """
    body = json_body(TopicDraft)
    stubs = upstreams()
    topic = stubs.deliberation.DraftTopic(pb.DraftTopicRequest(
        neighbourhood_id=neighbourhood_id, title=body.title, summary=body.summary, concern_ids=body.concern_ids,
        meeting_on=body.meeting_on or ""), **stubs.call_options())
    return topic_json(topic), 201, {"Location": f"{blueprint.url_prefix}/topics/{topic.topic_id}"}


@blueprint.get("/neighbourhoods/<neighbourhood_id>/topics")
@serves("lianyi.deliberation.v1.DeliberationService.ListTopics")
def list_topics(neighbourhood_id: str):
    """The neighbourhood's topics.
    ---
    get:
      summary: The neighbourhood's topics, oldest first (residents see those put to them, from publication on)
      parameters:
        - {name: neighbourhood_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: One page of topics
          content:
            application/json:
              schema: TopicPage
    """
    params = query(TopicQuery)
    stubs = upstreams()
    page = stubs.deliberation.ListTopics(pb.ListTopicsRequest(
        neighbourhood_id=neighbourhood_id, states=[words.STATES.value(s) for s in params.state],
        page_size=params.page_size, page_token=params.page_token), **stubs.call_options())
    return TopicPage(topics=[topic_out(t) for t in page.topics],
                     next_page_token=page.next_page_token or None).model_dump(mode="json")


@blueprint.get("/neighbourhoods/<neighbourhood_id>/agenda")
@serves("lianyi.deliberation.v1.DeliberationService.GetAgenda")
def agenda(neighbourhood_id: str):
    """The month's agenda.
    ---
    get:
      summary: The month's deliberation day (议事日) agenda, its topics by meeting date
      parameters:
        - {name: neighbourhood_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: The agenda
          content:
            application/json:
              schema: AgendaOut
    """
    params = query(AgendaQuery)
    stubs = upstreams()
    found = stubs.deliberation.GetAgenda(pb.GetAgendaRequest(neighbourhood_id=neighbourhood_id, month=params.month),
                                         **stubs.call_options())
    return AgendaOut(neighbourhood_id=found.neighbourhood_id, month=found.month,
                     topics=[topic_out(t) for t in found.topics]).model_dump(mode="json")


@blueprint.get("/topics/<topic_id>")
@serves("lianyi.deliberation.v1.DeliberationService.GetTopic")
def get_topic(topic_id: str):
    """Get a topic.
    ---
    get:
      summary: A topic and everything that happened to it
      parameters:
        - {name: topic_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: The topic
          content:
            application/json:
              schema: TopicOut
    """
    stubs = upstreams()
    return topic_json(stubs.deliberation.GetTopic(pb.GetTopicRequest(topic_id=topic_id), **stubs.call_options()))


@blueprint.post("/topics/<topic_id>/withdraw")
@serves("lianyi.deliberation.v1.DeliberationService.WithdrawTopic")
def withdraw_topic(topic_id: str):
    """Withdraw a draft.
    ---
    post:
      summary: Withdraw a drafted topic; its concerns go back to the pool
      parameters:
        - {name: topic_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: Withdrawn
          content:
            application/json:
              schema: TopicOut
        409: {$ref: "#/components/responses/Problem"}
    """
    stubs = upstreams()
    return topic_json(stubs.deliberation.WithdrawTopic(pb.WithdrawTopicRequest(topic_id=topic_id),
                                                       **stubs.call_options()))


@blueprint.post("/topics/<topic_id>/publish")
@serves("lianyi.deliberation.v1.DeliberationService.PublishTopic")
def publish_topic(topic_id: str):
    """Publish a draft.
    ---
    post:
      summary: Publish a drafted topic (公开公示); the residents' vote (议不议) opens for the county's window
      parameters:
        - {name: topic_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: Published, with its live tally
          content:
            application/json:
              schema: TopicOut
        409: {$ref: "#/components/responses/Problem"}
    """
    stubs = upstreams()
    return topic_json(stubs.deliberation.PublishTopic(pb.PublishTopicRequest(topic_id=topic_id),
                                                      **stubs.call_options()))
