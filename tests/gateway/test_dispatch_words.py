"""Dispatch's proto enums and the API's words (the contract's) map both ways, one to one, so a value
added to a proto without its word (or the other way round) fails here rather than as a 500."""
from __future__ import annotations

import pytest

from lianyi.dispatch.v1 import events_pb2
from services.dispatch import contract
from services.gateway import dispatch_words as words

ENUMS = [(words.LISTS, contract.LISTS), (words.REPORT_KINDS, contract.REPORT_KINDS)]


@pytest.mark.parametrize("enum, contract_words", ENUMS, ids=[e.enum.DESCRIPTOR.name for e, _ in ENUMS])
def test_every_value_but_unspecified_has_the_contracts_word_and_back(enum, contract_words):
    specified = [v for v in enum.enum.values() if v != 0]
    assert sorted(enum.word(v) for v in specified) == sorted(contract_words)
    assert all(enum.value(enum.word(v)) == v for v in specified)
    assert (enum.word(0), enum.value(None)) == (None, 0)


def test_modes_are_the_assignment_modes_words():
    assert words.MODES == ("fixed", "claimed")
    assert len(words.MODES) == len(events_pb2.AssignmentMode.values()) - 1
