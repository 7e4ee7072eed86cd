"""Proto enums as the words services and the API use: REJECTION_REASON_QUORUM_MISSED is
"quorum_missed", and 0 (unspecified) is ""."""
from __future__ import annotations

from typing import Protocol


class EnumType(Protocol):
    def Name(self, number: int) -> str: ...  # protobuf's own spelling

    def Value(self, name: str) -> int: ...


def number(enum: EnumType, prefix: str, word: str) -> int:
    """"quorum_missed" -> the number of <prefix>_QUORUM_MISSED; 0 for ""."""
    return enum.Value(f"{prefix}_{word.upper()}") if word else 0


def word(enum: EnumType, prefix: str, value: int) -> str:
    """The number of <prefix>_QUORUM_MISSED -> "quorum_missed"; "" for 0 or a number this
    code does not know (a newer producer's)."""
    try:
        return enum.Name(value).removeprefix(prefix + "_").lower() if value else ""
    except ValueError:
        return ""
