"""Evaluation's gRPC entrypoint: translation only (who may call each RPC is in its proto)."""
from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from lianyi.evaluation.v1 import evaluation_service_pb2 as pb
from lianyi.evaluation.v1 import evaluation_service_pb2_grpc as pb_grpc
from lianyi.evaluation.v1 import events_pb2
from servicekit import auth
from servicekit.errors import InvalidArgument
from servicekit.grpc_server import Registration
from services.contract import RESIDENT, sees_contacts
from services.evaluation.events import RATING_ENUM, RATING_WORD
from services.evaluation.handlers import Evaluation
from services.evaluation.matters.domain import Matter
from services.evaluation.matters.handlers import Matters
from services.evaluation.rates import domain as rates
from services.evaluation.rates.queries import RateQueries

_LISTS = {pb.MATTER_LIST_UNSPECIFIED: "mine", pb.MATTER_LIST_MINE: "mine", pb.MATTER_LIST_PLACE: "place"}


def _at(moment: datetime | None) -> Timestamp | None:
    if moment is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def matter_to_proto(matter: Matter) -> pb.Matter:
    supervisor = matter.supervisor
    principal = auth.current.get()
    households, comment = matter.household_ids if sees_contacts(principal) else (), matter.comment
    if principal is not None and principal.role == RESIDENT:
        # A resident sees their own household, and a comment only if their household gave it.
        households = tuple(h for h in matter.household_ids if h == principal.entity_id)
        comment = comment if matter.rated_household == principal.entity_id else ""
    return pb.Matter(
        task_id=matter.task_id, neighbourhood_id=matter.place.neighbourhood_id, decision_id=matter.decision_id,
        action_id=matter.action_id, concern_ids=matter.concern_ids, household_ids=households,
        round=matter.round, state=matter.state, result=matter.result, resolved_at=_at(matter.resolved_at),
        rating_due=_at(matter.rating_due), rating=RATING_ENUM.get(matter.rating, events_pb2.RATING_UNSPECIFIED),
        comment=comment, rated_at=_at(matter.rated_at), in_person=matter.in_person,
        recorded_by=matter.recorded_by, supervisor_id=supervisor.id if supervisor else "",
        supervisor_name=supervisor.name if supervisor else "", reminded_at=_at(matter.reminded_at))


def rates_to_proto(found: rates.Rates) -> pb.Rates:
    tally = found.tally
    subject = {rates.PLACE: "place_id", rates.MEMBER: "member_id", rates.DEPARTMENT: "department_id"}
    message = pb.Rates(period=found.period, **{subject[found.subject_kind]: found.subject_id}, **tally.counts())
    for name in ("response_rate", "resolution_rate", "satisfaction_rate"):
        if (value := getattr(found, name)) is not None:
            setattr(message, name, value)
    if found.median_hours is not None:
        message.median_hours_to_resolve, message.p90_hours_to_resolve = found.median_hours, found.p90_hours
    return message


class EvaluationServicer(pb_grpc.EvaluationServiceServicer):
    def __init__(self, evaluation: Evaluation, matters: Matters, rate_queries: RateQueries):
        self.evaluation, self.matters, self.rate_queries = evaluation, matters, rate_queries

    def ListMatters(self, request: pb.ListMattersRequest, context: object) -> pb.ListMattersResponse:
        if request.list not in _LISTS:
            raise InvalidArgument(f"unknown list {request.list}")
        found, token = self.matters.list(_LISTS[request.list], request.place_id, list(request.states),
                                         request.page_size, request.page_token)
        return pb.ListMattersResponse(matters=[matter_to_proto(m) for m in found], next_page_token=token)

    def GetMatter(self, request: pb.GetMatterRequest, context: object) -> pb.Matter:
        return matter_to_proto(self.matters.get(request.task_id))

    def RateMatter(self, request: pb.RateMatterRequest, context: object) -> pb.Matter:
        if request.rating not in RATING_WORD:
            raise InvalidArgument("rating must be one of satisfied, basically_satisfied, unsatisfied")
        return matter_to_proto(self.matters.rate(request.task_id, RATING_WORD[request.rating], request.comment,
                                                 request.household_id))

    def GetRates(self, request: pb.GetRatesRequest, context: object) -> pb.Rates:
        return rates_to_proto(self.rate_queries.rates(request.period, place_id=request.place_id,
                                                      member_id=request.member_id,
                                                      department_id=request.department_id))

    def GetIntakeFigures(self, request: pb.GetIntakeFiguresRequest, context: object) -> pb.IntakeFigures:
        figures = self.evaluation.intake_figures(request.neighbourhood_id)
        message = pb.IntakeFigures(
            neighbourhood_id=figures.neighbourhood_id, concerns_received=figures.concerns_received
        )
        if figures.first_received_at:
            message.first_received_at.FromDatetime(figures.first_received_at)
            message.last_received_at.FromDatetime(figures.last_received_at)
        return message


def registration(servicer: EvaluationServicer) -> Registration:
    return Registration(
        service_name="lianyi.evaluation.v1.EvaluationService",
        servicer=servicer,
        add=pb_grpc.add_EvaluationServiceServicer_to_server,
    )
