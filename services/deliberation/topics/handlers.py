"""Topics' commands and reads: each command one unit of work that loads the topic, lets it take
its step (services/deliberation/topics/domain.py holds every rule), and saves it with its events.

Who may take a step is the proto's to say (role) and this module's (place): a caller sees a
topic only in their scope, and a resident only once it is published.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from servicekit import auth, logs, paging, timers
from servicekit.audit import AuditLog
from servicekit.clock import Clock
from servicekit.database import Database
from servicekit.directory_replica import DirectoryReplica
from servicekit.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from servicekit.events import Origin, Place
from servicekit.ids import looks_like_id, new_id
from servicekit.unit_of_work import UnitOfWork, UnitsOfWork
from services.contract import PARTY_SECRETARY, RESIDENT
from services.deliberation import calendar, contract
from services.deliberation.progress import storage as progress
from services.deliberation.settings import DeliberationSettings
from services.deliberation.topics import domain, storage
from services.deliberation.topics.domain import Topic, TopicView
from services.deliberation.votes import storage as votes
from services.deliberation.votes.domain import Count, Tally

# The timer that closes a published topic's vote when its window ends.
VOTE_CLOSES = "deliberation.vote_closes"


def actor() -> str:
    """Who is taking a step, as the history names them (a staff member's name)."""
    principal = auth.current.get()
    return principal.name if principal is not None else ""


class Topics:
    def __init__(self, db: Database, units: UnitsOfWork, replica: DirectoryReplica, settings: DeliberationSettings,
                 clock: Clock, audit: AuditLog):
        self.db, self.units, self.replica, self.settings = db, units, replica, settings
        self.clock, self.audit = clock, audit

    # -- finding things, as the caller may see them -------------------------------------------------

    def neighbourhood(self, conn: sa.Connection, neighbourhood_id: str) -> Place:
        """The neighbourhood's place in the county, if the caller may see it (else NotFound)."""
        found = self.replica.locate(conn, neighbourhood_id) if neighbourhood_id else None
        if found is None or found.kind != "neighbourhood" or not auth.in_scope(found.path) or len(found.path) != 4:
            raise NotFound(f"no neighbourhood {neighbourhood_id[:64]}")
        county, township, community, neighbourhood = found.path
        return Place(neighbourhood, community, township, county)

    def find(self, conn: sa.Connection, topic_id: str, *, lock: bool = False, head: bool = False,
             share: bool = False, unpublished_too: bool = False) -> Topic:
        """The topic, if the caller may see it: in their scope, and for a resident published
        (`unpublished_too`: or not yet, for a vote to be refused saying so). `head` reads its own
        row only (see storage.get_head)."""
        topic = None
        if looks_like_id(topic_id):
            topic = storage.get_head(conn, topic_id, share=share) if head else storage.get(conn, topic_id, lock=lock)
        if topic is None or not auth.in_scope(path_of(topic.place)) or \
                not (unpublished_too or _shown_to_caller(topic)):
            raise NotFound(f"no topic {topic_id[:64]}")
        return topic

    def origin(self, topic: Topic) -> Origin:
        return Origin(topic.place, logs.correlation_id.get())

    # -- reads ---------------------------------------------------------------------------------------

    def get(self, topic_id: str) -> TopicView:
        with self.db.read() as conn:
            return self.view(conn, self.find(conn, topic_id))

    def list(self, neighbourhood_id: str, states: Sequence[str], page_size: int, page_token: str
             ) -> tuple[list[TopicView], str]:
        """A neighbourhood's topics, oldest first (ids sort by time)."""
        unknown = set(states) - set(contract.TOPIC_STATES)
        if unknown:
            raise InvalidArgument(f"state must be among {', '.join(contract.TOPIC_STATES)}")
        limit, after = paging.page_size(page_size), paging.decode_key_token(page_token)
        with self.db.read() as conn:
            place = self.neighbourhood(conn, neighbourhood_id)
            where = [storage.topics.c.neighbourhood_id == place.neighbourhood_id, storage.topics.c.topic_id > after,
                     storage.topics.c.state.in_(_visible_states(states))]
            found = storage.many(conn, where, [storage.topics.c.topic_id], limit + 1)
            views = [self.view(conn, topic, whole=False) for topic in found]
        return paging.one_page(views, limit, lambda view: paging.encode_key_token(view.topic.topic_id))

    def agenda(self, neighbourhood_id: str, month: str) -> list[TopicView]:
        """The month's topics (议事日) by meeting date, then as drafted."""
        first, after_last = calendar.month_days(month)
        with self.db.read() as conn:
            place = self.neighbourhood(conn, neighbourhood_id)
            found = storage.agenda(conn, place.neighbourhood_id, first, after_last, _visible_states(()),
                                   contract.AGENDA_MAX_TOPICS)
            return [self.view(conn, topic, whole=False) for topic in found]

    def view(self, conn: sa.Connection, topic: Topic, *, whole: bool = True) -> TopicView:
        """The topic as the caller sees it; `whole` adds its history and opinions (one topic's page)."""
        principal = auth.current.get()
        resident = principal is not None and principal.role == RESIDENT
        your_vote = ""
        if resident and principal is not None and topic.state != contract.DRAFTED:
            cast = votes.household_vote(conn, topic.topic_id, principal.entity_id)
            your_vote = cast[0] if cast else ""
        actions = [action.action_id for action in topic.decision.actions] if topic.decision else []
        view = TopicView(topic, tuple(storage.history(conn, topic.topic_id)) if whole else (),
                         tuple(storage.opinions_of(conn, topic.topic_id)) if whole else (),
                         self.tally_of(conn, topic), your_vote, progress.of(conn, actions))
        return view.for_residents() if resident else view

    def tally_of(self, conn: sa.Connection, topic: Topic) -> Tally | None:
        """The vote as it stands (published) or as it closed; None before publication."""
        if topic.count is not None and topic.rule is not None:
            return Tally(topic.count, topic.rule, True, topic.vote_closes_at, topic.vote_closed_at, topic.closed_early)
        if topic.state != contract.PUBLISHED:
            return None
        path = path_of(topic.place)
        yes, no = votes.counts(conn, topic.topic_id)
        return Tally(Count(yes, no, self.replica.count_within(conn, path, "household")),
                     self.settings.vote_rule(conn, path), False, topic.vote_closes_at)

    # -- the party secretary's steps -------------------------------------------------------------------

    def draft(self, neighbourhood_id: str, title: str, summary: str, concern_ids: Sequence[str],
              meeting_on: str) -> TopicView:
        """A topic from pooled concerns of the neighbourhood; it holds them from now on."""
        meeting_date = calendar.parse_date(meeting_on, "meeting_on")
        with self.units.start() as uow:
            place = self.neighbourhood(uow.conn, neighbourhood_id)
            now = self.clock.now()
            topic = Topic.draft(new_id(), place, title, summary, concern_ids, meeting_date, now, actor(),
                                Origin(place, logs.correlation_id.get()))
            self._hold(uow.conn, topic)
            storage.add(uow.conn, topic)
            return self._done(uow, topic, "topic.drafted", topic.title)

    def _hold(self, conn: sa.Connection, topic: Topic) -> None:
        holders = storage.holders(conn, topic.neighbourhood_id, topic.concern_ids)
        missing = [concern_id[:64] for concern_id in topic.concern_ids if concern_id not in holders]
        if missing:
            raise InvalidArgument(f"concern_ids: not in this neighbourhood's pool: {', '.join(missing)}")
        taken = [f"{concern_id} (topic {held_by})" for concern_id, held_by in holders.items() if held_by]
        if taken:
            raise FailedPrecondition(f"a concern belongs to one open topic at a time; already taken: {', '.join(taken)}")
        if storage.hold(conn, topic.topic_id, topic.concern_ids) != len(topic.concern_ids):
            raise FailedPrecondition("another topic took one of these concerns just now; look at the pool again")

    def withdraw(self, topic_id: str) -> TopicView:
        with self.units.start() as uow:
            topic = self.find(uow.conn, topic_id, lock=True)
            topic.withdraw(self.clock.now(), actor(), self.origin(topic))
            storage.release(uow.conn, topic.topic_id, to_pool=True)
            storage.save(uow.conn, topic)
            return self._done(uow, topic, "topic.withdrawn")

    def publish(self, topic_id: str) -> TopicView:
        """Publish a draft (公开公示): the vote opens for the window the county set for the place,
        and a timer closes it."""
        with self.units.start() as uow:
            topic = self.find(uow.conn, topic_id, lock=True)
            window = self.settings.vote_window(uow.conn, path_of(topic.place))
            topic.publish(self.clock.now(), window, actor(), self.origin(topic))
            assert topic.vote_closes_at is not None
            timers.schedule(uow, VOTE_CLOSES, topic.topic_id, topic.vote_closes_at)
            storage.save(uow.conn, topic)
            return self._done(uow, topic, "topic.published", f"vote closes {topic.vote_closes_at.isoformat()}")

    def release(self, topic_id: str, fate: str, reason: str) -> TopicView:
        """A rejected topic's concerns: back to the pool, or closed with the reason."""
        with self.units.start() as uow:
            topic = self.find(uow.conn, topic_id, lock=True)
            topic.release_concerns(fate, reason, self.clock.now(), actor(), self.origin(topic))
            storage.release(uow.conn, topic.topic_id, to_pool=fate == "pool")
            storage.save(uow.conn, topic)
            return self._done(uow, topic, "topic.concerns_released", fate)

    def add_opinion(self, topic_id: str, text: str, member_id: str) -> domain.Opinion:
        """A panellist's own opinion, or one the party secretary records for a panellist."""
        principal = auth.current.get()
        own = principal.entity_id if principal is not None else ""
        if member_id and member_id != own and principal is not None and principal.role != PARTY_SECRETARY:
            raise PermissionDenied("only the party secretary records an opinion for another panellist")
        recorded_by = actor() if member_id and member_id != own else ""
        with self.units.start() as uow:
            topic = self.find(uow.conn, topic_id, lock=True)
            if recorded_by and topic.state == contract.DELIBERATING and topic.panellist(member_id) is None:
                raise InvalidArgument(f"member_id: {member_id[:64]} is not on topic {topic.topic_id}'s panel")
            opinion = topic.give_opinion(new_id(), member_id or own, text, self.clock.now(), recorded_by,
                                         self.origin(topic))
            storage.save(uow.conn, topic)
            self._done(uow, topic, "topic.opinion_given", opinion.member_id)
            return opinion

    def record_consensus(self, topic_id: str, consensus: str) -> TopicView:
        with self.units.start() as uow:
            topic = self.find(uow.conn, topic_id, lock=True)
            topic.record_consensus(consensus, self.clock.now(), actor(), self.origin(topic))
            storage.save(uow.conn, topic)
            return self._done(uow, topic, "topic.consensus_recorded")

    def record_decision(self, topic_id: str, attendees: Sequence[domain.Attendee], minutes: str, resolution: str,
                        actions: Sequence[ActionInput]) -> TopicView:
        """The joint meeting's decision (决议): its plan goes to dispatch, the concerns are decided."""
        with self.units.start() as uow:
            topic = self.find(uow.conn, topic_id, lock=True)
            self._check_owners(uow.conn, actions)
            deadlines = _deadlines(actions)
            decision = domain.Decision(
                new_id(), tuple(domain.Attendee(a.body, a.name.strip()) for a in attendees), minutes.strip(),
                resolution.strip(),
                tuple(domain.Action(new_id(), a.description.strip(), deadline, a.tier, a.owner_id, a.owner_name.strip())
                      for a, deadline in zip(actions, deadlines, strict=True)),
                self.clock.now())
            topic.decide(decision, actor(), self.origin(topic))
            storage.save(uow.conn, topic)
            storage.save_decision(uow.conn, topic.topic_id, decision)
            return self._done(uow, topic, "topic.decided", f"{len(decision.actions)} action(s)")

    def _check_owners(self, conn: sa.Connection, actions: Sequence[ActionInput]) -> None:
        """An owner is a member, volunteer, body or department the directory knows (a department
        sits above every neighbourhood, the county's; anyone else must be in the caller's scope)."""
        known = self.replica.known(conn, [a.owner_id for a in actions if a.owner_id])

        def may_own(owner_id: str) -> bool:
            found = known.get(owner_id)
            return found is not None and found.kind in contract.OWNER_KINDS and (
                found.kind == "department" or auth.in_scope(found.scope_path))

        strangers = [f"actions[{i}].owner_id" for i, a in enumerate(actions) if a.owner_id and not may_own(a.owner_id)]
        if strangers:
            raise InvalidArgument(f"{', '.join(strangers)}: no member, volunteer, body or department of that id "
                                  "in the directory")

    def _done(self, uow: UnitOfWork, topic: Topic, action: str, detail: str = "") -> TopicView:
        uow.collect(topic)
        self.audit.record(uow.tx, action, "topic", topic.topic_id, detail)
        return self.view(uow.conn, topic)


@dataclass(frozen=True)
class ActionInput:
    """One action of a decision as the meeting wrote it (the deadline still text)."""

    description: str
    deadline: str
    tier: str = ""
    owner_id: str = ""
    owner_name: str = ""


def _deadlines(actions: Sequence[ActionInput]) -> list[date]:
    """Each action's deadline, or InvalidArgument naming every one missing or no date."""
    found, problems = [], []
    for i, action in enumerate(actions):
        try:
            deadline = calendar.parse_date(action.deadline, f"actions[{i}].deadline")
        except InvalidArgument as exc:
            problems.append(exc.detail)
            continue
        if deadline is None:
            problems.append(f"actions[{i}].deadline is required (YYYY-MM-DD)")
        else:
            found.append(deadline)
    if problems:
        raise InvalidArgument("; ".join(problems))
    return found


def path_of(place: Place) -> tuple[str, ...]:
    """A neighbourhood's path in the directory, county first."""
    return (place.county_id, place.township_id, place.community_id, place.neighbourhood_id)


def _shown_to_caller(topic: Topic) -> bool:
    principal = auth.current.get()
    return principal is None or principal.role != RESIDENT or topic.state in contract.PUBLIC_STATES


def _visible_states(asked: Sequence[str]) -> list[str]:
    """The states a listing covers: those asked for (all if none) that the caller may see."""
    states = list(asked) or list(contract.TOPIC_STATES)
    principal = auth.current.get()
    if principal is not None and principal.role == RESIDENT:
        return [state for state in states if state in contract.PUBLIC_STATES]
    return states
