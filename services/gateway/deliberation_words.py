"""Deliberation's proto enums as the API's words (contract.py's), both ways: TOPIC_STATE_CONSENSUS_REACHED
is "consensus_reached", and unspecified is no word at all (null)."""
from __future__ import annotations

from lianyi.deliberation.v1 import deliberation_service_pb2 as pb
from lianyi.deliberation.v1 import events_pb2
from services.deliberation import contract


class Words:
    """One enum's words. Made from the contract's words, so a word the proto lacks fails at import."""

    def __init__(self, enum, prefix: str, words: tuple[str, ...]):
        self.enum = enum
        self._values = {word: int(enum.Value(prefix + word.upper())) for word in words}
        self._words = {value: word for word, value in self._values.items()}

    def word(self, value: int) -> str | None:
        """The word for a value; None for unspecified (or a value newer than this gateway)."""
        return self._words.get(value)

    def value(self, word: str | None) -> int:
        """The value for a word; None is unspecified (proto3's 0)."""
        return 0 if word is None else self._values[word]


STATES = Words(pb.TopicState, "TOPIC_STATE_", contract.TOPIC_STATES)
CHOICES = Words(pb.VoteChoice, "VOTE_CHOICE_", contract.VOTE_CHOICES)
REJECTION_REASONS = Words(events_pb2.RejectionReason, "REJECTION_REASON_", contract.REJECTION_REASONS)
FATES = Words(events_pb2.ConcernsFate, "CONCERNS_FATE_", contract.CONCERNS_FATES)
TIERS = Words(events_pb2.HandlingTier, "HANDLING_TIER_", contract.HANDLING_TIERS)
