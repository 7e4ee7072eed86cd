"""A decision's progress in numbers, and the reports it is kept from as deliberation reads them."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lianyi.dispatch.v1.events_pb2 import TaskReopened, TaskResolved
from lianyi.evaluation.v1.events_pb2 import RATING_UNSATISFIED, MatterRated
from servicekit.errors import UndecodableEvent
from services.deliberation import events
from services.deliberation.progress.domain import ActionProgress, ActionRated, ActionReopened, DecisionProgress

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def test_a_decisions_progress_counts_its_own_actions_resolved_and_rated():
    progress = {"a1": ActionProgress("a1", AT, True, 0, "satisfied", AT), "a2": ActionProgress("a2", None, False, 1,
                                                                                              "unsatisfied", AT),
                "elsewhere": ActionProgress("elsewhere", AT, True, 0, "satisfied", AT)}
    summary = DecisionProgress.of(["a1", "a2", "a3"], progress)
    assert (summary.actions, summary.resolved) == (3, 1)
    assert summary.ratings == {"satisfied": 1, "basically_satisfied": 0, "unsatisfied": 1}


def test_nothing_reported_yet_is_nothing_resolved_or_rated():
    assert DecisionProgress.of(["a1"], {}) == DecisionProgress(1, 0, {"satisfied": 0, "basically_satisfied": 0,
                                                                      "unsatisfied": 0})


def test_reports_read_as_deliberations_words():
    resolved = TaskResolved(decision_id="d1", action_id="a1", on_time=True)
    resolved.resolved_at.FromDatetime(AT)
    assert events.action_resolved(resolved).resolved_at == AT
    assert events.action_reopened(TaskReopened(decision_id="d1", action_id="a1", round=2)) == \
        ActionReopened("d1", "a1", 2)
    rated = MatterRated(decision_id="d1", action_id="a1", rating=RATING_UNSATISFIED)
    rated.rated_at.FromDatetime(AT)
    assert events.action_rated(rated) == ActionRated("d1", "a1", "unsatisfied", AT)


@pytest.mark.parametrize("rating", [0, 99])
def test_a_rating_deliberation_does_not_know_is_undecodable_not_guessed(rating):
    with pytest.raises(UndecodableEvent, match="unknown rating"):
        events.action_rated(MatterRated(decision_id="d1", action_id="a1", rating=rating))
