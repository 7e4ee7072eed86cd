"""Intake's gRPC entrypoint: translates messages to commands and back, nothing more (who may call
each RPC is declared in its proto)."""
from __future__ import annotations

from lianyi.intake.v1 import concern_pb2
from lianyi.intake.v1 import intake_service_pb2 as pb
from lianyi.intake.v1 import intake_service_pb2_grpc as pb_grpc
from servicekit import auth, logs, moments
from servicekit.grpc_server import Registration
from services.contract import sees_contacts
from services.intake.contract import channel_name
from services.intake.domain import Concern, SubmitConcern
from services.intake.figures import grpc_api as figures_api
from services.intake.figures.handlers import AskingReport
from services.intake.handlers import Concerns, OnlineMessage
from services.intake.messages import concern_to_proto, location_from_proto, public_to_proto, reporter_from_proto
from services.intake.talks import grpc_api as talks_api
from services.intake.talks.handlers import Talks
from services.intake.triage import grpc_api as triage_api
from services.intake.triage.handlers import Triage
from services.intake.visits import grpc_api as visits_api
from services.intake.visits.handlers import Visits


def _shown(concern: Concern) -> concern_pb2.Concern:
    """A concern as the caller may see it: contact details masked unless their role needs them."""
    return concern_to_proto(concern, with_contact=True, masked=not sees_contacts(auth.current.get()))


class IntakeServicer(pb_grpc.IntakeServiceServicer):
    def __init__(self, concerns: Concerns, visits: Visits, talks: Talks, triage: Triage, asking: AskingReport):
        self.concerns, self.visits, self.talks, self.triage, self.asking = concerns, visits, talks, triage, asking

    def SubmitConcern(self, request: pb.SubmitConcernRequest, context: object) -> concern_pb2.Concern:
        return _shown(self.concerns.submit_concern(SubmitConcern(
            neighbourhood_id=request.neighbourhood_id,
            household_id=request.household_id,
            channel=channel_name(request.channel),
            category=request.category,
            description=request.description,
            reporter=reporter_from_proto(request.reporter, request.HasField("reporter")),
            correlation_id=logs.correlation_id.get(),
            idempotency_key=request.idempotency_key,
            urgency=request.urgency or "normal",
            location=location_from_proto(request.location, request.HasField("location")),
            photo_urls=tuple(request.photo_urls),
            anonymous=request.anonymous,
            building_id=request.building_id,
        ), address_id=request.address_id))

    def GetConcern(self, request: pb.GetConcernRequest, context: object) -> concern_pb2.Concern:
        return _shown(self.concerns.get_concern(request.concern_id))

    def SubmitOnlineMessages(self, request: pb.SubmitOnlineMessagesRequest,
                             context: object) -> pb.SubmitOnlineMessagesResponse:
        outcomes = self.concerns.take_online_messages(request.source, [
            OnlineMessage(source_message_id=m.source_message_id, neighbourhood_id=m.neighbourhood_id, text=m.text,
                          category=m.category, household_id=m.household_id)
            for m in request.messages
        ])
        return pb.SubmitOnlineMessagesResponse(outcomes=[
            pb.OnlineMessageOutcome(index=o.index, outcome=o.outcome, concern_id=o.concern_id, reason=o.reason)
            for o in outcomes
        ])

    def RecordVisit(self, request: pb.RecordVisitRequest, context: object) -> pb.Visit:
        return visits_api.record_visit(self.visits, request)

    def GetVisitCoverage(self, request: pb.GetVisitCoverageRequest, context: object) -> pb.VisitCoverage:
        return visits_api.coverage_to_proto(
            self.visits.coverage(request.neighbourhood_id, request.from_date, request.to_date))

    def GetAskingFigures(self, request: pb.GetAskingFiguresRequest, context: object) -> pb.AskingFigures:
        return figures_api.figures_to_proto(self.asking.figures(request.place_id, request.from_day, request.to_day))

    def RecordTalkSession(self, request: pb.RecordTalkSessionRequest, context: object) -> pb.TalkSession:
        return talks_api.record_session(self.talks, request)

    def ListTalkSessions(self, request: pb.ListTalkSessionsRequest,
                         context: object) -> pb.ListTalkSessionsResponse:
        return talks_api.list_sessions(self.talks, request)

    def TriageConcern(self, request: pb.TriageConcernRequest, context: object) -> concern_pb2.Concern:
        return _shown(self.triage.triage(request.concern_id, request.route, request.note))

    def MergeConcerns(self, request: pb.MergeConcernsRequest, context: object) -> concern_pb2.Concern:
        return _shown(self.triage.merge(request.survivor_id, list(request.concern_ids), request.note))

    def ListSimilarConcerns(self, request: pb.ListSimilarConcernsRequest,
                            context: object) -> pb.ListSimilarConcernsResponse:
        return triage_api.similar_to_proto(self.triage.similar(request.concern_id))

    def ListConcerns(self, request: pb.ListConcernsRequest, context: object) -> pb.ListConcernsResponse:
        concerns, token = self.concerns.list_concerns(request.neighbourhood_id, list(request.statuses),
                                                      request.category, request.page_size, request.page_token,
                                                      request.building_id)
        return pb.ListConcernsResponse(concerns=[_shown(c) for c in concerns], next_page_token=token)

    def ListPublicConcerns(self, request: pb.ListPublicConcernsRequest,
                           context: object) -> pb.ListPublicConcernsResponse:
        shown = self.concerns.list_public(
            concern_ids=list(request.concern_ids), categories=list(request.categories),
            received_from=moments.requested(request, "received_from"),
            received_to=moments.requested(request, "received_to"), states=list(request.states),
            neighbourhood_id=request.neighbourhood_id, limit=request.limit)
        return pb.ListPublicConcernsResponse(concerns=[public_to_proto(c) for c in shown])

    def ListTriageRules(self, request: pb.ListTriageRulesRequest,
                        context: object) -> pb.ListTriageRulesResponse:
        return pb.ListTriageRulesResponse(
            rules=[triage_api.rule_to_proto(r) for r in self.triage.rules_for(request.scope_id)])

    def SetTriageRule(self, request: pb.SetTriageRuleRequest, context: object) -> pb.TriageRule:
        return triage_api.rule_to_proto(self.triage.set_rule(triage_api.rule_from_proto(request.rule)))

    def DeleteTriageRule(self, request: pb.DeleteTriageRuleRequest,
                         context: object) -> pb.DeleteTriageRuleResponse:
        self.triage.delete_rule(request.rule_id)
        return pb.DeleteTriageRuleResponse()

    def ListCategories(self, request: pb.ListCategoriesRequest, context: object) -> pb.ListCategoriesResponse:
        return pb.ListCategoriesResponse(categories=[
            pb.Category(code=code, name_zh=zh, name_en=en) for code, zh, en in self.concerns.categories()
        ])


def registration(concerns: Concerns, visits: Visits, talks: Talks, triage: Triage, asking: AskingReport
                 ) -> Registration:
    return Registration(
        service_name="lianyi.intake.v1.IntakeService",
        servicer=IntakeServicer(concerns, visits, talks, triage, asking),
        add=pb_grpc.add_IntakeServiceServicer_to_server,
    )
