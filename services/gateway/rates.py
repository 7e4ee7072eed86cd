"""The three rates (响应率 / 解决率 / 满意率) and time to resolve of a place, a member or a department
over a month, a quarter or a year, as JSON or CSV."""
from __future__ import annotations

from flask import Blueprint

from lianyi.evaluation.v1 import evaluation_service_pb2 as pb
from services.gateway.auth import serves
from services.gateway.bodies import query
from services.gateway.clients import upstreams
from services.gateway.csv_answers import csv_response, wants_csv
from services.gateway.rates_schemas import RATES_CSV_COLUMNS, RatesOut, RatesQuery

blueprint = Blueprint("rates", __name__, url_prefix="/api/v1")


@blueprint.get("/rates")
@serves("lianyi.evaluation.v1.EvaluationService.GetRates")
def rates():
    """The three rates.
    ---
    get:
      summary: Response, resolution and satisfaction rates and time to resolve, of a place, a member or a department
      description: |-
        Name exactly one subject: place_id (a neighbourhood, community, township or the county:
        staff whose scope covers it), member_id (the member, or a party secretary or administrator
        over them) or department_id (the department, or the county's administrator). Anyone else:
        403, or 404 for what lies outside their scope.

        **Which tasks.** The subject's tasks opened in the period (county time, UTC+8), each
        counted once however many concerns it answers (a merged concern is answered by its
        survivor's task). A place's are those of the neighbourhoods at or below it; a member's,
        those whose latest assignment (fixed or claimed) names them and that a person did not send
        up a tier since (escalating takes a task from its member; an escalation for being overdue
        leaves it counting for them); a department's, those the township
        whistled it to. Every figure is what is
        known now of those tasks: a task opened in March and resolved in April counts as resolved
        in March's figures.

        **Response rate** = responded / tasks. A task responded if someone acted on it at or before
        the deadline it was opened with: claimed it, assigned it after it was opened, noted its
        progress, recorded a body's part, sent it up a tier (not for being overdue), a department's
        report, or resolved it. Dispatch's own assignment of a fixed task (to its building leader
        or the member a decision named), made as the task opens, is no response: an untouched fixed
        task past its deadline has not responded. A department's own response: it reported in by
        its report-in time.

        **Resolution rate** = resolved / tasks. Resolved: resolved, and not reopened for rework
        since; a reworked task counts again once its rework round is resolved.

        **Satisfaction rate** = (satisfied + basically satisfied) / ratings, over the ratings of
        every round of the tasks' matters: a task rated unsatisfied, reworked and then rated
        satisfied gives one of each. Rounds closed unrated when the rating period passed are
        counted (unrated) but are no rating. Null when there is no rating.

        **Time to resolve**, of the resolved tasks: whole hours begun from opening to the
        resolution that stands (10 and 60 minutes are 1 hour, 61 minutes 2). Median and p90 are
        nearest-rank: the value of rank ceil(p/100 × n) among the n resolved tasks in ascending
        order (of 1, 2, 8 and 31 hours: median 2, p90 31). Null when none is resolved.

        Rates are fractions from 0 to 1, null when their denominator is 0. Send `Accept: text/csv`
        or `format=csv` for CSV: a header row of the JSON's field names and one row.
      responses:
        200:
          description: The rates
          content:
            application/json:
              schema: RatesOut
            text/csv:
              schema: {type: string}
        404: {$ref: "#/components/responses/Problem"}
    """
    params = query(RatesQuery)
    stubs = upstreams()
    found = stubs.evaluation.GetRates(pb.GetRatesRequest(
        place_id=params.place_id or "", member_id=params.member_id or "", department_id=params.department_id or "",
        period=params.period), **stubs.call_options())
    out = RatesOut(
        place_id=found.place_id or None, member_id=found.member_id or None, department_id=found.department_id or None,
        period=found.period, tasks=found.tasks, responded=found.responded, resolved=found.resolved,
        satisfied=found.satisfied, basically_satisfied=found.basically_satisfied, unsatisfied=found.unsatisfied,
        unrated=found.unrated, **{name: getattr(found, name) if found.HasField(name) else None for name in (
            "response_rate", "resolution_rate", "satisfaction_rate", "median_hours_to_resolve",
            "p90_hours_to_resolve")},
    ).model_dump(mode="json")
    if wants_csv(params.format):
        subject = out["place_id"] or out["member_id"] or out["department_id"]
        return csv_response(RATES_CSV_COLUMNS, [[out[column] for column in RATES_CSV_COLUMNS]],
                            f"rates-{subject}-{out['period']}.csv")
    return out
