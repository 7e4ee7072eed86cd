"""Rules for the text people type, the same in every service."""
from __future__ import annotations

import re

# As a character class's body, so the same characters can be stated elsewhere (the gateway's
# OpenAPI document says them as a JSON Schema pattern).
CONTROL_CHARACTERS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")


def has_control_characters(text: str) -> bool:
    """Text people type never holds these; databases refuse some (NUL) with an error."""
    return bool(_CONTROL.search(text))


# What a spreadsheet runs as a formula when a cell starts with it (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(text: str) -> str:
    """`text` as a CSV cell a spreadsheet shows as written: one it would run as a formula is kept
    as text by a leading apostrophe. For names and words people typed, not for numbers."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
