"""/api/v1/visits and visit coverage: the door-visit channel (串门听)."""
from __future__ import annotations

from flask import Blueprint

from lianyi.intake.v1 import intake_service_pb2 as intake_pb
from services.gateway.auth import serves
from services.gateway.bodies import json_body, query
from services.gateway.clients import upstreams
from services.gateway.schemas import CoverageLineOut, CoverageQuery, VisitCoverageOut, VisitIn, VisitOut

blueprint = Blueprint("visits", __name__, url_prefix="/api/v1")



@blueprint.post("/visits")
@serves("lianyi.intake.v1.IntakeService.RecordVisit")
def record_visit():
    """Record a door visit.
    ---
    post:
      summary: A member's visit to a household; each concern raised becomes a concern (channel door_visit)
      requestBody:
        required: true
        content:
          application/json:
            schema: VisitIn
      responses:
        201:
          description: Recorded with its concerns, in one transaction
          content:
            application/json:
              schema: VisitOut
    """
    body = json_body(VisitIn)
    visit = upstreams().intake.RecordVisit(intake_pb.RecordVisitRequest(
        household_id=body.household_id, member_id=body.member_id, visited_on=body.visited_on, notes=body.notes,
        concerns=[intake_pb.RaisedConcern(category=c.category, description=c.description, urgency=c.urgency)
                  for c in body.concerns],
    ), **upstreams().call_options())
    return VisitOut(visit_id=visit.visit_id, household_id=visit.household_id, neighbourhood_id=visit.neighbourhood_id,
                    member_id=visit.member_id, party_group_id=visit.party_group_id or None,
                    visited_on=visit.visited_on, notes=visit.notes,
                    concern_ids=list(visit.concern_ids)).model_dump(mode="json"), 201


@blueprint.get("/neighbourhoods/<neighbourhood_id>/visit-coverage")
@serves("lianyi.intake.v1.IntakeService.GetVisitCoverage")
def visit_coverage(neighbourhood_id: str):
    """Door-visit coverage.
    ---
    get:
      summary: Households visited of all households, and concerns collected, by building and by member
      parameters:
        - {name: neighbourhood_id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: Coverage for the period (both days included)
          content:
            application/json:
              schema: VisitCoverageOut
    """
    params = query(CoverageQuery)
    found = upstreams().intake.GetVisitCoverage(intake_pb.GetVisitCoverageRequest(
        neighbourhood_id=neighbourhood_id, from_date=params.from_, to_date=params.to), **upstreams().call_options())

    def lines(items):
        return [CoverageLineOut(id=i.id, name=i.name, households=i.households, households_visited=i.households_visited,
                                visits=i.visits, concerns_collected=i.concerns_collected) for i in items]

    return VisitCoverageOut(
        neighbourhood_id=found.neighbourhood_id, households=found.households,
        households_visited=found.households_visited,
        coverage=found.coverage,
        visits=found.visits, concerns_collected=found.concerns_collected,
        buildings=lines(found.buildings), members=lines(found.members),
    ).model_dump(mode="json")
