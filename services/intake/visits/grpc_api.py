"""Door visits over gRPC (served as part of IntakeService)."""
from __future__ import annotations

from lianyi.intake.v1 import intake_service_pb2 as pb
from services.intake.visits.domain import Coverage, RaisedConcern, Visit
from services.intake.visits.handlers import Visits


def record_visit(visits: Visits, request: pb.RecordVisitRequest) -> pb.Visit:
    visit = visits.record(
        household_id=request.household_id, member_id=request.member_id, visited_on=request.visited_on,
        notes=request.notes,
        concerns=[RaisedConcern(c.category, c.description, c.urgency) for c in request.concerns],
    )
    return visit_to_proto(visit)


def visit_to_proto(visit: Visit) -> pb.Visit:
    return pb.Visit(visit_id=visit.visit_id, household_id=visit.household_id, neighbourhood_id=visit.neighbourhood_id,
                    member_id=visit.member_id, party_group_id=visit.party_group_id,
                    visited_on=visit.visited_on.isoformat(), notes=visit.notes, concern_ids=list(visit.concern_ids))


def coverage_to_proto(coverage: Coverage) -> pb.VisitCoverage:
    def lines(items):
        return [pb.CoverageLine(id=i.id, name=i.name, households=i.households, households_visited=i.households_visited,
                                visits=i.visits, concerns_collected=i.concerns_collected) for i in items]

    return pb.VisitCoverage(
        neighbourhood_id=coverage.neighbourhood_id, households=coverage.households,
        households_visited=coverage.households_visited, visits=coverage.visits,
        concerns_collected=coverage.concerns_collected, buildings=lines(coverage.buildings),
        members=lines(coverage.members), coverage=coverage.coverage,
    )
