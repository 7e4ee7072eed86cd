"""Deliberation's contract with its callers, beside its protos (which declare who may call each
RPC): the words and limits its inputs keep. Imports nothing of deliberation, so the gateway may
read it."""
from __future__ import annotations

from servicekit.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from services.contract import COUNTY_TIME as COUNTY_TIME  # where deliberation's calendar reads it

# A page of the pool, or of a neighbourhood's topics.
POOL_PAGE_SIZE_DEFAULT = DEFAULT_PAGE_SIZE
POOL_PAGE_SIZE_MAX = MAX_PAGE_SIZE

# -- a topic's states, in the order of the cycle (the proto enum TopicState's words) ------------
DRAFTED, WITHDRAWN, PUBLISHED, ACCEPTED, REJECTED = "drafted", "withdrawn", "published", "accepted", "rejected"
DELIBERATING, CONSENSUS_REACHED, DECIDED = "deliberating", "consensus_reached", "decided"
TOPIC_STATES = (DRAFTED, WITHDRAWN, PUBLISHED, ACCEPTED, REJECTED, DELIBERATING, CONSENSUS_REACHED, DECIDED)
# What residents may see: a topic once it is put to them.
PUBLIC_STATES = (PUBLISHED, ACCEPTED, REJECTED, DELIBERATING, CONSENSUS_REACHED, DECIDED)

VOTE_CHOICES = ("yes", "no")
REJECTION_REASONS = ("quorum_missed", "threshold_missed")
CONCERNS_FATES = ("pool", "closed")
HANDLING_TIERS = ("individual", "joint", "escalated")

# The joint meeting (大物业联席会): who must be present, and who else may take part.
REQUIRED_BODIES = ("party_org", "owners_committee", "property_company")
ATTENDEE_BODIES = (*REQUIRED_BODIES, "resident", "other")
# Who may own an action of the plan (directory kinds): people who serve and bodies, never a
# household or a resident (a decision is published to every resident).
OWNER_KINDS = ("member", "volunteer", *REQUIRED_BODIES, "community_party_committee", "department")

# -- limits ---------------------------------------------------------------------------------------
TITLE_MAX_CHARS = 100
SUMMARY_MAX_CHARS = 2000
TOPIC_CONCERNS_MAX = 50
OPINION_MAX_CHARS = 2000
CONSENSUS_MAX_CHARS = 4000
# With its short prefix it fits a concern's timeline note (500 characters).
REASON_MAX_CHARS = 400
MINUTES_MAX_CHARS = 10000
RESOLUTION_MAX_CHARS = 4000
ACTIONS_MAX = 20
ACTION_MAX_CHARS = 500
ATTENDEES_MAX = 50
NAME_MAX_CHARS = 100
# A panel (群议): 5 to 10 members.
PANEL_MIN, PANEL_MAX = 5, 10
AGENDA_MAX_TOPICS = 500
