"""What every lianyi service and the gateway agree on about people (the roles they act in, who may
see residents' contact details, who may set county settings) and which service owns a setting. A
contract module: it imports nothing of any service, so the gateway may read it. (Which roles may
call each RPC is declared in its proto.)"""
from __future__ import annotations

from datetime import timedelta, timezone

from servicekit.auth import PUBLIC, Principal
from servicekit.config import SERVICES
from servicekit.settings_access import Writers

# The county's own time (Fujian: China Standard Time, UTC+8 all year): what a day, a month, a
# meeting's date and a deadline's day mean.
COUNTY_TIME = timezone(timedelta(hours=8), "UTC+8")

RESIDENT = "resident"
MEMBER = "member"
BUILDING_LEADER = "building_leader"
PARTY_SECRETARY = "party_secretary"
OWNERS_COMMITTEE = "owners_committee"
PROPERTY_COMPANY = "property_company"
COMMUNITY_ADMIN = "community_admin"
TOWNSHIP_ADMIN = "township_admin"
DEPARTMENT = "department"
COUNTY_ADMIN = "county_admin"
INTEGRATION = "integration"

ROLES = (
    RESIDENT, MEMBER, BUILDING_LEADER, PARTY_SECRETARY, OWNERS_COMMITTEE, PROPERTY_COMPANY,
    COMMUNITY_ADMIN, TOWNSHIP_ADMIN, DEPARTMENT, COUNTY_ADMIN, INTEGRATION,
)
# The roles a person signing in with a password may hold: an integration signs in with its API key.
ACCOUNT_ROLES = tuple(role for role in ROLES if role != INTEGRATION)
# Groups many rules share.
NEIGHBOURHOOD_STAFF = (MEMBER, BUILDING_LEADER, PARTY_SECRETARY)
PARTNERS = (OWNERS_COMMITTEE, PROPERTY_COMPANY)
ADMINS = (COMMUNITY_ADMIN, TOWNSHIP_ADMIN, COUNTY_ADMIN)

# Roles whose work needs residents' contact details (handling their matters); everyone else
# sees them masked. A resident only ever sees their own household's.
CONTACT_ROLES = frozenset((RESIDENT, *NEIGHBOURHOOD_STAFF, *ADMINS, INTEGRATION))

# Who may set county settings, for every setting of every service (servicekit.settings_access):
# the whole deployment's values only a county administrator; a place's, an administrator whose
# scope covers it, or the party secretary of that neighbourhood.
SETTINGS_WRITERS = Writers(everywhere=frozenset((COUNTY_ADMIN,)), in_scope=frozenset(ADMINS),
                           own_neighbourhood=frozenset((PARTY_SECRETARY,)))

__all__ = [
    "ACCOUNT_ROLES",
    "ADMINS",
    "CONTACT_ROLES",
    "COUNTY_TIME",
    "NEIGHBOURHOOD_STAFF",
    "PARTNERS",
    "PUBLIC",
    "ROLES",
    "SETTINGS_WRITERS",
    "owner_of_setting",
    "sees_contacts",
]


def sees_contacts(principal: Principal | None) -> bool:
    """May this caller see contact details unmasked? (In-process code without a caller may.)"""
    return principal is None or principal.role in CONTACT_ROLES


def owner_of_setting(key: str) -> str | None:
    """The service a county setting belongs to: its key starts with the service's name
    ("intake.triage.route"), and that service serves it. None if no service is named."""
    owner = key.split(".", 1)[0]
    return owner if "." in key and owner in SERVICES else None
