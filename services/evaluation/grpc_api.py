"""Evaluation's gRPC entrypoint: translation only (who may call each RPC is in its proto)."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from lianyi.evaluation.v1 import evaluation_service_pb2 as pb
from lianyi.evaluation.v1 import evaluation_service_pb2_grpc as pb_grpc
from lianyi.evaluation.v1 import events_pb2
from servicekit import auth
from servicekit.errors import InvalidArgument
from servicekit.grpc_server import Registration
from services.contract import RESIDENT, sees_contacts
from services.evaluation.annual.domain import PARTS
from services.evaluation.annual.handlers import AnnualRatings, Version
from services.evaluation.events import RATING_ENUM, RATING_WORD
from services.evaluation.handlers import Evaluation
from services.evaluation.matters.domain import Matter
from services.evaluation.matters.handlers import Matters
from services.evaluation.rates import domain as rates
from services.evaluation.rates.queries import RateQueries
from services.evaluation.reviews.domain import Review, share
from services.evaluation.reviews.handlers import Reviews

_LISTS = {pb.MATTER_LIST_UNSPECIFIED: "mine", pb.MATTER_LIST_MINE: "mine", pb.MATTER_LIST_PLACE: "place"}
_FORMATS = {pb.BULLETIN_FORMAT_UNSPECIFIED: "text", pb.BULLETIN_FORMAT_TEXT: "text", pb.BULLETIN_FORMAT_CSV: "csv"}


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




def review_to_proto(review: Review) -> pb.MemberReview:
    tally = review.tally
    return pb.MemberReview(
        member_id=review.member_id, member_name=review.member_name, neighbourhood_id=review.neighbourhood_id,
        quarter=review.quarter, committed=tally.committed, fulfilled=tally.fulfilled, fulfilled_on_time=tally.on_time,
        open=tally.open, released=tally.released, satisfied=tally.satisfied,
        basically_satisfied=tally.basically_satisfied, unsatisfied=tally.unsatisfied,
        rework_rounds=tally.rework_rounds, door_visits=tally.door_visits, panels_served=tally.panels,
        fulfilment_rate=share(tally.fulfilment), on_time_rate=share(tally.on_time_share),
        satisfaction_rate=share(tally.satisfaction), grade=review.grade,
        shortfalls=[s.criterion for s in review.shortfalls],
        rectify_by=review.rectify_by.isoformat() if review.rectify_by else "")


def version_to_proto(version: Version) -> pb.AnnualVersion:
    return pb.AnnualVersion(county_id=version.county_id, year=version.year, version=version.version,
                            calculated_at=_at(version.calculated_at), calculated_by=version.calculated_by,
                            published_at=_at(version.published_at), published_by=version.published_by)


def rating_to_proto(row: Any) -> pb.AnnualRating:
    counts = json.loads(row.counts)
    components = [pb.AnnualComponent(indicator=c["indicator"], share=c["share"], weight=c["weight"], points=c["points"],
                                     part=counts[PARTS[c["indicator"]][0]], whole=counts[PARTS[c["indicator"]][1]])
                  for c in json.loads(row.components)]
    return pb.AnnualRating(neighbourhood_id=row.neighbourhood_id, neighbourhood_name=row.name, score=row.score,
                           components=components, tier=row.tier, rank_in_community=row.rank_community,
                           rank_in_township=row.rank_township, rank_in_county=row.rank_county)


class EvaluationServicer(pb_grpc.EvaluationServiceServicer):
    def __init__(self, evaluation: Evaluation, matters: Matters, rate_queries: RateQueries, reviews: Reviews,
                 annual: AnnualRatings):
        self.evaluation, self.matters, self.rate_queries = evaluation, matters, rate_queries
        self.reviews, self.annual = reviews, annual

    def CalculateAnnualRatings(self, request: pb.CalculateAnnualRatingsRequest, context: object) -> pb.AnnualVersion:
        return version_to_proto(self.annual.calculate(request.year))

    def PublishAnnualRatings(self, request: pb.PublishAnnualRatingsRequest, context: object) -> pb.AnnualVersion:
        return version_to_proto(self.annual.publish(request.year, request.version))

    def ListAnnualVersions(self, request: pb.ListAnnualVersionsRequest,
                           context: object) -> pb.ListAnnualVersionsResponse:
        return pb.ListAnnualVersionsResponse(versions=[version_to_proto(v) for v in self.annual.versions(request.year)])

    def GetAnnualRatings(self, request: pb.GetAnnualRatingsRequest, context: object) -> pb.AnnualRatings:
        version, rows = self.annual.ratings(request.place_id, request.year, request.version)
        return pb.AnnualRatings(version=version_to_proto(version), ratings=[rating_to_proto(r) for r in rows])

    def GetMemberReview(self, request: pb.GetMemberReviewRequest, context: object) -> pb.MemberReview:
        return review_to_proto(self.reviews.member_review(request.member_id, request.quarter))

    def ListMemberReviews(self, request: pb.ListMemberReviewsRequest, context: object) -> pb.MemberReviewList:
        name, quarter, reviews = self.reviews.neighbourhood_reviews(request.neighbourhood_id, request.quarter)
        return pb.MemberReviewList(neighbourhood_id=request.neighbourhood_id, neighbourhood_name=name,
                                   quarter=quarter, reviews=[review_to_proto(r) for r in reviews])

    def GetReviewBulletin(self, request: pb.GetReviewBulletinRequest, context: object) -> pb.ReviewBulletin:
        if request.format not in _FORMATS:
            raise InvalidArgument(f"unknown format {request.format}")
        content, quarter = self.reviews.bulletin(request.neighbourhood_id, request.quarter, _FORMATS[request.format])
        return pb.ReviewBulletin(neighbourhood_id=request.neighbourhood_id, quarter=quarter,
                                 format=request.format or pb.BULLETIN_FORMAT_TEXT, content=content)

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
