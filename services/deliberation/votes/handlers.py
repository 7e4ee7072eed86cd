"""The residents' vote (议不议): a household's vote, the tally, and the vote's close (by its timer
when the window ends, or early by the party secretary).

A vote is the hottest write in deliberation (a whole neighbourhood may vote in one evening), so
it reads only the topic's own row, takes no lock that other voters wait for, and records no
event: the tally is published when the vote closes.
"""
from __future__ import annotations

from datetime import datetime

from servicekit import auth, timers
from servicekit.clock import Clock
from servicekit.database import Database
from servicekit.directory_replica import DirectoryReplica
from servicekit.errors import PermissionDenied
from servicekit.unit_of_work import UnitOfWork, UnitsOfWork
from services.contract import RESIDENT
from services.deliberation.contract import PUBLISHED
from services.deliberation.settings import DeliberationSettings
from services.deliberation.topics import storage as topics_storage
from services.deliberation.topics.domain import Topic, TopicView
from services.deliberation.topics.handlers import VOTE_CLOSES, Topics, actor, path_of
from services.deliberation.votes import domain, storage
from services.deliberation.votes.domain import Count, Tally


class Votes:
    def __init__(self, db: Database, units: UnitsOfWork, replica: DirectoryReplica, settings: DeliberationSettings,
                 clock: Clock, topics: Topics):
        self.db, self.units, self.replica, self.settings, self.clock = db, units, replica, settings, clock
        self.topics = topics

    def cast(self, topic_id: str, choice: str) -> tuple[str, datetime, datetime]:
        """The caller's household votes (again, replacing its vote) while the window is open:
        (choice, cast at, closes at)."""
        domain.check_choice(choice)
        principal = auth.caller()
        if principal.role != RESIDENT or not principal.entity_id:
            raise PermissionDenied("only a household votes")
        with self.db.write() as tx:
            # Shared: the vote cannot close between this check and the vote's commit (PostgreSQL;
            # SQLite has one writer at a time), while other households vote alongside. A topic
            # not yet published is refused saying so (its state is all the household learns).
            topic = self.topics.find(tx.conn, topic_id, head=True, share=True, unpublished_too=True)
            household = self.replica.locate(tx.conn, principal.entity_id)
            if household is None or household.kind != "household" or \
                    household.path[:4] != path_of(topic.place):
                raise PermissionDenied("only the topic's own neighbourhood's households vote on it")
            now = self.clock.now()
            closes_at = topic.require_open_vote(now)
            storage.cast(tx.conn, topic.topic_id, principal.entity_id, choice, now)
        return choice, now, closes_at

    def tally(self, topic_id: str) -> Tally:
        with self.db.read() as conn:
            topic = self.topics.find(conn, topic_id, head=True)
            topic.require_published()
            tally = self.topics.tally_of(conn, topic)
        assert tally is not None
        return tally

    def close_early(self, topic_id: str) -> TopicView:
        """The party secretary closes the vote before its window ends."""
        with self.units.start() as uow:
            self.topics.find(uow.conn, topic_id, head=True)  # the caller may see it
            # The timer's row before the topic's, the order the timer runner takes them in (it
            # claims the timer, then closes the topic): the other order deadlocks on PostgreSQL.
            # If the timer fired meanwhile, the topic is closed and the close below says so.
            timers.cancel(uow, VOTE_CLOSES, topic_id)
            topic = self.topics.find(uow.conn, topic_id, lock=True)
            self._close(uow, topic, early=True)
            return self.topics.view(uow.conn, topic)

    def close_due(self, uow: UnitOfWork, timer: timers.Timer) -> None:
        """The window ended (the timer fired). A vote closed early meanwhile stays closed."""
        topic = topics_storage.get(uow.conn, timer.subject_id, lock=True)
        if topic is not None and topic.state == PUBLISHED:
            self._close(uow, topic, early=False)

    def _close(self, uow: UnitOfWork, topic: Topic, *, early: bool) -> None:
        path = path_of(topic.place)
        yes, no = storage.counts(uow.conn, topic.topic_id)
        count = Count(yes, no, self.replica.count_within(uow.conn, path, "household"))
        topic.close_vote(count, self.settings.vote_rule(uow.conn, path), self.clock.now(), early,
                         actor() if early else "", self.topics.origin(topic))
        topics_storage.save(uow.conn, topic)
        uow.collect(topic)
        self.topics.audit.record(uow.tx, "topic.vote_closed", "topic", topic.topic_id,
                                 topic.rejection_reason or "accepted")
