"""Evaluation's contract with its callers (the gateway may import this module, and nothing else
of evaluation): the words matters are described in, and the limits of what callers send."""
from __future__ import annotations

from servicekit import moments

MATTER_STATES = ("awaiting_rating", "reworking", "archived", "closed_unrated")
RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")
MATTER_LISTS = ("mine", "place")
COMMENT_MAX_CHARS = 500

# The quarterly member review (季度综合评价): its grades, best first (优秀, 合格, 基本合格, 不合格; a
# member with no commitment of their own in the quarter is not assessed), and the bulletin's formats.
GRADES = ("excellent", "qualified", "basically_qualified", "unqualified", "not_assessed")
# YYYY-Qn within the years every service can hold, as a schema states it (servicekit.moments);
# services.periods is the rule reviews read a quarter by.
QUARTER_PATTERN = moments.QUARTER_PATTERN
BULLETIN_FORMATS = ("text", "csv")

# The annual rating (年度量化评定): its tiers (先进, 一般, 后进) and the indicators it weighs.
TIERS = ("advanced", "average", "lagging")
INDICATORS = ("decisions_implemented", "satisfaction", "fulfilment", "visit_coverage", "panel_service")
# The years a rating may be calculated for (none kept before 2000), and its versions as callers name them.
ANNUAL_FIRST_YEAR, ANNUAL_LAST_YEAR = 2000, moments.LAST_YEAR
ANNUAL_VERSION_MAX = 100_000
