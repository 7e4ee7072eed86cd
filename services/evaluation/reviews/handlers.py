"""The quarterly member review (季度综合评价): keeping each member's ledger from dispatch's events, their
visits from intake's and their panels from deliberation's, each run in the consumer's unit of work;
and reading a member's review, a neighbourhood's quarter and its bulletin (通报).

Who may read: a member their own review; the party secretary and administrators the members and
neighbourhoods in their scope.
"""
from __future__ import annotations

import sqlalchemy as sa

from servicekit import auth
from servicekit.clock import Clock
from servicekit.database import Database
from servicekit.directory_replica import DirectoryReplica, Known
from servicekit.errors import InvalidArgument, NotFound, PermissionDenied
from servicekit.events import Inbound
from servicekit.ids import looks_like_id
from servicekit.unit_of_work import UnitOfWork
from services import periods
from services.contract import BUILDING_LEADER, COUNTY_TIME, MEMBER
from services.evaluation.matters.domain import Matter, Resolution
from services.evaluation.reviews import bulletin, storage
from services.evaluation.reviews.domain import (
    Committed,
    PanelServed,
    Released,
    Reopened,
    Review,
    Tally,
    Visited,
    check_quarter,
    review,
)
from services.evaluation.settings import EvaluationSettings

_NEIGHBOURHOOD_DEPTH = 4  # county, township, community, neighbourhood


