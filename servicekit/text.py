"""Rules for the text people type, the same in every service."""
from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_characters(text: str) -> bool:
    """Text people type never holds these; databases refuse some (NUL) with an error."""
    return bool(_CONTROL.search(text))
