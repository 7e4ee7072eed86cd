"""Dispatch's contract with its callers (the gateway may import this module, and nothing else of
dispatch): the words its tasks are described in, and the limits of what callers send."""
from __future__ import annotations

# Where a task is: waiting (a concern not routed direct: nothing to do yet), open (in the
# neighbourhood's pool, nobody has it), in_handling, resolved.
STATES = ("waiting", "open", "in_handling", "resolved")

# The tiers of handling (分流承办, 集体合办, 提级联办), lowest first: escalating goes one up.
TIERS = ("individual", "joint", "escalated")

# The bodies that take part in joint and escalated handling, each recording its part and result.
BODIES = ("party_org", "owners_committee", "property_company", "community_party_committee")

# What a county department reports on a task it was whistled to (报到, progress, result).
REPORT_KINDS = ("report_in", "progress", "result")

# Which tasks a list shows (TaskList in the proto).
LISTS = ("mine", "pool", "joint", "escalated", "overdue", "all")

# A delivery to the county platform: waiting to be delivered, or delivered.
DELIVERY_STATES = ("pending", "delivered")

# A note, a part, a result or a reason: plain text people type.
NOTE_MAX_CHARS = 2000
# The county platform's id of a callback, kept to tell a repeated callback from a new one.
CALLBACK_ID_MAX_CHARS = 100
# Departments one whistle (吹哨) calls.
DEPARTMENTS_MAX = 20
