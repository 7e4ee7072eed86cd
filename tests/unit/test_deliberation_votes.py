"""The residents' vote (议不议) in numbers: quorum, threshold and the outcome, with exact shares."""
from fractions import Fraction

import pytest

from servicekit.errors import InvalidArgument
from services.deliberation.votes.domain import (
    QUORUM_MISSED,
    THRESHOLD_MISSED,
    Count,
    Outcome,
    VoteRule,
    check_choice,
    decimal_text,
    outcome,
    quorum_met,
    share,
    threshold_met,
)


def turnout(votes, households):
    """A count with this many votes (all yes, so only the quorum is in question)."""
    return Count(yes=votes, no=0, households=households)


def ballot(yes, no):
    """A count where every household voted (so only the threshold is in question)."""
    return Count(yes=yes, no=no, households=yes + no)


# -- the quorum: at least the share of the households voted ----------------------------------------

@pytest.mark.parametrize("quorum, households, votes, met", [
    # Exactly at the share meets it; one vote fewer does not.
    (0.5, 10, 5, True),
    (0.5, 10, 4, False),
    # Half of 7 is 3.5: it takes 4.
    (0.5, 7, 4, True),
    (0.5, 7, 3, False),
    # Shares that binary floats hold inexactly. 0.1 is a hair above 1/10 in binary, so a rule
    # read as the float's exact value would refuse 1 of 10; 0.55 * 100 and 0.07 * 100 come out
    # as 55.00000000000001 and 7.000000000000001 in float arithmetic.
    (0.1, 10, 1, True),
    (0.1, 10, 0, False),
    (0.3, 10, 3, True),
    (0.3, 10, 2, False),
    (0.7, 10, 7, True),
    (0.7, 10, 6, False),
    (0.55, 100, 55, True),
    (0.55, 100, 54, False),
    (0.07, 100, 7, True),
    (0.07, 100, 6, False),
    # Every household must vote at a quorum of 1.
    (1.0, 10, 10, True),
    (1.0, 10, 9, False),
    # A quorum of 0 is met by nobody voting.
    (0.0, 10, 0, True),
    # With no households in the directory, any quorum is met (0 of 0 is at least any share of 0).
    (0.5, 0, 0, True),
    (1.0, 0, 0, True),
])
def test_the_quorum_is_met_when_at_least_its_share_of_households_voted(quorum, households, votes, met):
    assert quorum_met(turnout(votes, households), VoteRule(quorum=quorum, threshold=0.5)) is met


def test_no_and_yes_votes_both_count_towards_the_quorum():
    rule = VoteRule(quorum=0.5, threshold=0.5)
    assert quorum_met(Count(yes=0, no=5, households=10), rule) is True
    assert quorum_met(Count(yes=2, no=2, households=10), rule) is False
    assert Count(yes=3, no=4, households=10).votes == 7


# -- the threshold: at least the share of the votes are yes ----------------------------------------

@pytest.mark.parametrize("threshold, yes, no, met", [
    (0.5, 5, 5, True),
    (0.5, 4, 5, False),
    (0.5, 3, 2, True),
    # Two thirds of 10 votes is 6.67: it takes 7.
    (0.6667, 7, 3, True),
    (0.6667, 6, 4, False),
    # 6 of 9 is two thirds, a hair below 0.6667.
    (0.6667, 6, 3, False),
    (0.6667, 6666, 3334, False),
    (0.6667, 6667, 3333, True),
    (0.1, 1, 9, True),
    (0.1, 0, 10, False),
    (0.3, 3, 7, True),
    (0.3, 2, 8, False),
    (0.7, 7, 3, True),
    (0.7, 6, 4, False),
    (0.55, 55, 45, True),
    (0.55, 54, 46, False),
    (0.07, 7, 93, True),
    (0.07, 6, 94, False),
    # A threshold of 1 is unanimity.
    (1.0, 10, 0, True),
    (1.0, 9, 1, False),
    (1.0, 1, 0, True),
])
def test_the_threshold_is_met_when_at_least_its_share_of_the_votes_are_yes(threshold, yes, no, met):
    assert threshold_met(ballot(yes, no), VoteRule(quorum=0.0, threshold=threshold)) is met


@pytest.mark.parametrize("threshold", [0.0001, 0.5, 1.0])
def test_no_votes_meet_no_threshold(threshold):
    assert threshold_met(Count(yes=0, no=0, households=10), VoteRule(quorum=0.0, threshold=threshold)) is False


def test_the_threshold_counts_yes_among_votes_cast_not_among_households():
    # 3 of 4 votes are yes: 0.75 of the votes, though only 0.3 of the households.
    count = Count(yes=3, no=1, households=10)
    assert threshold_met(count, VoteRule(quorum=0.0, threshold=0.75)) is True
    assert threshold_met(count, VoteRule(quorum=0.0, threshold=0.76)) is False


