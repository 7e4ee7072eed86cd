"""Deliberation's figures for a place and a month, quarter or year: topics through each step, turnout, panels,
opinions, decisions and residents' proposals adopted."""
from __future__ import annotations

from flask import Blueprint

from lianyi.deliberation.v1 import deliberation_service_pb2 as pb
from services.deliberation.contract import REJECTION_REASONS
from services.gateway import deliberation_words as words
from services.gateway.auth import serves
from services.gateway.bodies import query
from services.gateway.clients import upstreams
from services.gateway.deliberation_schemas import FiguresOut, FiguresQuery

blueprint = Blueprint("figures", __name__, url_prefix="/api/v1")


@blueprint.get("/deliberation-figures")
@serves("lianyi.deliberation.v1.DeliberationService.GetFigures")
def figures():
    """Deliberation's figures.
    ---
    get:
      summary: Counts for a neighbourhood, community, township or the county, over a month, a quarter or a year
      responses:
        200:
          description: The figures
          content:
            application/json:
              schema: FiguresOut
        404: {$ref: "#/components/responses/Problem"}
    """
    params = query(FiguresQuery)
    stubs = upstreams()
    found = stubs.deliberation.GetFigures(pb.GetFiguresRequest(place_id=params.place_id, period=params.period),
                                          **stubs.call_options())
    rejected_by_reason = dict.fromkeys(REJECTION_REASONS, 0)
    for count in found.rejected_by_reason:
        reason = words.REJECTION_REASONS.word(count.reason)
        if reason is not None:
            rejected_by_reason[reason] += count.topics
    return FiguresOut(
        place_id=found.place_id, period=found.period, drafted=found.drafted, published=found.published,
        accepted=found.accepted, rejected=found.rejected, rejected_by_reason=rejected_by_reason, votes=found.votes,
        households=found.households, turnout=found.turnout or None, panels=found.panels, opinions=found.opinions,
        decisions=found.decisions, proposals_adopted=found.proposals_adopted,
    ).model_dump(mode="json")
