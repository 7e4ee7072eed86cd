MATTER_STATES = ("awaiting_rating", "reworking", "archived", "closed_unrated")
RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")
MATTER_LISTS = ("mine", "place")
COMMENT_MAX_CHARS = 500
