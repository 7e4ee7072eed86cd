"""An accepted topic's panel of members (群议): the proposal, the confirmed panel, its opinions (意见)
and consensus (共识)."""
from __future__ import annotations

from flask import Blueprint

from lianyi.deliberation.v1 import deliberation_service_pb2 as pb
from services.gateway.auth import serves
from services.gateway.bodies import json_body, query
from services.gateway.clients import upstreams
from services.gateway.deliberation_out import opinion_out, panellists_out, topic_json
from services.gateway.deliberation_schemas import (
    ConsensusIn,
    OpinionIn,
    PanelIn,
    PanelProposalOut,
    PanelProposalQuery,
)

blueprint = Blueprint("panels", __name__, url_prefix="/api/v1/topics")


@blueprint.get("/<topic_id>/panel-proposal")
@serves("lianyi.deliberation.v1.DeliberationService.GetPanelProposal")
def propose_panel(topic_id: str):
    """Propose a panel.
    ---
    get:
      summary: The panel the service suggests (member kinds mixed, fewest recent panels first), and the alternatives
      parameters:
        - {name: topic_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: The proposal; nothing is kept until the panel is confirmed
          content:
            application/json:
              schema: PanelProposalOut
        409: {$ref: "#/components/responses/Problem"}
    """
    params = query(PanelProposalQuery)
    stubs = upstreams()
    found = stubs.deliberation.GetPanelProposal(pb.GetPanelProposalRequest(topic_id=topic_id, size=params.size),
                                            **stubs.call_options())
    return PanelProposalOut(topic_id=found.topic_id, panellists=panellists_out(found.panellists),
                            candidates=panellists_out(found.candidates)).model_dump(mode="json")


@blueprint.put("/<topic_id>/panel")
@serves("lianyi.deliberation.v1.DeliberationService.ConfirmPanel")
def confirm_panel(topic_id: str):
    """Confirm the panel.
    ---
    put:
      summary: Confirm an accepted topic's panel of members; it starts deliberating
      parameters:
        - {name: topic_id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: PanelIn
      responses:
        200:
          description: Deliberating
          content:
            application/json:
              schema: TopicOut
        409: {$ref: "#/components/responses/Problem"}
    """
    body = json_body(PanelIn)
    stubs = upstreams()
    return topic_json(stubs.deliberation.ConfirmPanel(pb.ConfirmPanelRequest(
        topic_id=topic_id, member_ids=body.member_ids), **stubs.call_options()))


@blueprint.post("/<topic_id>/opinions")
@serves("lianyi.deliberation.v1.DeliberationService.AddOpinion")
def add_opinion(topic_id: str):
    """Give an opinion.
    ---
    post:
      summary: A panellist's opinion, or one the party secretary records for a panellist (member_id)
      parameters:
        - {name: topic_id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: OpinionIn
      responses:
        201:
          description: Given
          content:
            application/json:
              schema: OpinionOut
        409: {$ref: "#/components/responses/Problem"}
    """
    body = json_body(OpinionIn)
    stubs = upstreams()
    opinion = stubs.deliberation.AddOpinion(pb.AddOpinionRequest(
        topic_id=topic_id, text=body.text, member_id=body.member_id or ""), **stubs.call_options())
    return opinion_out(opinion).model_dump(mode="json"), 201


@blueprint.post("/<topic_id>/consensus")
@serves("lianyi.deliberation.v1.DeliberationService.RecordConsensus")
def record_consensus(topic_id: str):
    """Record the consensus.
    ---
    post:
      summary: What the panel agreed, once every panellist has given an opinion
      parameters:
        - {name: topic_id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: ConsensusIn
      responses:
        200:
          description: Consensus reached; the joint meeting decides next
          content:
            application/json:
              schema: TopicOut
        409: {$ref: "#/components/responses/Problem"}
    """
    body = json_body(ConsensusIn)
    stubs = upstreams()
    return topic_json(stubs.deliberation.RecordConsensus(pb.RecordConsensusRequest(
        topic_id=topic_id, consensus=body.consensus), **stubs.call_options()))
