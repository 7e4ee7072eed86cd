"""Evaluation's proto enums and the API's words (the contract's) map both ways, one to one, so a value
added to a proto without its word (or the other way round) fails here rather than as a 500."""
from __future__ import annotations

import pytest

from lianyi.evaluation.v1 import events_pb2
from services.evaluation import contract
from services.gateway import evaluation_words as words

ENUMS = [(words.LISTS, contract.MATTER_LISTS), (words.RATINGS, contract.RATINGS)]


@pytest.mark.parametrize("enum, contract_words", ENUMS, ids=[e.enum.DESCRIPTOR.name for e, _ in ENUMS])
def test_every_value_but_unspecified_has_the_contracts_word_and_back(enum, contract_words):
    specified = [v for v in enum.enum.values() if v != 0]
    assert sorted(enum.word(v) for v in specified) == sorted(contract_words)
    assert all(enum.value(enum.word(v)) == v for v in specified)
    assert (enum.word(0), enum.value(None)) == (None, 0)


def test_basically_satisfied_is_the_ratings_word_for_its_value():
    assert words.RATINGS.word(events_pb2.RATING_BASICALLY_SATISFIED) == "basically_satisfied"
    assert words.RATINGS.value("unsatisfied") == events_pb2.RATING_UNSATISFIED