class Reviews:
    def __init__(self, db: Database, replica: DirectoryReplica, settings: EvaluationSettings, clock: Clock):
        self.db, self.replica, self.settings, self.clock = db, replica, settings, clock

    # -- the ledger, from dispatch's events -------------------------------------------------------

    def committed(self, uow: UnitOfWork, events: list[Inbound[Committed]]) -> None:
        for arrival in events:
            event = arrival.event
            storage.commit(uow.conn, arrival.event_id, task_id=event.task_id, member_id=event.member_id,
                           member_name=event.member_name, neighbourhood_id=event.neighbourhood_id,
                           quarter=periods.quarter_of_moment(event.committed_at), committed_at=event.committed_at,
                           deadline=event.deadline)

    def released(self, uow: UnitOfWork, events: list[Inbound[Released]]) -> None:
        for arrival in events:
            storage.release(uow.conn, arrival.event.task_id, arrival.event.at)

    def resolved(self, uow: UnitOfWork, events: list[Inbound[Resolution]]) -> None:
        """Fulfilled (践诺), on time or late: composed with the matter's own handler for
        TaskResolved (see wiring), in the same unit of work."""
        for arrival in events:
            event = arrival.event
            storage.fulfil(uow.conn, event.task_id, event.resolved_at, event.on_time)

    def reopened(self, uow: UnitOfWork, events: list[Inbound[Reopened]]) -> None:
        for arrival in events:
            storage.reopen(uow.conn, arrival.event.task_id, arrival.event.deadline)

    def rated(self, uow: UnitOfWork, matter: Matter) -> None:
        """A household's rating (评诺), in the rating's own unit of work (services/evaluation/matters)."""
        if matter.rated_at is not None:
            storage.rate(uow.conn, matter.task_id, matter.rating, matter.rated_at)

    # -- visits and panels ------------------------------------------------------------------------

    def visited(self, uow: UnitOfWork, events: list[Inbound[Visited]]) -> None:
        storage.add_activities(uow.conn, storage.VISIT, [
            {"subject_id": e.event.visit_id, "member_id": e.event.member_id, "neighbourhood_id": e.event.neighbourhood_id,
             "quarter": periods.quarter_of(e.event.visited_on), "occurred_on": e.event.visited_on,
             "household_id": e.event.household_id} for e in events])

    def panels(self, uow: UnitOfWork, events: list[Inbound[PanelServed]]) -> None:
        """Each panellist served on the topic's panel once, in the quarter it was confirmed (a panel
        confirmed again keeps who served before)."""
        storage.add_activities(uow.conn, storage.PANEL, [
            {"subject_id": e.event.topic_id, "member_id": member_id, "neighbourhood_id": e.place.neighbourhood_id,
             "quarter": periods.quarter_of_moment(e.occurred_at),
             "occurred_on": e.occurred_at.astimezone(COUNTY_TIME).date()}
            for e in events for member_id in e.event.member_ids])

    # -- reads ------------------------------------------------------------------------------------

    def _quarter(self, quarter: str) -> str:
        return check_quarter(quarter) if quarter else periods.quarter_of_moment(self.clock.now())

    def member_review(self, member_id: str, quarter: str) -> Review:
        """A member's review of the quarter (this one when none is named): a member reads their own."""
        principal = auth.caller()
        member_id = member_id or principal.entity_id
        if not member_id:  # the caller's own, but they are no member: their role has none (403, not a field's fault)
            raise PermissionDenied("only a member has a review of their own; name the member_id to read")
        if principal.role in (MEMBER, BUILDING_LEADER) and member_id != principal.entity_id:
            raise PermissionDenied("a member reads only their own review")
        quarter = self._quarter(quarter)
        with self.db.read() as conn:
            member = self.replica.known(conn, [member_id]).get(member_id)
            if member is None or member.kind != "member" or not auth.in_scope(member.scope_path):
                raise NotFound(f"no member {member_id[:64]}")
            return self._review(conn, member, quarter, storage.tallies(conn, [member_id], quarter))

    def _review(self, conn: sa.Connection, member: Known, quarter: str, tallies: dict[str, Tally]) -> Review:
        place = member.scope_path[:_NEIGHBOURHOOD_DEPTH]
        neighbourhood_id = place[-1] if len(place) == _NEIGHBOURHOOD_DEPTH else ""
        return review(member.entity_id, member.name, neighbourhood_id, quarter,
                      tallies.get(member.entity_id, Tally()), self.settings.review_grading(conn, place))

    def neighbourhood_reviews(self, neighbourhood_id: str, quarter: str) -> tuple[str, str, list[Review]]:
        """Every member of the neighbourhood (and any other who served it in the quarter), reviewed
        on their work for it alone (what a member did elsewhere is that neighbourhood's to show):
        its name, the quarter and the reviews, best first."""
        quarter = self._quarter(quarter)
        with self.db.read() as conn:
            path = self.replica.visible_place(conn, neighbourhood_id)
            if len(path) != _NEIGHBOURHOOD_DEPTH:
                raise InvalidArgument("neighbourhood_id must name a neighbourhood")
            name = self.replica.known(conn, [neighbourhood_id])[neighbourhood_id].name
            members = {m.entity_id: m for m in self.replica.within(conn, path, "member")}
            active = storage.members_active_in(conn, neighbourhood_id, quarter)
            members.update({m.entity_id: m for m in self.replica.known(conn, [i for i in active if i not in members])
                            .values() if m.kind == "member"})
            tallies = storage.tallies(conn, list({*members, *active}), quarter, neighbourhood_id)
            grading = self.settings.review_grading(conn, path)
            reviews = [review(m.entity_id, m.name, neighbourhood_id, quarter, tallies.get(m.entity_id, Tally()), grading)
                       for m in members.values()]
            # A member the directory no longer has still answers for their commitments here.
            reviews += [review(member_id, name_given or member_id, neighbourhood_id, quarter,
                               tallies.get(member_id, Tally()), grading)
                        for member_id, name_given in active.items() if member_id not in members
                        and looks_like_id(member_id)]
        return name, quarter, bulletin.ordered(reviews)

    def bulletin(self, neighbourhood_id: str, quarter: str, form: str) -> tuple[str, str]:
        """The quarter's bulletin (通报) as zh-CN text or CSV, and the quarter it is of."""
        if form not in ("text", "csv"):
            raise InvalidArgument("format must be text or csv")
        name, quarter, reviews = self.neighbourhood_reviews(neighbourhood_id, quarter)
        render = bulletin.text if form == "text" else bulletin.table
        return render(name, quarter, reviews), quarter