# -- the outcome ------------------------------------------------------------------------------------

@pytest.mark.parametrize("count, expected", [
    (Count(yes=5, no=0, households=10), Outcome(True, "")),
    (Count(yes=3, no=2, households=10), Outcome(True, "")),
    (Count(yes=2, no=3, households=10), Outcome(False, THRESHOLD_MISSED)),
    (Count(yes=4, no=0, households=10), Outcome(False, QUORUM_MISSED)),
    # Both missed: the quorum is checked first, so it is the reason given.
    (Count(yes=0, no=4, households=10), Outcome(False, QUORUM_MISSED)),
    (Count(yes=0, no=0, households=10), Outcome(False, QUORUM_MISSED)),
])
def test_a_vote_is_accepted_or_rejected_with_the_first_rule_it_missed(count, expected):
    assert outcome(count, VoteRule(quorum=0.5, threshold=0.5)) == expected


def test_the_rejection_reasons_are_the_contracts_words():
    from services.deliberation.contract import REJECTION_REASONS

    assert (QUORUM_MISSED, THRESHOLD_MISSED) == REJECTION_REASONS


def test_with_a_quorum_of_0_a_vote_nobody_cast_is_rejected_on_the_threshold():
    assert outcome(Count(0, 0, 10), VoteRule(quorum=0.0, threshold=0.5)) == Outcome(False, THRESHOLD_MISSED)


def test_a_neighbourhood_without_households_meets_the_quorum_but_no_votes_miss_the_threshold():
    assert outcome(Count(0, 0, 0), VoteRule(quorum=0.5, threshold=0.5)) == Outcome(False, THRESHOLD_MISSED)


def test_exact_shares_accept_what_the_county_wrote_at_the_edge():
    # 0.3 of 10 households and 0.7 of 10 votes: exactly at both shares.
    assert outcome(Count(yes=3, no=0, households=10), VoteRule(quorum=0.3, threshold=1.0)).accepted is True
    assert outcome(Count(yes=7, no=3, households=10), VoteRule(quorum=1.0, threshold=0.7)).accepted is True
    assert outcome(Count(yes=6, no=4, households=10), VoteRule(quorum=1.0, threshold=0.7)) == Outcome(
        False, THRESHOLD_MISSED)


# -- the shares -------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, exact", [
    (0.1, Fraction(1, 10)),
    (0.3, Fraction(3, 10)),
    (0.7, Fraction(7, 10)),
    (0.5, Fraction(1, 2)),
    (0.0, Fraction(0)),
    (1.0, Fraction(1)),
    (0.6667, Fraction(6667, 10000)),
    (0.00001, Fraction(1, 100000)),
])
def test_a_share_is_the_decimal_the_county_wrote_not_the_nearest_binary_float(value, exact):
    assert share(value) == exact


@pytest.mark.parametrize("quorum, threshold", [(0.0, 0.0001), (0.0, 1.0), (1.0, 1.0), (0.5, 0.5), (0.3, 0.7)])
def test_a_rule_within_bounds_keeps_its_shares(quorum, threshold):
    rule = VoteRule(quorum=quorum, threshold=threshold)
    assert (rule.quorum, rule.threshold) == (quorum, threshold)


@pytest.mark.parametrize("quorum, threshold", [
    (-0.01, 0.5),
    (1.01, 0.5),
    (0.5, 0.0),  # a threshold of 0 would accept a topic nobody voted yes for
    (0.5, -0.5),
    (0.5, 1.0001),
    (float("nan"), 0.5),
    (0.5, float("nan")),
    (float("inf"), 0.5),
])
def test_a_rule_out_of_bounds_is_refused(quorum, threshold):
    with pytest.raises(ValueError, match="quorum must be in"):
        VoteRule(quorum=quorum, threshold=threshold)


@pytest.mark.parametrize("value, text", [(0.5, "0.5"), (0.3, "0.3"), (0.1, "0.1"), (0.6667, "0.6667"), (1.0, "1.0")])
def test_a_share_is_shown_as_its_decimal(value, text):
    assert decimal_text(value) == text


def test_a_very_small_share_is_still_shown_as_a_decimal():
    assert decimal_text(0.00001) == "0.00001"


# -- a household's choice ---------------------------------------------------------------------------

@pytest.mark.parametrize("choice", ["yes", "no"])
def test_yes_and_no_are_the_choices(choice):
    assert check_choice(choice) is None


@pytest.mark.parametrize("choice", ["", "abstain", "YES", " yes", "maybe"])
def test_any_other_choice_is_refused_naming_the_choices(choice):
    with pytest.raises(InvalidArgument, match="choice must be one of yes, no"):
        check_choice(choice)
