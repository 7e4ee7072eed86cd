"""The annual rating's rules (services/evaluation/annual/domain.py), without a database: the
weighting on a hand-computed case, tiers exactly at their cut-offs, and ranks with ties."""
from __future__ import annotations

from fractions import Fraction

import pytest
from pydantic import ValidationError

from services.evaluation.annual.domain import Counts, CutOffs, Weights, ranks, score, tier

YEAR = Counts(actions_decided=4, actions_resolved=3, ratings=10, ratings_satisfied=8, commitments_kept=5,
              commitments_fulfilled=5, households=20, households_visited=10, members=10, members_on_panels=4)


def test_the_score_is_100_times_the_weighted_shares_computed_by_hand():
    # 0.3 × 3/4 + 0.3 × 8/10 + 0.2 × 5/5 + 0.1 × 10/20 + 0.1 × 4/10 = 0.755
    scored = score(YEAR, Weights())
    assert scored.total == Fraction("75.5")
    assert [(c.indicator, c.share, c.points) for c in scored.components] == [
        ("decisions_implemented", Fraction(3, 4), Fraction("22.5")), ("satisfaction", Fraction(4, 5), 24),
        ("fulfilment", 1, 20), ("visit_coverage", Fraction(1, 2), 5), ("panel_service", Fraction(2, 5), 4)]


def test_an_indicator_with_nothing_to_measure_leaves_its_weight_to_the_others():
    scored = score(Counts(**{**YEAR.__dict__, "actions_decided": 0, "actions_resolved": 0}), Weights())
    # (0.24 + 0.2 + 0.05 + 0.04) / 0.7
    assert scored.total == Fraction(530, 7)
    assert (scored.components[0].share, scored.components[0].points) == (None, 0)
    assert score(Counts(), Weights()).total == 0


def test_other_weights_change_the_score_as_written():
    weights = Weights(decisions_implemented=0.5, satisfaction=0.5, fulfilment=0, visit_coverage=0, panel_service=0)
    assert score(YEAR, weights).total == Fraction("77.5")
    with pytest.raises(ValidationError, match="add up to 1"):
        Weights(decisions_implemented=0.5)
    assert Weights(decisions_implemented=0.1, satisfaction=0.2, fulfilment=0.3, visit_coverage=0.3,
                   panel_service=0.1), "0.1 + 0.2 is three tenths as the county wrote it, not as floats add"


@pytest.mark.parametrize("total, expected", [
    (Fraction(100), "advanced"), (Fraction(85), "advanced"), (Fraction(8499, 100), "average"),
    (Fraction(60), "average"), (Fraction(5999, 100), "lagging"), (Fraction(0), "lagging")])
def test_a_score_exactly_at_a_cut_off_is_in_the_tier_it_opens(total, expected):
    assert tier(total, CutOffs()) == expected


def test_cut_offs_are_county_settings_and_must_be_in_order():
    assert tier(Fraction("72.5"), CutOffs(advanced=72.5, lagging=50)) == "advanced"
    assert tier(Fraction("72.4"), CutOffs(advanced=72.5, lagging=72.5)) == "lagging"
    with pytest.raises(ValidationError, match="not be above"):
        CutOffs(advanced=50, lagging=60)


def test_equal_scores_share_a_place_and_the_next_skips():
    assert ranks({"a": Fraction(90), "b": Fraction(80), "c": Fraction(90), "d": Fraction(70)}) == {
        "a": 1, "c": 1, "b": 3, "d": 4}
