"""Asking's figures over gRPC (served as part of IntakeService)."""
from __future__ import annotations

from lianyi.intake.v1 import intake_service_pb2 as pb
from services.intake.figures.domain import AskingFigures


def figures_to_proto(figures: AskingFigures) -> pb.AskingFigures:
    def counts(counted: dict[str, int]) -> list[pb.ConcernCount]:
        return [pb.ConcernCount(word=word, concerns=n) for word, n in counted.items()]

    return pb.AskingFigures(
        place_id=figures.place_id, from_day=figures.first_day.isoformat(), to_day=figures.last_day.isoformat(),
        households=figures.households, households_visited=figures.households_visited,
        visit_coverage=figures.visit_coverage, door_visits=figures.door_visits,
        concerns_raised_on_visits=figures.concerns_raised_on_visits, talk_sessions=figures.talk_sessions,
        talk_attendance=figures.talk_attendance, opinion_log_entries=figures.opinion_log_entries,
        concerns_received=figures.concerns_received, concerns_merged=figures.concerns_merged,
        by_channel=counts(figures.by_channel), by_category=counts(figures.by_category))
