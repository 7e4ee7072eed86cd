"""The county's figures (GET /api/v1/figures): for a place and a period, each section from the
service that owns it (figures_sections.SECTIONS), asked at once and composed here, as JSON or CSV.
The report is whole or not given: a service that is down makes it a 503 naming the service."""
from __future__ import annotations

from typing import Literal

import grpc
from flask import Blueprint
from pydantic import Field

from services import periods
from services.gateway.auth import serves
from services.gateway.bodies import query
from services.gateway.bounds import StrictBody
from services.gateway.clients import upstreams
from services.gateway.csv_answers import csv_response, figure_rows, wants_csv
from services.gateway.deliberation_schemas import Id, Period
from services.gateway.figures_sections import SECTIONS, CountyFigures
from services.gateway.problems import ProblemError

blueprint = Blueprint("county_figures", __name__, url_prefix="/api/v1")

CSV_COLUMNS = ("place_id", "period", "section", "figure", "value")


class FiguresQuery(StrictBody):
    place_id: Id = Field(description="A neighbourhood, community, township or county id")
    period: Period
    format: Literal["json", "csv"] | None = Field(None, description=(
        "csv for a spreadsheet (as is Accept text/csv): a header place_id,period,section,figure,value and one row "
        "per figure; a breakdown (concerns_by_channel) one row per part, named figure.part"))


@blueprint.get("/figures")
@serves(*(section.rpc for section in SECTIONS))
def county_figures():
    """The county's figures.
    ---
    get:
      summary: >-
        The county's figures for a neighbourhood, community, township or the county over a year, a
        quarter or a month: asking (households visited, opinions collected, concerns by channel and
        category), deliberating (topics formed, proposals adopted, decisions) and handling (tasks by tier,
        matters resolved). Each figure's definition is in the CountyFigures schema. Staff read the places
        in their scope (a party secretary their neighbourhood, an administrator their subtree, the county
        administrator every place); any other place is 404. A period not yet over counts what has
        happened so far, and one still to come counts nothing. The report is whole or not given: a
        service that is unavailable makes it a 503 that names the service.
      responses:
        200:
          description: The figures
          content:
            application/json:
              schema: CountyFigures
            text/csv:
              schema: {type: string}
        404: {$ref: "#/components/responses/Problem"}
    """
    params = query(FiguresQuery)
    csv_wanted = wants_csv(params.format)
    period = periods.parse(params.period)
    report = CountyFigures(place_id=params.place_id, period=period.text, first_day=period.first_day.isoformat(),
                           last_day=period.last_day.isoformat(), **_sections(params.place_id, period))
    if not csv_wanted:
        return report.model_dump(mode="json")
    sections = report.model_dump(mode="json", include={section.name for section in SECTIONS})
    rows = ((params.place_id, period.text, *row) for row in figure_rows(sections))
    return csv_response(CSV_COLUMNS, rows, f"figures-{period.text}.csv")


def _sections(place_id: str, period: periods.Period) -> dict:
    """Every section, asked of its service at once. A refusal (the place is not the caller's to
    see, bad input) is answered as the service gave it; otherwise a service that is down is a 503
    naming it: a report missing a section would read as zeros."""
    stubs = upstreams()
    options = stubs.call_options()
    calls = [(section, section.ask(stubs, place_id, period, options)) for section in SECTIONS]
    found: dict = {}
    down: list[str] = []
    late: list[str] = []
    refusal = None
    for section, call in calls:
        try:
            found[section.name] = section.read(call.result())
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.UNAVAILABLE:
                down.append(section.service)
            elif exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                late.append(section.service)
            elif refusal is None:
                refusal = exc
    if refusal is not None:
        raise refusal
    if down:
        raise ProblemError(503, f"{_listed(down)} unavailable, so the figures cannot be given whole; try again "
                                "shortly")
    if late:  # as every endpoint answers a timeout: 504, with no promise that trying again helps
        raise ProblemError(504, f"{' and '.join(late)} did not answer in time, so the figures cannot be given whole")
    return found


def _listed(services: list[str]) -> str:
    return f"{' and '.join(services)} {'is' if len(services) == 1 else 'are'}"
