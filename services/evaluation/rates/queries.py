"""Who may read which rates, and the reading: a dozen cells summed per answer, whatever the period
(services/evaluation/rates/storage.py `read_cells`).

A place's rates: staff of that place or above it (a party secretary their neighbourhood, an
administrator their community, township or the county, an integration its scope). A member's: the
member themself, or a party secretary or administrator whose scope covers the member. A
department's: the department itself, or the county's administrator.
"""
from __future__ import annotations

from servicekit import auth
from servicekit.database import Database
from servicekit.directory_replica import DirectoryReplica
from servicekit.errors import InvalidArgument, NotFound, PermissionDenied
from services.contract import ADMINS, COUNTY_ADMIN, DEPARTMENT, INTEGRATION, NEIGHBOURHOOD_STAFF, PARTY_SECRETARY
from services.evaluation.rates import domain, storage
from services.evaluation.rates.domain import Rates

# Who may read a member's rates besides the member: those who review members (scope permitting).
_REVIEWERS = (PARTY_SECRETARY, *ADMINS)


class RateQueries:
    def __init__(self, db: Database, replica: DirectoryReplica):
        self.db, self.replica = db, replica

    def rates(self, period: str, *, place_id: str = "", member_id: str = "", department_id: str = "") -> Rates:
        named = [(kind, subject) for kind, subject in ((domain.PLACE, place_id), (domain.MEMBER, member_id),
                                                       (domain.DEPARTMENT, department_id)) if subject]
        if len(named) != 1:
            raise InvalidArgument("name exactly one of place_id, member_id, department_id")
        first, last = domain.months_of(period)
        (kind, subject_id), = named
        with self.db.read() as conn:
            if kind == domain.PLACE:
                self._may_read_place()
                self.replica.visible_place(conn, subject_id)
            else:
                self._may_read(conn, kind, subject_id)
            tally = storage.read_cells(conn, kind, subject_id, first, last)
        return Rates(kind, subject_id, period, tally)

    def _may_read_place(self) -> None:
        principal = auth.current.get()
        if principal is not None and principal.role == DEPARTMENT:
            raise PermissionDenied("a department reads its own rates (department_id)")

    def _may_read(self, conn: object, kind: str, subject_id: str) -> None:
        principal = auth.current.get()
        found = self.replica.locate(conn, subject_id)  # type: ignore[arg-type]
        if found is None or found.kind != kind:
            raise NotFound(f"no {kind} {subject_id[:64]}")
        if principal is None:
            return  # in-process, trusted
        own = principal.entity_id == subject_id
        if kind == domain.MEMBER:
            if principal.role in NEIGHBOURHOOD_STAFF and own:
                return
            if principal.role not in (*_REVIEWERS, INTEGRATION):
                raise PermissionDenied("a member reads their own rates only")
        else:
            if principal.role == DEPARTMENT and own:
                return
            if principal.role not in (COUNTY_ADMIN, INTEGRATION):
                raise PermissionDenied("a department's rates are for the department and the county")
        if not principal.covers(found.path):
            raise NotFound(f"no {kind} {subject_id[:64]}")
