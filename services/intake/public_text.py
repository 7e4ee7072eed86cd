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

# Digits are ASCII or full-width (\d matches both); a room in words is 一零一, 三〇二.
_CN_DIGITS = "零〇一二三四五六七八九"
_CN_COUNT = "一二三四五六七八九十"
# What after a number makes it a count, a year, a price or a distance, not a place: 100多户, 2023年.
_NOT_A_PLACE = r"(?!\d)(?!\s*(?:[年多人户个米元块层%]|号楼))"

_PATTERNS = tuple(re.compile(pattern, re.IGNORECASE) for pattern in (
    # Identity-card numbers (18 characters) before phone numbers, which they contain.
    r"(?<!\d)\d{17}[\dX](?!\d)",
    # Mobile numbers (11 digits from 1), and landlines (an area code from 0, maybe bracketed, and 7
    # or 8 digits, maybe grouped): 0595-22345678, (0595)22345678, 0595 2234 5678.
    r"(?<!\d)1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)",
    r"(?:(?<!\d)0\d{2,3}|[(（]0\d{2,3}[)）])[ -]?\d{3,4}[ -]?\d{4}(?!\d)",
    # Building-unit-room with dashes or slashes (2-1-101, 3-2-2001 on the 20th floor, 3/2/502), not
    # a date written with slashes (5/12/2024).
    r"(?<!\d)\d{1,3}-\d{1,3}-\d{2,4}(?!\d)",
    r"(?<!\d)\d{1,3}[/－]\d{1,3}[/－](?!(?:19|20)\d{2}(?!\d))\d{2,4}(?!\d)",
    # Building and room: 3#502, 2#楼502, 1-101, 2栋-101 (the building with it: the room cannot be
    # told apart from it), not a range of prices or years (50-1000元).
    r"(?<!\d)\d{1,3}\s*[#＃]\s*(?:楼|栋|幢)?\s*\d{2,4}" + _NOT_A_PLACE,
    r"(?<![\d-])\d{1,2}[-－]\d{3,4}" + _NOT_A_PLACE,
    # A unit or stairwell and what follows it: 1单元, 1单元101, 一单元302室, 1梯101.
    rf"[\d{_CN_COUNT}]+\s*(?:单元|梯)(?:\s*\d{{2,4}}\s*(?:室|号房|房|号)?)?",
    # Rooms: 101室, 1201房, 502号房, 一零一室 (not 1500房租, 2020房价).
    r"(?<![\d号])\d{2,4}\s*(?:室|号房|房(?![租价东子产贷]))",
    rf"[{_CN_DIGITS}]{{3,4}}\s*(?:室|号房)",
    # A building then its room: 2号楼101, 3栋502, 2栋-101, 3座502, A座1201 (not 讲座50人, 3栋2023年).
    r"(?:(?<=号楼)|(?<=[栋幢])|(?<=[\dA-Za-zＡ-Ｚ]座))\s*[-－]?\s*\d{2,4}" + _NOT_A_PLACE + r"(?:\s*(?:室|号房|房|号))?",
    # Floors: 3楼 (not 3号楼, 楼道, 楼梯), 12层, 三楼, 3F (not 统一楼道, 同一楼层, 每一层).
    r"(?<![\d号])\d{1,3}\s*(?:层|楼(?![号房栋道梯层]))",
    rf"(?<![统同唯每逐这那])[{_CN_COUNT}]{{1,3}}\s*(?:层|楼(?![号房栋道梯层]))",
    r"(?<![\w.])\d{1,2}\s*F(?![a-z])",
    # The same in English, only with a number: Room 101, Flat 3B, Apt 12 (not flat roof, unit price).
    r"\b(?:room|flat|apt\.?|apartment|unit|floor)\s*(?:no\.?\s*)?#?\s*(?=[\w-]*\d)[\w-]{1,6}\b",
    r"\b\d+(?:st|nd|rd|th)\s+floor\b",
))


def masked(text: str) -> str:
    """`text` with every room, unit, floor, phone and identity-card number replaced by MASK."""
    for pattern in _PATTERNS:
        text = pattern.sub(MASK, text)
    return text
