"""Deliberation's proto enums as the API's words (contract.py's), both ways: TOPIC_STATE_CONSENSUS_REACHED
is "consensus_reached", and unspecified is no word at all (null)."""
from __future__ import annotations

from lianyi.deliberation.v1 import deliberation_service_pb2 as pb
from lianyi.deliberation.v1 import events_pb2
from servicekit import enum_words
from services.deliberation import contract


class Words:
    """One enum's words (servicekit.enum_words spells them), limited to the contract's: a word the
    proto lacks fails at import."""

    def __init__(self, enum, prefix: str, words: tuple[str, ...]):
        self.enum, self.prefix, self.words = enum, prefix, frozenset(words)
        for word in words:
            enum_words.number(enum, prefix, word)  # raises ValueError for a word the proto lacks

    def word(self, value: int) -> str | None:
        """The word for a value; None for unspecified (or a value newer than this gateway)."""
        word = enum_words.word(self.enum, self.prefix, value)
        return word if word in self.words else None

    def value(self, word: str | None) -> int:
        """The value for a word; None is unspecified (proto3's 0)."""
        return enum_words.number(self.enum, self.prefix, word or "")


STATES = Words(pb.TopicState, "TOPIC_STATE", contract.TOPIC_STATES)
CHOICES = Words(pb.VoteChoice, "VOTE_CHOICE", contract.VOTE_CHOICES)
REJECTION_REASONS = Words(events_pb2.RejectionReason, "REJECTION_REASON", contract.REJECTION_REASONS)
FATES = Words(events_pb2.ConcernsFate, "CONCERNS_FATE", contract.CONCERNS_FATES)
TIERS = Words(events_pb2.HandlingTier, "HANDLING_TIER", contract.HANDLING_TIERS)
