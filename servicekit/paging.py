"""Keyset pagination tokens: opaque to callers, checked on the way back in."""
from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import TypeVar

from servicekit.errors import InvalidArgument
from servicekit.text import has_control_characters

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
_MAX_POSITION = 2**63 - 1  # the largest a BIGINT column holds
_MAX_KEY_CHARS = 100
R = TypeVar("R")


def page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument("page_size must not be negative")
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def encode_token(after: int) -> str:
    return base64.urlsafe_b64encode(f"after:{after}".encode()).decode().rstrip("=")


def decode_token(token: str) -> int:
    """The position a token points after; 0 for no token."""
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, value = text.split(":", 1)
        if prefix != "after" or not value.isdigit() or int(value) > _MAX_POSITION:
            raise ValueError(text)
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise InvalidArgument("page_token is not one this service issued") from None


def encode_key_token(after: str) -> str:
    """A token for keyset paging over a text key (time-sortable ids)."""
    return base64.urlsafe_b64encode(f"key:{after}".encode()).decode().rstrip("=")


def decode_key_token(token: str) -> str:
    """The key a token points after; "" for no token."""
    if not token:
        return ""
    try:
        prefix, value = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().split(":", 1)
    except (ValueError, UnicodeDecodeError):
        prefix, value = "", ""
    # Keys are ids and dates: one holding control characters (NUL, which PostgreSQL refuses
    # outright) or longer than any of them is no token of ours.
    if prefix != "key" or not value or len(value) > _MAX_KEY_CHARS or has_control_characters(value):
        raise InvalidArgument("page_token is not one this service issued")
    return value


def one_page(rows: Sequence[R], limit: int, token_after: Callable[[R], str]) -> tuple[list[R], str]:
    """Given up to limit + 1 rows, the page and the token for the next one ("" at the end);
    `token_after(last row)` makes that token."""
    if len(rows) <= limit:
        return list(rows), ""
    page = list(rows[:limit])
    return page, token_after(page[-1])
