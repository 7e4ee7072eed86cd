"""Matters' commands, timers and events: each one unit of work that loads the matter, lets it take
its step (services/evaluation/matters/domain.py holds every rule) and saves it with its events and
timers.

Who may see a matter: a resident, one of its households; staff, one in their scope. Who may rate
it: one of its households, or staff of its neighbourhood recording a rating given in person.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta

import sqlalchemy as sa

from servicekit import auth, logs, paging, timers
from servicekit.clock import Clock
from servicekit.database import Database
from servicekit.directory_replica import DirectoryReplica
from servicekit.errors import InvalidArgument, NotFound
from servicekit.events import Inbound, Origin, Place
from servicekit.ids import looks_like_id, new_id
from servicekit.timers import Timer
from servicekit.unit_of_work import UnitOfWork, UnitsOfWork
from services.contract import RESIDENT
from services.evaluation import contract
from services.evaluation.matters import storage
from services.evaluation.matters.domain import Matter, Resolution, Supervisor
from services.evaluation.settings import EvaluationSettings

log = logging.getLogger(__name__)

# Timers of a matter's rating round: the reminder, and the unrated closure at the period's end.
RATING_REMINDER = "evaluation.rating_reminder"
RATING_DUE = "evaluation.rating_due"
# A resolution held for a concern evaluation has not heard of opens anyway after this long, with
# the households it knows: a concern whose ConcernReceived will never come (heard before
# evaluation kept every concern, or lost) must not hold a round back for ever.
HELD_RESOLUTION = "evaluation.held_resolution"
HOLD_AT_MOST = timedelta(hours=1)


class Matters:
    def __init__(self, db: Database, units: UnitsOfWork, replica: DirectoryReplica, settings: EvaluationSettings,
                 clock: Clock, on_rated: Sequence[Callable[[UnitOfWork, Matter], None]] = ()):
        self.db, self.units, self.replica, self.settings, self.clock = db, units, replica, settings, clock
        # What else keeps a rating (the member's review): in the rating's own unit of work.
        self.on_rated = tuple(on_rated)

    # -- what dispatch reports ------------------------------------------------------------------------

    def resolved(self, uow: UnitOfWork, resolutions: list[Inbound[Resolution]]) -> None:
        """Each resolution is a round for the households to rate, due within the county's period.
        One that arrives before a concern it answers (intake's topic is consumed apart from
        dispatch's) is held until evaluation has heard of them all (concerns_heard)."""
        for arrival in resolutions:
            if storage.unheard(uow.conn, arrival.event.concern_ids):
                storage.hold(uow.conn, arrival.event, arrival.place)
                timers.schedule(uow, HELD_RESOLUTION, arrival.event.task_id, self.clock.now() + HOLD_AT_MOST)
            else:
                self._open_round(uow, arrival.event, arrival.place)

    def concerns_heard(self, uow: UnitOfWork, received: list[Inbound[object]]) -> None:
        """Concerns heard of (composed after they are kept): the resolutions held for them open now."""
        for resolution, place in storage.held(uow.conn):
            if storage.unheard(uow.conn, resolution.concern_ids):
                continue
            if self.replica.place_of(uow.conn, resolution.neighbourhood_id, place) is None:
                continue  # held on, rather than refuse the concern that was heard: next time
            storage.release(uow.conn, resolution)
            self._open_round(uow, resolution, place)

    def held_too_long(self, uow: UnitOfWork, timer: Timer) -> None:
        """The task's held rounds open with the households known (none: nobody to ask)."""
        for resolution, place in storage.held(uow.conn, timer.subject_id):
            log.warning("opening round %d of %s without concerns evaluation never heard of: %s", resolution.round,
                        resolution.task_id, ", ".join(storage.unheard(uow.conn, resolution.concern_ids)))
            storage.release(uow.conn, resolution)
            self._open_round(uow, resolution, place)

    def _open_round(self, uow: UnitOfWork, resolution: Resolution, said: Place) -> None:
        place = self.replica.place_of(uow.conn, resolution.neighbourhood_id, said)
        if place is None:
            raise NotFound(f"neighbourhood {resolution.neighbourhood_id[:64]} is not in the directory replica")
        due = self.clock.now() + self.settings.rating_period(uow.conn, place.path)
        timers.lock_pending(uow, (RATING_REMINDER, RATING_DUE), resolution.task_id)  # the runner's order
        households = storage.households_of(uow.conn, resolution.concern_ids)
        if not households:
            return  # raised without a household: nobody to ask, and no unrated matter to count
        resolution = replace(resolution, household_ids=households)
        matter = storage.load(uow.conn, resolution.task_id, lock=True)
        if matter is None:
            matter = Matter.of(resolution, place, due)
            if not storage.add(uow.conn, matter):
                return
        elif matter.resolved_again(resolution, due):
            storage.save(uow.conn, matter)
        else:
            return  # a round seen before
        self._time(uow, matter)

    def _time(self, uow: UnitOfWork, matter: Matter) -> None:
        """A reminder a day before the round's rating is due (halfway through a shorter period),
        and the unrated closure when it is due."""
        period = matter.rating_due - matter.resolved_at
        before = min(timedelta(days=1), period / 2)
        timers.schedule(uow, RATING_REMINDER, matter.task_id, max(matter.rating_due - before, self.clock.now()))
        timers.schedule(uow, RATING_DUE, matter.task_id, matter.rating_due)

    # -- rating -----------------------------------------------------------------------------------

    def rate(self, task_id: str, rating: str, comment: str, household_id: str) -> Matter:
        """A household rates its matter's round; staff record a rating a household gave in person."""
        principal = auth.caller()
        in_person = principal.role != RESIDENT
        if not in_person:
            if household_id and household_id != principal.entity_id:
                raise InvalidArgument("household_id: a resident rates for their own household only")
            household_id = principal.entity_id
        elif not household_id:
            raise InvalidArgument("household_id is required when staff record a rating given in person")
        if not looks_like_id(task_id):
            raise NotFound(f"no matter {task_id[:64]}")  # before any lock: odd text never reaches a query
        now = self.clock.now()
        with self.units.start() as uow:
            timers.lock_pending(uow, (RATING_REMINDER, RATING_DUE), task_id)  # the runner's order
            matter = self.find(uow.conn, task_id, lock=True)
            supervisor = self._default_supervisor(uow.conn, matter)
            matter.rate(rating, comment, household_id, in_person=in_person,
                        recorded_by=principal.name if in_person else "",
                        recorder_id=principal.entity_id if in_person else "", rating_id=new_id(), at=now,
                        origin=Origin(matter.place, logs.correlation_id.get()), supervisor=supervisor)
            storage.save(uow.conn, matter)
            for keep in self.on_rated:
                keep(uow, matter)
            timers.cancel(uow, RATING_REMINDER, matter.task_id)
            timers.cancel(uow, RATING_DUE, matter.task_id)
            uow.collect(matter)
        return matter

    def _default_supervisor(self, conn: sa.Connection, matter: Matter) -> Supervisor:
        """Who supervises rework (督促整改) by the default rule: the neighbourhood's party
        organisation, which names the person one to one."""
        orgs = sorted(self.replica.within(conn, matter.place.path, "party_org"),
                      key=lambda org: (org.name, org.entity_id))
        return Supervisor(orgs[0].entity_id, orgs[0].name) if orgs else Supervisor("", "小区党组织")

    # -- timers ---------------------------------------------------------------------------------------

    def remind_due(self, uow: UnitOfWork, timer: Timer) -> None:
        matter = storage.load(uow.conn, timer.subject_id, lock=True)
        if matter is not None and matter.remind(self.clock.now(), Origin(matter.place)):
            storage.save(uow.conn, matter)
            uow.collect(matter)

    def rating_due(self, uow: UnitOfWork, timer: Timer) -> None:
        matter = storage.load(uow.conn, timer.subject_id, lock=True)
        if matter is not None and matter.close_unrated(self.clock.now(), Origin(matter.place)):
            storage.save(uow.conn, matter)
            uow.collect(matter)

    # -- reads ----------------------------------------------------------------------------------------

    def find(self, conn: sa.Connection, task_id: str, *, lock: bool = False) -> Matter:
        matter = storage.load(conn, task_id, lock=lock) if looks_like_id(task_id) else None
        if matter is None or not _visible(matter):
            raise NotFound(f"no matter {task_id[:64]}")
        return matter

    def get(self, task_id: str) -> Matter:
        with self.db.read() as conn:
            return self.find(conn, task_id)

    def list(self, which: str, place_id: str, states: list[str], page_size: int, page_token: str
             ) -> tuple[list[Matter], str]:
        if which not in contract.MATTER_LISTS:
            raise InvalidArgument(f"list must be one of {', '.join(contract.MATTER_LISTS)}")
        if set(states) - set(contract.MATTER_STATES):
            raise InvalidArgument(f"states must be among {', '.join(contract.MATTER_STATES)}")
        limit, after = paging.page_size(page_size), paging.decode_key_token(page_token)
        principal = auth.caller()
        with self.db.read() as conn:
            if principal.role == RESIDENT:
                if which == "place":
                    raise InvalidArgument("list: a resident lists their own household's matters (mine)")
                where = [storage.of_household(principal.entity_id)]
            else:
                where = [storage.place_range(conn, self._place_path(conn, place_id if which == "place" else ""))]
            if states:
                where.append(storage.matters.c.state.in_(states))
            if after:
                where.append(storage.matters.c.task_id < after)
            found = storage.many(conn, where, limit + 1)
        return paging.one_page(found, limit, lambda matter: paging.encode_key_token(matter.task_id))

    def _place_path(self, conn: sa.Connection, place_id: str) -> tuple[str, ...]:
        return self.replica.visible_place(conn, place_id) if place_id else auth.caller().scope


def _visible(matter: Matter) -> bool:
    principal = auth.current.get()
    if principal is None:
        return True
    if principal.role == RESIDENT:
        return principal.entity_id in matter.household_ids
    return principal.covers(matter.place.path)

