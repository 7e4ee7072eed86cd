"""A named concern's description as the public reads it: what would place it finer than its
building, or name a person's contact, masked.

Public views place a concern no finer than its building (services/intake/public.py). The address a
reporter typed is never shown, but the description is the matter itself, written by a resident,
and often says where: "2号楼101室楼上漏水", "1单元3楼", "电话13812345678". A flat cannot be parsed
out of free text reliably, so this is a net for the common forms, not a proof: room and unit
numbers, floors, building-unit-room triples, phone and identity-card numbers. A reporter who would
be recognised by what they wrote asks for anonymity, which hides the description altogether.
Counts stay readable ("3户居民", "两个月"): a number is masked only where it says where or who.
"""
from __future__ import annotations

import re

MASK = "＊＊"

_PATTERNS = tuple(re.compile(pattern, re.IGNORECASE) for pattern in (
    # Identity-card numbers (18 characters) before phone numbers, which they contain.
    r"(?<!\d)\d{17}[\dX](?!\d)",
    # Mobile numbers (11 digits from 1) and landlines (0 + area code + 7 or 8 digits).
    r"(?<!\d)1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)",
    r"(?<!\d)0\d{2,3}[ -]?\d{7,8}(?!\d)",
    # Building-unit-room written with dashes or slashes: 2-1-101, 3/2/502.
    r"(?<!\d)\d{1,3}[-/－]\d{1,3}[-/－]\d{2,4}(?!\d)",
    # A unit (stairwell) and what follows it: 1单元, 1单元101, 一单元302室.
    r"[\d一二三四五六七八九十]+\s*单元(?:\s*\d{2,4}\s*(?:室|号房|房|号)?)?",
    # Rooms: 101室, 1201房, 502号房, and a building followed by its room: 2号楼101, 3栋502.
    r"(?<![\d号])\d{2,4}\s*(?:室|号房|房)",
    r"(?:(?<=号楼)|(?<=[栋幢座]))\s*\d{2,4}(?:\s*(?:室|号房|房|号))?",
    # Floors: 3楼 (not 3号楼), 12层, 三楼.
    r"(?<![\d号])[\d一二三四五六七八九十]{1,3}\s*(?:层|楼(?![号房栋]))",
    # The same in English: Room 101, Flat 3B, Apt 12, Unit 4, Floor 3, 3rd floor.
    r"\b(?:room|flat|apt\.?|apartment|unit|floor)\s*#?\s*\w+",
    r"\b\d+(?:st|nd|rd|th)\s+floor\b",
))


def masked(text: str) -> str:
    """`text` with every room, unit, floor, phone and identity-card number replaced by MASK."""
    for pattern in _PATTERNS:
        text = pattern.sub(MASK, text)
    return text
