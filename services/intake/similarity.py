"""Possible duplicates: recent concerns whose descriptions share most of their character pairs.

Character bigrams work for Chinese, which has no spaces between words, and well enough for
other text; the Dice coefficient on them is 1 for the same text and near 0 for unrelated text.
"""
from __future__ import annotations

import functools
import re
from datetime import timedelta

THRESHOLD = 0.4
# How far back duplicates are looked for by default; the county setting
# intake.duplicates.window_days (services/intake/settings.py) sets it per place.
WINDOW = timedelta(days=30)
CANDIDATES = 50  # the most recent ones of the neighbourhood and category looked at
SUGGESTIONS = 5

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


# The same recent concerns are candidates for every new one in their neighbourhood and category,
# so their pairs are worth keeping rather than recomputing on each submission.
@functools.lru_cache(maxsize=20_000)
def bigrams(text: str) -> frozenset[str]:
    compact = _NOISE.sub("", text.lower())
    if len(compact) < 2:
        return frozenset((compact,)) if compact else frozenset()
    return frozenset(compact[i:i + 2] for i in range(len(compact) - 1))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def most_similar(text: str, candidates: list[tuple[str, str]]) -> list[tuple[str, float]]:
    """(concern id, similarity) of the candidates (id, description) at or above the threshold,
    most similar first, at most SUGGESTIONS."""
    own = bigrams(text)
    scored = [(concern_id, round(similarity(own, bigrams(description)), 3)) for concern_id, description in candidates]
    alike = [pair for pair in scored if pair[1] >= THRESHOLD]
    return sorted(alike, key=lambda pair: -pair[1])[:SUGGESTIONS]
