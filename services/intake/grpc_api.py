"""Intake's gRPC entrypoint: translates messages to commands and back, nothing more."""
from __future__ import annotations

from lianyi.intake.v1 import intake_service_pb2, intake_service_pb2_grpc
from servicekit import logs
from servicekit.auth import ADMINS, NEIGHBOURHOOD_STAFF, ROLES, allow, sees_contacts
from servicekit.grpc_server import Registration
from services.intake.domain import SubmitConcern
from services.intake.handlers import Intake, OnlineMessage
from services.intake.visits import grpc_api as visits_api
from services.intake.talks.handlers import LogEntry, TalkSession, Talks
from services.intake.visits.handlers import Visits
from services.intake.messages import channel_name, concern_to_proto, location_from_proto, reporter_from_proto


class IntakeServicer(intake_service_pb2_grpc.IntakeServiceServicer):
    def __init__(self, intake: Intake, visits: Visits | None = None, talks: Talks | None = None):
        self.intake, self.visits, self.talks = intake, visits, talks

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

    @allow(*ROLES)
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


def registration(intake: Intake, visits: Visits | None = None, talks: Talks | None = None) -> Registration:
    return Registration(
        service_name="lianyi.intake.v1.IntakeService",
        servicer=IntakeServicer(intake, visits, talks),
        add=intake_service_pb2_grpc.add_IntakeServiceServicer_to_server,
    )
