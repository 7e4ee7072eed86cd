"""Sit-down talks over gRPC (served as part of IntakeService): translation only."""
from __future__ import annotations

from lianyi.intake.v1 import intake_service_pb2 as pb
from services.intake.talks.domain import LogEntry, TalkSession
from services.intake.talks.handlers import Talks


def record_session(talks: Talks, request: pb.RecordTalkSessionRequest) -> pb.TalkSession:
    return session_to_proto(talks.record(
        venue_id=request.venue_id, held_on=request.held_on, host_ids=list(request.host_ids),
        attendance=request.attendance,
        entries=[LogEntry(e.text, e.category, e.household_id, e.becomes_concern) for e in request.entries],
    ))


def list_sessions(talks: Talks, request: pb.ListTalkSessionsRequest) -> pb.ListTalkSessionsResponse:
    sessions, token = talks.list(request.neighbourhood_id, request.page_size, request.page_token)
    return pb.ListTalkSessionsResponse(sessions=[session_to_proto(s) for s in sessions], next_page_token=token)


def session_to_proto(session: TalkSession) -> pb.TalkSession:
    return pb.TalkSession(
        session_id=session.session_id, neighbourhood_id=session.neighbourhood_id, venue_id=session.venue_id,
        held_on=session.held_on.isoformat(), host_ids=list(session.host_ids), attendance=session.attendance,
        entries=[pb.OpinionLogEntry(text=e.text, category=e.category, household_id=e.household_id,
                                    becomes_concern=e.becomes_concern, concern_id=e.concern_id)
                 for e in session.entries],
    )
