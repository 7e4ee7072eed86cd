"""Intake's gRPC entrypoint: translates messages to commands and back, nothing more."""
from __future__ import annotations

from datetime import timezone

from lianyi.intake.v1 import intake_service_pb2, intake_service_pb2_grpc
from servicekit import logs
from servicekit.auth import ADMINS, NEIGHBOURHOOD_STAFF, PUBLIC, ROLES, allow, sees_contacts
from servicekit.grpc_server import Registration
from services.intake.domain import SubmitConcern
from services.intake.handlers import Intake, OnlineMessage
from services.intake.visits import grpc_api as visits_api
from services.intake.talks.handlers import LogEntry, TalkSession, Talks
from services.intake.visits.handlers import Visits
from services.intake.messages import (channel_name, concern_to_proto, location_from_proto, public_to_proto,
                                      reporter_from_proto)
from services.intake.public import PublicView
from services.intake.triage import grpc_api as triage_api
from services.intake.triage.handlers import Triage


class IntakeServicer(intake_service_pb2_grpc.IntakeServiceServicer):
    def __init__(self, intake: Intake, visits: Visits | None = None, talks: Talks | None = None,
                 triage: Triage | None = None, public: PublicView | None = None):
        self.intake, self.visits, self.talks, self.triage, self.public = intake, visits, talks, triage, public

    @allow("resident", *NEIGHBOURHOOD_STAFF, *ADMINS, "integration")
    def SubmitConcern(self, request, context):  # noqa: N802 (gRPC naming)
        concern = self.intake.submit_concern(SubmitConcern(
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
        ))
        return concern_to_proto(concern, with_contact=True, masked=not sees_contacts())

    @allow("resident", *NEIGHBOURHOOD_STAFF, *ADMINS, "integration")
    def GetConcern(self, request, context):  # noqa: N802
        return concern_to_proto(self.intake.get_concern(request.concern_id), with_contact=True,
                                masked=not sees_contacts())


    @allow("party_secretary", *ADMINS, "integration")
    def SubmitOnlineMessages(self, request, context):  # noqa: N802
        outcomes = self.intake.take_online_messages(request.source, [
            OnlineMessage(source_message_id=m.source_message_id, neighbourhood_id=m.neighbourhood_id, text=m.text,
                          category=m.category, household_id=m.household_id)
            for m in request.messages
        ])
        return intake_service_pb2.SubmitOnlineMessagesResponse(outcomes=[
            intake_service_pb2.OnlineMessageOutcome(index=o.index, outcome=o.outcome, concern_id=o.concern_id,
                                                    reason=o.reason)
            for o in outcomes
        ])

    @allow(*NEIGHBOURHOOD_STAFF, *ADMINS)
    def RecordVisit(self, request, context):  # noqa: N802
        return visits_api.record_visit(self.visits, request)

    @allow(*NEIGHBOURHOOD_STAFF, *ADMINS, "integration")
    def GetVisitCoverage(self, request, context):  # noqa: N802
        return visits_api.coverage_to_proto(
            self.visits.coverage(request.neighbourhood_id, request.from_date, request.to_date))

    @allow(*NEIGHBOURHOOD_STAFF, *ADMINS)
    def RecordTalkSession(self, request, context):  # noqa: N802
        session = self.talks.record(
            venue_id=request.venue_id, held_on=request.held_on, host_ids=list(request.host_ids),
            attendance=request.attendance,
            entries=[LogEntry(e.text, e.category, e.household_id, e.becomes_concern) for e in request.entries],
        )
        return _session(session)

    @allow(*NEIGHBOURHOOD_STAFF, *ADMINS)
    def ListTalkSessions(self, request, context):  # noqa: N802
        sessions, token = self.talks.list(request.neighbourhood_id, request.page_size, request.page_token)
        return intake_service_pb2.ListTalkSessionsResponse(sessions=[_session(s) for s in sessions],
                                                           next_page_token=token)

    @allow("party_secretary", *ADMINS)
    def TriageConcern(self, request, context):  # noqa: N802
        concern = self.triage.triage(request.concern_id, request.route, request.note)
        return concern_to_proto(concern, with_contact=True, masked=not sees_contacts())

    @allow("party_secretary", *ADMINS)
    def MergeConcerns(self, request, context):  # noqa: N802
        concern = self.triage.merge(request.survivor_id, list(request.concern_ids), request.note)
        return concern_to_proto(concern, with_contact=True, masked=not sees_contacts())

    @allow(*NEIGHBOURHOOD_STAFF, *ADMINS, "integration")
    def ListSimilarConcerns(self, request, context):  # noqa: N802
        return triage_api.similar_to_proto(self.triage.similar(request.concern_id))

    @allow(*NEIGHBOURHOOD_STAFF, *ADMINS, "integration")
    def ListConcerns(self, request, context):  # noqa: N802
        concerns, token = self.intake.list_concerns(request.neighbourhood_id, list(request.statuses),
                                                    request.category, request.page_size, request.page_token,
                                                    request.building_id)
        masked = not sees_contacts()
        return intake_service_pb2.ListConcernsResponse(
            concerns=[concern_to_proto(c, with_contact=True, masked=masked) for c in concerns], next_page_token=token)

    @allow(PUBLIC, *ROLES)
    def ListPublicConcerns(self, request, context):  # noqa: N802
        def moment(field: str):
            return getattr(request, field).ToDatetime(tzinfo=timezone.utc) if request.HasField(field) else None

        shown = self.public.list(
            concern_ids=list(request.concern_ids), category=request.category, received_from=moment("received_from"),
            received_to=moment("received_to"), states=list(request.states), neighbourhood_id=request.neighbourhood_id,
            limit=request.limit)
        return intake_service_pb2.ListPublicConcernsResponse(concerns=[public_to_proto(c) for c in shown])

    @allow(*NEIGHBOURHOOD_STAFF, *ADMINS, "integration")
    def ListTriageRules(self, request, context):  # noqa: N802
        return intake_service_pb2.ListTriageRulesResponse(
            rules=[triage_api.rule_to_proto(r) for r in self.triage.rules_for(request.scope_id)])

    @allow("party_secretary", *ADMINS)
    def SetTriageRule(self, request, context):  # noqa: N802
        return triage_api.rule_to_proto(self.triage.set_rule(triage_api.rule_from_proto(request.rule)))

    @allow("party_secretary", *ADMINS)
    def DeleteTriageRule(self, request, context):  # noqa: N802
        self.triage.delete_rule(request.rule_id)
        return intake_service_pb2.DeleteTriageRuleResponse()

    @allow(PUBLIC, *ROLES)  # Open311's service list is public
    def ListCategories(self, request, context):  # noqa: N802
        return intake_service_pb2.ListCategoriesResponse(categories=[
            intake_service_pb2.Category(code=code, name_zh=zh, name_en=en) for code, zh, en in self.intake.categories()
        ])


def _session(session: TalkSession) -> intake_service_pb2.TalkSession:
    return intake_service_pb2.TalkSession(
        session_id=session.session_id, neighbourhood_id=session.neighbourhood_id, venue_id=session.venue_id,
        held_on=session.held_on.isoformat(), host_ids=list(session.host_ids), attendance=session.attendance,
        entries=[intake_service_pb2.OpinionLogEntry(text=e.text, category=e.category, household_id=e.household_id,
                                                    becomes_concern=e.becomes_concern, concern_id=e.concern_id)
                 for e in session.entries],
    )


def registration(intake: Intake, visits: Visits | None = None, talks: Talks | None = None,
                 triage: Triage | None = None, public: PublicView | None = None) -> Registration:
    return Registration(
        service_name="lianyi.intake.v1.IntakeService",
        servicer=IntakeServicer(intake, visits, talks, triage, public),
        add=intake_service_pb2_grpc.add_IntakeServiceServicer_to_server,
    )
