"""Triage (分解流转): the party secretary's follow-through on concerns, and the routing table."""
from __future__ import annotations

from flask import Blueprint

from lianyi.intake.v1 import intake_service_pb2 as intake_pb
from services.gateway.auth import serves
from services.gateway.bodies import json_body, query
from services.gateway.clients import upstreams
from services.gateway.concerns import concern_out, similar_out
from services.gateway.schemas import (
    MergeIn,
    SimilarConcernList,
    TriageIn,
    TriageRuleIn,
    TriageRuleList,
    TriageRuleOut,
    TriageRuleQuery,
)

blueprint = Blueprint("triage", __name__, url_prefix="/api/v1")


@blueprint.post("/concerns/<concern_id>/triage")
@serves("lianyi.intake.v1.IntakeService.TriageConcern")
def triage_concern(concern_id: str):
    """Triage a concern.
    ---
    post:
      summary: >-
        Send a received concern to direct handling (one household's matter) or to the
        neighbourhood's deliberation pool (a shared matter)
      parameters:
        - {name: concern_id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: TriageIn
      responses:
        200:
          description: Triaged; dispatch or deliberation takes it from here
          content:
            application/json:
              schema: ConcernOut
        409: {$ref: "#/components/responses/Problem"}
    """
    body = json_body(TriageIn)
    stubs = upstreams()
    concern = stubs.intake.TriageConcern(intake_pb.TriageConcernRequest(
        concern_id=concern_id, route=body.route, note=body.note), **stubs.call_options())
    return concern_out(concern, with_duplicates=True)


@blueprint.post("/concerns/<concern_id>/merge")
@serves("lianyi.intake.v1.IntakeService.MergeConcerns")
def merge_concerns(concern_id: str):
    """Merge concerns into this one.
    ---
    post:
      summary: Merge concerns about the same matter into this one (the survivor); they follow it from now on
      parameters:
        - {name: concern_id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: MergeIn
      responses:
        200:
          description: The survivor
          content:
            application/json:
              schema: ConcernOut
        409: {$ref: "#/components/responses/Problem"}
    """
    body = json_body(MergeIn)
    stubs = upstreams()
    concern = stubs.intake.MergeConcerns(intake_pb.MergeConcernsRequest(
        survivor_id=concern_id, concern_ids=body.concern_ids, note=body.note), **stubs.call_options())
    return concern_out(concern)


@blueprint.get("/concerns/<concern_id>/similar")
@serves("lianyi.intake.v1.IntakeService.ListSimilarConcerns")
def similar_concerns(concern_id: str):
    """Possible duplicates.
    ---
    get:
      summary: Recent concerns of the same neighbourhood and category whose text looks alike
      parameters:
        - {name: concern_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: Most similar first
          content:
            application/json:
              schema: SimilarConcernList
    """
    stubs = upstreams()
    found = stubs.intake.ListSimilarConcerns(intake_pb.ListSimilarConcernsRequest(concern_id=concern_id),
                                             **stubs.call_options())
    return SimilarConcernList(concerns=similar_out(found.concerns)).model_dump(mode="json")


def _rule_out(rule) -> TriageRuleOut:
    return TriageRuleOut(rule_id=rule.rule_id, scope_id=rule.scope_id, category=rule.category, urgency=rule.urgency,
                         route=rule.route, note=rule.note)


@blueprint.get("/triage-rules")
@serves("lianyi.intake.v1.IntakeService.ListTriageRules")
def list_rules():
    """The routing table at a place.
    ---
    get:
      summary: The triage rules that apply at a place (set there, above it, or everywhere)
      responses:
        200:
          description: >-
            The rules. For a concern, a rule naming its category beats one for any category (*),
            then the most specific place wins, then a rule naming the urgency
          content:
            application/json:
              schema: TriageRuleList
        404: {$ref: "#/components/responses/Problem"}
    """
    params = query(TriageRuleQuery)
    stubs = upstreams()
    found = stubs.intake.ListTriageRules(intake_pb.ListTriageRulesRequest(scope_id=params.scope_id),
                                         **stubs.call_options())
    return TriageRuleList(rules=[_rule_out(r) for r in found.rules]).model_dump(mode="json")


@blueprint.put("/triage-rules")
@serves("lianyi.intake.v1.IntakeService.SetTriageRule")
def set_rule():
    """Set a triage rule.
    ---
    put:
      summary: Add a rule, or replace the one for the same place, category and urgency
      requestBody:
        required: true
        content:
          application/json:
            schema: TriageRuleIn
      responses:
        200:
          description: The rule as kept; new concerns are triaged by it (every intake replica at once)
          content:
            application/json:
              schema: TriageRuleOut
        404: {$ref: "#/components/responses/Problem"}
    """
    body = json_body(TriageRuleIn)
    stubs = upstreams()
    rule = stubs.intake.SetTriageRule(intake_pb.SetTriageRuleRequest(rule=intake_pb.TriageRule(
        scope_id=body.scope_id, category=body.category, urgency=body.urgency, route=body.route, note=body.note,
    )), **stubs.call_options())
    return _rule_out(rule).model_dump(mode="json")


@blueprint.delete("/triage-rules/<rule_id>")
@serves("lianyi.intake.v1.IntakeService.DeleteTriageRule")
def delete_rule(rule_id: str):
    """Delete a triage rule.
    ---
    delete:
      summary: Remove a rule from the routing table
      parameters:
        - {name: rule_id, in: path, required: true, schema: {type: string}}
      responses:
        204: {description: Deleted}
    """
    stubs = upstreams()
    stubs.intake.DeleteTriageRule(intake_pb.DeleteTriageRuleRequest(rule_id=rule_id), **stubs.call_options())
    return "", 204
