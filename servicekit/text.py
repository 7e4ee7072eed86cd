"""Rules for the text people type, the same in every service."""
from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_characters(text: str) -> bool:
    """Text people type never holds these; databases refuse some (NUL) with an error."""
    return bool(_CONTROL.search(text))


# What a spreadsheet runs as a formula when a cell starts with it (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(text: str) -> str:
    """`text` as a CSV cell a spreadsheet shows as written: one it would run as a formula is kept
    as text by a leading apostrophe. For names and words people typed, not for numbers."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
