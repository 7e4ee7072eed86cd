"""The panel (群议): the service's proposal, and the party secretary's confirmed panel."""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from servicekit import auth
from servicekit.clock import Clock
from servicekit.database import Database
from servicekit.directory_replica import DirectoryReplica
from servicekit.unit_of_work import UnitsOfWork
from services.deliberation.contract import ACCEPTED, PANEL_MIN
from services.deliberation.panels import domain
from services.deliberation.panels.domain import Candidate
from services.deliberation.topics import storage as topics_storage
from services.deliberation.topics.domain import Topic, TopicView
from services.deliberation.topics.handlers import Topics, actor, path_of


class Panels:
    def __init__(self, db: Database, units: UnitsOfWork, replica: DirectoryReplica, clock: Clock, topics: Topics):
        self.db, self.units, self.replica, self.clock, self.topics = db, units, replica, clock, topics

    def propose(self, topic_id: str, size: int) -> tuple[list[Candidate], list[Candidate]]:
        """A panel for an accepted topic, and every member who could sit on it instead (least
        loaded first)."""
        size = size or PANEL_MIN
        domain.check_size(size)
        with self.db.read() as conn:
            topic = self.topics.find(conn, topic_id)
            topic.require(ACCEPTED, "only an accepted topic gets a panel")
            candidates = self._candidates(conn, topic)
        return domain.propose(candidates, size), domain.by_load(candidates)

    def confirm(self, topic_id: str, member_ids: Sequence[str]) -> TopicView:
        domain.check_bounded(member_ids)  # before any lock: the names are read for every one
        with self.units.start() as uow:
            topic = self.topics.find(uow.conn, topic_id, lock=True)
            topic.require(ACCEPTED, "only an accepted topic gets a panel")
            members = {c.member_id: c for c in self._candidates(uow.conn, topic)}
            # Others named are told apart (another neighbourhood's member, or no member), by name
            # only where the caller may see them.
            known = self.replica.known(uow.conn, [m for m in member_ids if m not in members])
            elsewhere = {entity_id: (k.kind, k.name if auth.in_scope(k.scope_path) else "")
                         for entity_id, k in known.items()}
            panel = domain.check_panel(member_ids, members, elsewhere)
            topic.confirm_panel(panel, self.clock.now(), actor(), self.topics.origin(topic))
            topics_storage.save(uow.conn, topic)
            topics_storage.save_panel(uow.conn, topic)
            uow.collect(topic)
            self.topics.audit.record(uow.tx, "topic.panel_confirmed", "topic", topic.topic_id,
                                     f"{len(panel)} members")
            return self.topics.view(uow.conn, topic)

    def _candidates(self, conn: sa.Connection, topic: Topic) -> list[Candidate]:
        """The neighbourhood's members with their load: panels sat on in the recent past."""
        members = self.replica.within(conn, path_of(topic.place), "member")
        loads = topics_storage.recent_panels(conn, [m.entity_id for m in members], self.clock.now() - domain.RECENT)
        return [Candidate(m.entity_id, m.name, str(m.attributes.get("member_kind", "")), loads.get(m.entity_id, 0))
                for m in members]
