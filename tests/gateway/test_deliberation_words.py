"""Deliberation's proto enums and the API's words (the contract's) map both ways, one to one: every
value but unspecified has its word and every word its value, so a value added to a proto without
its word (or the other way round) fails here rather than as a 500 in production."""
from __future__ import annotations

import pytest

from services.deliberation import contract
from services.gateway import deliberation_words as words

ENUMS = [
    (words.STATES, contract.TOPIC_STATES),
    (words.CHOICES, contract.VOTE_CHOICES),
    (words.REJECTION_REASONS, contract.REJECTION_REASONS),
    (words.FATES, contract.CONCERNS_FATES),
    (words.TIERS, contract.HANDLING_TIERS),
]


@pytest.mark.parametrize("enum, contract_words", ENUMS, ids=[e.enum.DESCRIPTOR.name for e, _ in ENUMS])
def test_every_value_but_unspecified_has_the_contracts_word_and_back(enum, contract_words):
    specified = [v for v in enum.enum.values() if v != 0]
    assert sorted(enum.word(v) for v in specified) == sorted(contract_words)
    assert all(enum.value(enum.word(v)) == v for v in specified)
    assert (enum.word(0), enum.value(None)) == (None, 0)


def test_a_word_is_the_values_name_without_its_prefix_in_lower_case():
    assert words.STATES.word(words.STATES.enum.Value("TOPIC_STATE_CONSENSUS_REACHED")) == "consensus_reached"
    assert words.TIERS.value("escalated") == words.TIERS.enum.Value("HANDLING_TIER_ESCALATED")

