"""The county's figures report, section by section: each section is one service's figures for the
place and period (the service that owns them answers them), with its schema and each figure's
definition. The report is every section of SECTIONS, in order; a new section is one more entry
there, and nothing else changes."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, create_model

from lianyi.deliberation.v1 import deliberation_service_pb2 as deliberation_pb
from lianyi.dispatch.v1 import dispatch_service_pb2 as dispatch_pb
from lianyi.evaluation.v1 import evaluation_service_pb2 as evaluation_pb
from lianyi.intake.v1 import intake_service_pb2 as intake_pb
from services import periods
from services.deliberation.contract import REJECTION_REASONS
from services.gateway import deliberation_words


class AskingSection(BaseModel):
    """Asking (问事), from intake. Visits, talk sessions and concerns count where they happened; the
    place's households are the directory's today."""

    households: int = Field(description="Households at the place, as the directory has them now")
    households_visited: int = Field(description="Distinct households living at the place now that had at least "
                                                "one door visit in the period (a household counts once)")
    visit_coverage: float = Field(description="households_visited / households, to 4 places; 0 without households")
    door_visits: int = Field(description="Door visits (串门听) made in the period, by the day of the visit")
    concerns_raised_on_visits: int = Field(description="Concerns those visits raised")
    talk_sessions: int = Field(description="Sit-down talk sessions (促膝谈) held in the period")
    talk_attendance: int = Field(description="People attending them, as each session recorded")
    opinion_log_entries: int = Field(description="Entries in their opinion logs (民声日志), whether or not one "
                                                 "became a concern")
    concerns_received: int = Field(description="Opinions collected (居情民意): concerns received in the period "
                                               "through every channel, including those since merged")
    concerns_merged: int = Field(description="Of those, merged since into another concern about the same matter")
    concerns_by_channel: dict[str, int] = Field(description="concerns_received by channel: door_visit, "
                                                            "sit_down_talk, online (each listed, 0 where none)")
    concerns_by_category: dict[str, int] = Field(description="concerns_received by category code (GET "
                                                             "/api/v1/categories); only categories with concerns")


class DeliberationSection(BaseModel):
    """Deliberating (议事), from deliberation: each step counted in the period it happened."""

    topics_drafted: int = Field(description="Topics formed (形成议题): drafted from residents' concerns")
    topics_published: int = Field(description="Published for the residents' vote (公开公示)")
    topics_accepted: int = Field(description="Whose vote closed in the period, accepted for deliberation")
    topics_rejected: int = Field(description="Whose vote closed in the period, rejected")
    topics_rejected_by_reason: dict[str, int] = Field(description="topics_rejected by why: quorum_missed, "
                                                                  "threshold_missed")
    votes: int = Field(description="Votes cast in the votes that closed in the period")
    households_eligible: int = Field(description="Households that could vote in them")
    turnout: float | None = Field(description="votes / households_eligible, to 4 places; null if no vote closed")
    panels: int = Field(description="Member panels confirmed")
    opinions: int = Field(description="Opinions panellists gave")
    decisions: int = Field(description="Decisions (议定事项) of the joint meeting")
    proposals_adopted: int = Field(description="Residents' proposals adopted (居民提议被采纳): topics accepted, each "
                                               "drawn from residents' concerns")


class HandlingSection(BaseModel):
    """Handling (办事), from dispatch, over the tasks opened in the period (a concern triaged direct,
    or an action of a decision): where each stands now."""

    tasks_opened: int = Field(description="Tasks opened in the period")
    tasks_individual: int = Field(description="Of those, individual handling (分流承办) now")
    tasks_joint: int = Field(description="Joint handling (集体合办) now")
    tasks_escalated: int = Field(description="Escalated (提级联办) now")
    matters_resolved: int = Field(description="Of the tasks opened, resolved (办结) by now")
    resolved_on_time: int = Field(description="Of those, resolved within their deadline")
    tasks_overdue: int = Field(description="Tasks opened that went past a deadline at some point")
    tasks_went_up: int = Field(description="Tasks opened that went up a tier (by a handler, or being overdue)")
    tasks_reworked: int = Field(description="Tasks opened that were sent back for rework after an unsatisfied "
                                            "rating")


class RatesSection(BaseModel):
    """The three rates (响应率 / 解决率 / 满意率), from evaluation, over the tasks opened in the period,
    exactly as GET /api/v1/rates defines them."""

    tasks: int = Field(description="Tasks opened in the period")
    response_rate: float | None = Field(description="Acted on by the deadline they were opened with / tasks; "
                                                    "null with no tasks")
    resolution_rate: float | None = Field(description="Resolved and not reopened since / tasks; null with no tasks")
    satisfaction_rate: float | None = Field(description="(satisfied + basically satisfied) / ratings of every "
                                                        "round; null with no ratings")
    ratings: int = Field(description="Ratings given, every round")
    unrated: int = Field(description="Rounds closed unrated when the rating period passed")
    median_hours_to_resolve: int | None = Field(description="Nearest-rank median of whole hours begun from "
                                                            "opening to resolution; null with none resolved")
    p90_hours_to_resolve: int | None = Field(description="Nearest-rank 90th percentile, likewise")


@dataclass(frozen=True)
class Section:
    """One section: its name in the report, the service that owns it (named when it is down), the
    RPC that answers it (its roles bound who reads the report), how to ask and how to read the answer."""

    name: str
    service: str
    rpc: str
    model: type[BaseModel]
    ask: Callable[[Any, str, periods.Period, dict], Any]  # (upstreams, place id, period, call options) -> a future
    read: Callable[[Any], BaseModel]


def _ask_intake(stubs, place_id: str, period: periods.Period, options: dict):
    return stubs.intake.GetAskingFigures.future(intake_pb.GetAskingFiguresRequest(
        place_id=place_id, from_day=period.first_day.isoformat(), to_day=period.last_day.isoformat()), **options)


def _read_asking(found: intake_pb.AskingFigures) -> AskingSection:
    return AskingSection(
        households=found.households, households_visited=found.households_visited,
        visit_coverage=found.visit_coverage, door_visits=found.door_visits,
        concerns_raised_on_visits=found.concerns_raised_on_visits, talk_sessions=found.talk_sessions,
        talk_attendance=found.talk_attendance, opinion_log_entries=found.opinion_log_entries,
        concerns_received=found.concerns_received, concerns_merged=found.concerns_merged,
        concerns_by_channel={c.word: c.concerns for c in found.by_channel},
        concerns_by_category={c.word: c.concerns for c in found.by_category})


def _ask_deliberation(stubs, place_id: str, period: periods.Period, options: dict):
    return stubs.deliberation.GetFigures.future(
        deliberation_pb.GetFiguresRequest(place_id=place_id, period=period.text), **options)


def _read_deliberation(found: deliberation_pb.Figures) -> DeliberationSection:
    by_reason = dict.fromkeys(REJECTION_REASONS, 0)
    for count in found.rejected_by_reason:
        reason = deliberation_words.REJECTION_REASONS.word(count.reason)
        if reason is not None:
            by_reason[reason] += count.topics
    return DeliberationSection(
        topics_drafted=found.drafted, topics_published=found.published, topics_accepted=found.accepted,
        topics_rejected=found.rejected, topics_rejected_by_reason=by_reason, votes=found.votes,
        households_eligible=found.households, turnout=float(found.turnout) if found.turnout else None,
        panels=found.panels, opinions=found.opinions, decisions=found.decisions,
        proposals_adopted=found.proposals_adopted)


def _ask_dispatch(stubs, place_id: str, period: periods.Period, options: dict):
    return stubs.dispatch.GetDispatchFigures.future(dispatch_pb.GetDispatchFiguresRequest(
        place_id=place_id, from_day=period.first_day.isoformat(), to_day=period.last_day.isoformat()), **options)


def _read_handling(found: dispatch_pb.DispatchFigures) -> HandlingSection:
    return HandlingSection(
        tasks_opened=found.opened, tasks_individual=found.individual, tasks_joint=found.joint,
        tasks_escalated=found.escalated, matters_resolved=found.resolved, resolved_on_time=found.resolved_on_time,
        tasks_overdue=found.overdue, tasks_went_up=found.went_up, tasks_reworked=found.reworked)


def _ask_evaluation(stubs, place_id: str, period: periods.Period, options: dict):
    return stubs.evaluation.GetRates.future(evaluation_pb.GetRatesRequest(place_id=place_id, period=period.text),
                                            **options)


def _read_rates(found: evaluation_pb.Rates) -> RatesSection:
    def optional(name: str):
        return getattr(found, name) if found.HasField(name) else None
    return RatesSection(
        tasks=found.tasks, response_rate=optional("response_rate"), resolution_rate=optional("resolution_rate"),
        satisfaction_rate=optional("satisfaction_rate"),
        ratings=found.satisfied + found.basically_satisfied + found.unsatisfied, unrated=found.unrated,
        median_hours_to_resolve=optional("median_hours_to_resolve"),
        p90_hours_to_resolve=optional("p90_hours_to_resolve"))


SECTIONS = (
    Section("asking", "intake", "lianyi.intake.v1.IntakeService.GetAskingFigures", AskingSection,
            _ask_intake, _read_asking),
    Section("deliberation", "deliberation", "lianyi.deliberation.v1.DeliberationService.GetFigures",
            DeliberationSection, _ask_deliberation, _read_deliberation),
    Section("handling", "dispatch", "lianyi.dispatch.v1.DispatchService.GetDispatchFigures", HandlingSection,
            _ask_dispatch, _read_handling),
    Section("rates", "evaluation", "lianyi.evaluation.v1.EvaluationService.GetRates", RatesSection,
            _ask_evaluation, _read_rates),
)


# The report: the place and period, then one member per section, in SECTIONS' order.
CountyFigures = create_model(
    "CountyFigures",
    __doc__="The county's figures for a place and a period: one section per service that owns them.",
    place_id=(str, Field(description="The neighbourhood, community, township or county")),
    period=(str, Field(description="As asked: YYYY, YYYY-Qn or YYYY-MM")),
    first_day=(str, Field(description="The period's first day, YYYY-MM-DD, in the county's time (UTC+8)")),
    last_day=(str, Field(description="Its last day, included")),
    **{section.name: (section.model, ...) for section in SECTIONS},  # type: ignore[call-overload]
)
