"""What every lianyi service and the gateway agree on about people: the roles they act in, and who
may see residents' contact details. A contract module: it imports nothing of any service, so the
gateway may read it. (Which roles may call each RPC is declared in its proto.)"""
from __future__ import annotations

from servicekit.auth import PUBLIC, Principal

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
# Groups many rules share.
NEIGHBOURHOOD_STAFF = (MEMBER, BUILDING_LEADER, PARTY_SECRETARY)
PARTNERS = (OWNERS_COMMITTEE, PROPERTY_COMPANY)
ADMINS = (COMMUNITY_ADMIN, TOWNSHIP_ADMIN, COUNTY_ADMIN)

# Roles whose work needs residents' contact details (handling their matters); everyone else
# sees them masked. A resident only ever sees their own household's.
CONTACT_ROLES = frozenset((RESIDENT, *NEIGHBOURHOOD_STAFF, *ADMINS, INTEGRATION))

__all__ = ["PUBLIC", "ROLES", "NEIGHBOURHOOD_STAFF", "PARTNERS", "ADMINS", "CONTACT_ROLES", "sees_contacts"]


def sees_contacts(principal: Principal | None) -> bool:
    """May this caller see contact details unmasked? (In-process code without a caller may.)"""
    return principal is None or principal.role in CONTACT_ROLES
