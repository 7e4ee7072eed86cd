"""A small county in deliberation's own database, for its integration tests: the directory replica
as the directory topic would fill it, the pool with concerns in it, and callers to act as."""
from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from servicekit import auth, topics
from servicekit.clock import Clock
from servicekit.database import Database, insert_or_ignore
from servicekit.directory_replica import directory_replica
from servicekit.events import Inbound, Place
from servicekit.ids import new_id
from servicekit.outbox import Outbox
from services.deliberation import domain, wiring
from services.deliberation.progress.handlers import Progress

KINDS = ("serving", "retired_cadre", "floating", "resident", "serving", "retired_cadre", "floating")


@dataclass
class County:
    db: Database
    clock: Clock
    ids: dict[str, str] = field(default_factory=dict)
    paths: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.wiring = wiring.build(self.db, Outbox(topics.DELIBERATION), self.clock)
        servicer = self.wiring.registrations[0].servicer
        self.pool, self.topics, self.votes = servicer.deliberation, servicer.topics, servicer.votes
        self.panels, self.figures = servicer.panels, servicer.figures
        self.progress = Progress()  # stateless: what the wiring subscribes to dispatch and evaluation

    def add(self, name: str, kind: str, parent: str | None, **attributes: object) -> str:
        entity_id = new_id()
        path = (*self.paths[parent], entity_id) if parent else (entity_id,)
        with self.db.write() as tx:
            insert_or_ignore(tx.conn, directory_replica, entity_id=entity_id, kind=kind, external_id=None,
                             parent_id=self.ids.get(parent or ""), scope_path="/" + "".join(f"{p}/" for p in path),
                             name=name, attributes=json.dumps(attributes, ensure_ascii=False), version=1,
                             updated_at=self.clock.now())
        self.ids[name], self.paths[name] = entity_id, path
        return entity_id

    def place(self, neighbourhood: str) -> Place:
        county, township, community, neighbourhood_id = self.paths[neighbourhood]
        return Place(neighbourhood_id, community, township, county)

    def pool_concerns(self, neighbourhood: str, n: int) -> list[str]:
        """`n` new concerns routed to the neighbourhood's pool (as intake's events would bring them)."""
        ids = [new_id() for _ in range(n)]
        arrivals = [Inbound(domain.ConcernRouted(concern_id, self.ids[neighbourhood], "blocked_hallway",
                                                 f"楼道堆物 {i}", self.clock.now(), to_pool=True),
                            new_id(), self.clock.now(), "intake", self.place(neighbourhood), "")
                    for i, concern_id in enumerate(ids)]
        with self.wiring.units.start() as uow:
            self.pool.pool_routed(uow, arrivals)
        return ids

    @contextlib.contextmanager
    def acting_as(self, role: str, scope: str, entity: str = "", name: str = "") -> Iterator[auth.Principal]:
        principal = auth.Principal(subject=f"test-{role}", role=role, scope=self.paths[scope],
                                   entity_id=self.ids.get(entity, entity), name=name or role)
        token = auth.current.set(principal)
        try:
            yield principal
        finally:
            auth.current.reset(token)


def build_county(db: Database, clock: Clock, households: int = 10) -> County:
    """示范县 > 城关镇 > 南门社区 > nb-1 (a building, `households` households h-0.., a party
    organisation with seven members m-0..m-6 of mixed kinds) and nb-2 (one member, other-m)."""
    county = County(db, clock)
    county.add("county", "county", None)
    county.add("township", "township", "county")
    county.add("community", "community", "township")
    for n in ("nb-1", "nb-2"):
        county.add(n, "neighbourhood", "community")
        county.add(f"po-{n}", "party_org", n)
    county.add("b-1", "building", "nb-1")
    for h in range(households):
        county.add(f"h-{h}", "household", "b-1")
    for m, kind in enumerate(KINDS):
        county.add(f"m-{m}", "member", "po-nb-1", member_kind=kind)
    county.add("other-m", "member", "po-nb-2", member_kind="serving")
    county.add("v-1", "volunteer", "nb-1")
    return county

