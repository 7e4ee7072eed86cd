"""Dispatch's contract with its callers (the gateway may import this module, and nothing else of
dispatch): the words its tasks are described in, and the limits of what callers send."""
from __future__ import annotations

# Where a task is: waiting (a concern not routed direct: nothing to do yet), open (in the
# neighbourhood's pool, nobody has it), in_handling, resolved.
WAITING, OPEN, IN_HANDLING, RESOLVED = "waiting", "open", "in_handling", "resolved"
STATES = (WAITING, OPEN, IN_HANDLING, RESOLVED)

# The tiers of handling (分流承办, 集体合办, 提级联办), lowest first: escalating goes one up.
INDIVIDUAL, JOINT, ESCALATED = "individual", "joint", "escalated"
TIERS = (INDIVIDUAL, JOINT, ESCALATED)

# How an individual task reached its handler (固定包办, 自行领办).
FIXED, CLAIMED = "fixed", "claimed"
MODES = (FIXED, CLAIMED)

# The bodies that take part in joint and escalated handling, each recording its part and result.
PARTY_ORG, OWNERS_COMMITTEE, PROPERTY_COMPANY = "party_org", "owners_committee", "property_company"
COMMUNITY_PARTY_COMMITTEE = "community_party_committee"
BODIES = (PARTY_ORG, OWNERS_COMMITTEE, PROPERTY_COMPANY, COMMUNITY_PARTY_COMMITTEE)
# Whose parts a task of each tier needs before it is resolved.
BODIES_OF_TIER = {INDIVIDUAL: (), JOINT: (PARTY_ORG, OWNERS_COMMITTEE, PROPERTY_COMPANY),
                  ESCALATED: (COMMUNITY_PARTY_COMMITTEE,)}

# What a county department reports on a task it was whistled to (报到, progress, result).
REPORT_IN, PROGRESS, RESULT = "report_in", "progress", "result"
REPORT_KINDS = (REPORT_IN, PROGRESS, RESULT)

# Which tasks a list shows (TaskList in the proto).
LISTS = ("mine", "pool", "joint", "escalated", "overdue", "all")

# A delivery to the county platform: waiting to be delivered, or delivered.
DELIVERY_STATES = ("pending", "delivered")

# A commitment in a member's ledger: open, fulfilled (践诺), or released (the task went up a tier
# or to someone else before they resolved it).
COMMITMENT_STATES = ("open", "fulfilled", "released")

# A note, a part, a result or a reason: plain text people type.
NOTE_MAX_CHARS = 2000
# The county platform's id of a callback, kept to tell a repeated callback from a new one.
CALLBACK_ID_MAX_CHARS = 100
# Departments one whistle (吹哨) calls.
DEPARTMENTS_MAX = 20
