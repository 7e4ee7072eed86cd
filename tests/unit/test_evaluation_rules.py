"""Evaluation's intake figures."""
from datetime import UTC, datetime, timedelta

from services.evaluation.domain import IntakeFigures

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_counting_concerns_tracks_the_span_even_out_of_order():
    figures = IntakeFigures("nb-1").counted(T0 + timedelta(hours=2)).counted(T0).counted(T0 + timedelta(hours=1))
    assert figures.concerns_received == 3
    assert figures.first_received_at == T0
    assert figures.last_received_at == T0 + timedelta(hours=2)
