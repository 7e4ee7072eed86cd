"""Translation between triage's domain objects and intake's protobuf messages."""
from __future__ import annotations

from lianyi.intake.v1 import intake_service_pb2 as pb
from services.intake.domain import SimilarConcern as Similar
from services.intake.triage.domain import Rule


def rule_to_proto(rule: Rule) -> pb.TriageRule:
    return pb.TriageRule(rule_id=rule.rule_id, scope_id=rule.scope_id, category=rule.category, urgency=rule.urgency,
                         route=rule.route, note=rule.note)


def rule_from_proto(message: pb.TriageRule) -> Rule:
    return Rule(rule_id="", scope_id=message.scope_id, category=message.category, urgency=message.urgency,
                route=message.route, note=message.note)


def similar_to_proto(found: list[Similar]) -> pb.ListSimilarConcernsResponse:
    response = pb.ListSimilarConcernsResponse()
    for similar in found:
        message = response.concerns.add(concern_id=similar.concern_id, similarity=similar.similarity,
                                        status=similar.status)
        message.received_at.FromDatetime(similar.received_at)
    return response


