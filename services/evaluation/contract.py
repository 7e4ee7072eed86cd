"""Evaluation's contract with its callers (the gateway may import this module, and nothing else
of evaluation): the words matters are described in, and the limits of what callers send."""
from __future__ import annotations

MATTER_STATES = ("awaiting_rating", "reworking", "archived", "closed_unrated")
RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")
MATTER_LISTS = ("mine", "place")
COMMENT_MAX_CHARS = 500
