"""/api/v1/talk-sessions: the sit-down talk channel (促膝谈) and its opinion logs."""
from __future__ import annotations

from flask import Blueprint

from lianyi.intake.v1 import intake_service_pb2 as intake_pb
from services.gateway.auth import serves
from services.gateway.bodies import json_body, query
from services.gateway.clients import upstreams
from services.gateway.schemas import OpinionLogEntryOut, PoolQuery, TalkSessionIn, TalkSessionOut, TalkSessionPage

blueprint = Blueprint("talks", __name__, url_prefix="/api/v1")



def _session_out(session) -> dict:
    return TalkSessionOut(
        session_id=session.session_id, neighbourhood_id=session.neighbourhood_id, venue_id=session.venue_id,
        held_on=session.held_on, host_ids=list(session.host_ids), attendance=session.attendance,
        entries=[OpinionLogEntryOut(text=e.text, category=e.category, household_id=e.household_id or None,
                                    concern_id=e.concern_id or None) for e in session.entries],
    ).model_dump(mode="json")


@blueprint.post("/talk-sessions")
@serves("lianyi.intake.v1.IntakeService.RecordTalkSession")
def record_talk_session():
    """Record a sit-down talk.
    ---
    post:
      summary: A session's hosts, attendance and opinion log; entries marked becomes_concern become concerns,
        and the log is reported to the neighbourhood party organisation
      requestBody:
        required: true
        content:
          application/json:
            schema: TalkSessionIn
      responses:
        201:
          description: Recorded, with the concern id of each entry that became one
          content:
            application/json:
              schema: TalkSessionOut
    """
    body = json_body(TalkSessionIn)
    session = upstreams().intake.RecordTalkSession(intake_pb.RecordTalkSessionRequest(
        venue_id=body.venue_id, held_on=body.held_on, host_ids=body.host_ids, attendance=body.attendance,
        entries=[intake_pb.OpinionLogEntry(text=e.text, category=e.category, household_id=e.household_id,
                                           becomes_concern=e.becomes_concern) for e in body.entries],
    ), **upstreams().call_options())
    return _session_out(session), 201


@blueprint.get("/neighbourhoods/<neighbourhood_id>/talk-sessions")
@serves("lianyi.intake.v1.IntakeService.ListTalkSessions")
def list_talk_sessions(neighbourhood_id: str):
    """Sit-down talks of a neighbourhood.
    ---
    get:
      summary: The neighbourhood's talk sessions and their opinion logs, in the order they were held
      parameters:
        - {name: neighbourhood_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: One page
          content:
            application/json:
              schema: TalkSessionPage
    """
    params = query(PoolQuery)
    page = upstreams().intake.ListTalkSessions(intake_pb.ListTalkSessionsRequest(
        neighbourhood_id=neighbourhood_id, page_size=params.page_size, page_token=params.page_token),
        **upstreams().call_options())
    return TalkSessionPage(sessions=[_session_out(s) for s in page.sessions],
                           next_page_token=page.next_page_token or None).model_dump(mode="json")
