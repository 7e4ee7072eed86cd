"""Intake's command handlers: each is one transaction writing state and its event together."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import timedelta

from servicekit import auth, envelope, logs, paging
from servicekit.audit import AuditLog
from servicekit.caching import TtlCache
from servicekit.clock import Clock
from servicekit.database import Database
from servicekit.errors import InvalidArgument, NotFound
from servicekit.ids import new_id
from servicekit.outbox import Outbox
from lianyi.intake.v1.events_pb2 import ConcernReceived
from services.intake import domain, similarity, storage
from services.intake.directory import storage as directory
from services.intake.directory.domain import places_of
from services.intake.messages import concern_to_proto
from services.intake.timeline import domain as timeline_rules
from services.intake.timeline import storage as timeline
from services.intake.triage import domain as triage_rules
from services.intake.triage import storage as routing_table


# Categories and where a neighbourhood sits change rarely (an administrator's edit); re-reading
# them on every submission would cost queries each time. A change is seen within this long.
CACHE_TTL = timedelta(seconds=30)
MAX_ID_CHARS = 64
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,100}$")
SOURCE_ID = re.compile(r"^[^\x00-\x1f\x7f]{1,100}$")
ONLINE_BATCH_MAX = 500


@dataclass(frozen=True)
class OnlineMessage:
    source_message_id: str
    neighbourhood_id: str
    text: str
    category: str = ""
    household_id: str = ""


@dataclass(frozen=True)
class OnlineOutcome:
    index: int
    outcome: str  # created, duplicate, rejected
    concern_id: str = ""
    reason: str = ""


def _caller() -> str:
    """Whose Idempotency-Keys these are: keys of different callers never collide."""
    principal = auth.current.get()
    return principal.subject if principal else "system"


class Intake:
    def __init__(self, db: Database, outbox: Outbox, clock: Clock, audit: AuditLog | None = None):
        self.db, self.outbox, self.clock = db, outbox, clock
        self.audit = audit or AuditLog(db, clock)
        self._cache = TtlCache(clock, CACHE_TTL)

    def _open_categories(self, conn) -> frozenset[str]:
        return self._cache.get(("categories",), lambda: storage.open_categories(conn))

    def place(self, conn, entity_id: str):
        """A directory entity, as cached for a moment (places rarely change)."""
        return self._cache.get(("entity", entity_id), lambda: directory.get(conn, entity_id)) if entity_id else None

    def _routing_table(self, conn, place_path: tuple[str, ...]) -> list[triage_rules.Rule]:
        return self._cache.get(("rules", place_path), lambda: routing_table.rules_at(
            conn, [triage_rules.EVERYWHERE, *place_path]))

    def forget_rules(self) -> None:
        """A rule changed here: the cached routing tables (kept by place) are all suspect."""
        self._cache.clear()

    def submit_concern(self, cmd: domain.SubmitConcern) -> domain.Concern:
        cmd = self._as_caller(cmd)
        with self.db.write() as tx:
            concern, neighbourhood = self.received(tx.conn, cmd)
            if cmd.idempotency_key and not self._claim(tx.conn, cmd, concern):
                concern = self._replayed(tx.conn, cmd)
                return self.with_suggestions(concern)
            concern = self.store(tx, concern, neighbourhood, cmd.correlation_id)
            # Looked up in the same transaction: a second one would cost more than the query.
            return self._suggesting(tx.conn, concern)

    def with_suggestions(self, concern: domain.Concern) -> domain.Concern:
        """The concern with its timeline and the suggestions below."""
        with self.db.read() as conn:
            return self._suggesting(conn, self.followed(conn, concern))

    def _suggesting(self, conn, concern: domain.Concern) -> domain.Concern:
        """With recent ones that look like the same matter, for those who triage and merge (a
        resident is not shown other households' concerns)."""
        principal = auth.current.get()
        if principal is not None and principal.role == "resident":
            return concern
        return replace(concern, possible_duplicates=tuple(self.similar_to(conn, concern)))

    def similar_to(self, conn, concern: domain.Concern) -> list[domain.SimilarConcern]:
        candidates = storage.recent_in_category(conn, concern.neighbourhood_id, concern.category,
                                                concern.received_at - similarity.WINDOW, similarity.CANDIDATES,
                                                exclude=concern.concern_id)
        details = {c[0]: c for c in candidates}
        return [domain.SimilarConcern(concern_id, score, details[concern_id][2], details[concern_id][3])
                for concern_id, score in similarity.most_similar(concern.description, [c[:2] for c in candidates])]

    def take_online_messages(self, source: str, messages: list[OnlineMessage]) -> list[OnlineOutcome]:
        """Concerns from a batch of chat-group messages, each taken once by its source message id.
        A message that breaks a rule is rejected with the reason; the others still count."""
        if not SOURCE_ID.match(source):
            raise InvalidArgument("source must be 1-100 characters of plain text")
        if not 0 < len(messages) <= ONLINE_BATCH_MAX:
            raise InvalidArgument(f"send 1-{ONLINE_BATCH_MAX} messages per batch")
        outcomes = []
        with self.db.write() as tx:
            for index, message in enumerate(messages, 1):
                try:
                    outcomes.append(self._take_online_message(tx, source, index, message))
                except InvalidArgument as exc:
                    outcomes.append(OnlineOutcome(index, "rejected", reason=exc.detail))
        return outcomes

    def _take_online_message(self, tx, source: str, index: int, message: OnlineMessage) -> OnlineOutcome:
        if not SOURCE_ID.match(message.source_message_id):
            raise InvalidArgument("source_message_id must be 1-100 characters of plain text")
        earlier = storage.concern_of_online_message(tx.conn, _caller(), source, message.source_message_id)
        if earlier:
            return OnlineOutcome(index, "duplicate", earlier)
        cmd = self._as_caller(domain.SubmitConcern(
            neighbourhood_id=message.neighbourhood_id, channel="online", category=message.category or "other",
            description=message.text, household_id=message.household_id, correlation_id=logs.correlation_id.get(),
        ))
        concern, neighbourhood = self.received(tx.conn, cmd)
        if not storage.claim_online_message(tx.conn, caller=_caller(), source=source,
                                            message_id=message.source_message_id, concern_id=concern.concern_id,
                                            received_at=concern.received_at):
            return OnlineOutcome(index, "duplicate", storage.concern_of_online_message(
                tx.conn, _caller(), source, message.source_message_id))
        self.store(tx, concern, neighbourhood, cmd.correlation_id)
        return OnlineOutcome(index, "created", concern.concern_id)

    def received(self, conn, cmd: domain.SubmitConcern):
        """The concern as received (checked against the rules and the directory), not yet stored."""
        neighbourhood, building_id = self._neighbourhood(conn, cmd)
        concern = domain.receive(
            replace(cmd, building_id=building_id),
            concern_id=new_id(),
            received_at=self.clock.now(),
            category_is_open=self._open_categories(conn).__contains__,
        )
        rule = triage_rules.applicable(self._routing_table(conn, neighbourhood.scope_path), neighbourhood.scope_path,
                                       concern.category, concern.urgency)
        if rule is not None and rule.route != triage_rules.MANUAL:
            concern = replace(concern, status=timeline_rules.TRIAGED, triage=domain.Triage(
                rule.route, rule.note, rule.rule_id, concern.received_at))
        return concern, neighbourhood

    def store(self, tx, concern: domain.Concern, neighbourhood, correlation_id: str) -> domain.Concern:
        """The concern, its first timeline steps, its ConcernReceived event and its audit entry,
        in the caller's transaction; returns the concern with its timeline."""
        storage.add_concern(tx.conn, concern)
        steps = [(concern.concern_id, timeline_rules.TimelineEntry(
            timeline_rules.RECEIVED, concern.received_at, "", "intake"))]
        if concern.triage:
            steps.append((concern.concern_id, timeline_rules.TimelineEntry(
                timeline_rules.TRIAGED, concern.received_at,
                triage_rules.timeline_note(concern.triage.route, concern.triage.note), "intake")))
        timeline.add_many(tx.conn, steps)
        # A rule's triage travels inside ConcernReceived: one event does for both.
        self.publish(tx, ConcernReceived(concern=concern_to_proto(concern, with_contact=False)), neighbourhood,
                     concern.received_at, correlation_id)
        self.audit.record(tx, "concern.submitted", "concern", concern.concern_id,
                          f"{concern.category} via {concern.channel}")
        return replace(concern, timeline=tuple(step for _, step in steps))

    def publish(self, tx, event, neighbourhood, occurred_at, correlation_id: str = "") -> None:
        """An event about something in a neighbourhood, in the caller's transaction. Events leave
        out contact details: no consumer needs a resident's phone number."""
        places = places_of(neighbourhood)
        self.outbox.add(tx, envelope.seal(
            event,
            producer="intake",
            place=envelope.Place(neighbourhood.entity_id, places["community"], places["township"], places["county"]),
            occurred_at=occurred_at,
            correlation_id=correlation_id or logs.correlation_id.get(),
        ))

    def get_concern(self, concern_id: str) -> domain.Concern:
        if not concern_id:
            raise InvalidArgument("concern_id is required")
        if len(concern_id) > MAX_ID_CHARS:
            raise NotFound(f"no concern {concern_id[:MAX_ID_CHARS]}...")
        with self.db.read() as conn:
            concern = storage.get_concern(conn, concern_id)
            neighbourhood = self.place(conn, concern.neighbourhood_id) if concern else None
            principal = auth.current.get()
            if (concern is None or not auth.in_scope(neighbourhood.scope_path if neighbourhood else ())
                    or (principal and principal.role == "resident" and concern.household_id != principal.entity_id)):
                raise NotFound(f"no concern {concern_id}")
            return self.followed(conn, concern)

    def followed(self, conn, concern: domain.Concern) -> domain.Concern:
        """The concern with its timeline; a merged one follows its survivor's status."""
        own = timeline.entries(conn, concern.concern_id)
        survivor = storage.get_concern(conn, concern.merged_into) if concern.merged_into else None
        if survivor is None:
            return replace(concern, timeline=tuple(own))
        merged_at = next((e.at for e in reversed(own) if e.status == timeline_rules.MERGED), concern.updated_at)
        survivor_steps = timeline.entries(conn, survivor.concern_id)
        if survivor.household_id != concern.household_id:
            # The survivor may be another household's matter: its notes are not for this reader.
            survivor_steps = [replace(step, note="") for step in survivor_steps]
        steps = timeline_rules.followed(own, survivor_steps, merged_at)
        return replace(concern, status=survivor.status, timeline=tuple(steps))

    def list_concerns(self, neighbourhood_id: str, statuses: list[str], category: str, page_size: int,
                      page_token: str, building_id: str = "") -> tuple[list[domain.Concern], str]:
        """A neighbourhood's concerns, newest first; by status, the triage queue is "received"."""
        unknown = sorted(set(statuses) - set(timeline_rules.STATUSES))
        if unknown:
            raise InvalidArgument(f"status must be among {', '.join(timeline_rules.STATUSES)}")
        limit, before = paging.page_size(page_size), paging.decode_key_token(page_token)
        with self.db.read() as conn:
            neighbourhood = self.place(conn, neighbourhood_id) if neighbourhood_id else None
            if neighbourhood is None or neighbourhood.kind != "neighbourhood" or \
                    not auth.in_scope(neighbourhood.scope_path):
                raise NotFound(f"no neighbourhood {neighbourhood_id}")
            found = storage.list_concerns(conn, neighbourhood_id, statuses, category, before, limit + 1,
                                          building_id)
        return paging.one_page(found, limit, lambda concern: paging.encode_key_token(concern.concern_id))

    def categories(self) -> list[tuple[str, str, str]]:
        with self.db.read() as conn:
            return storage.category_names(conn)

    def _claim(self, conn, cmd: domain.SubmitConcern, concern: domain.Concern) -> bool:
        """Claim the caller's Idempotency-Key for this new concern; False if it was used before."""
        if not IDEMPOTENCY_KEY.match(cmd.idempotency_key):
            raise InvalidArgument("idempotency_key must be 1-100 printable ASCII characters")
        return storage.claim_idempotency_key(conn, caller=_caller(), key=cmd.idempotency_key,
                                             fingerprint=cmd.fingerprint(), concern_id=concern.concern_id,
                                             created_at=concern.received_at)

    def _replayed(self, conn, cmd: domain.SubmitConcern) -> domain.Concern:
        """The concern a key's first use created; the same key with a different request is refused."""
        earlier = storage.idempotency_key(conn, _caller(), cmd.idempotency_key)
        if earlier.fingerprint != cmd.fingerprint():
            raise InvalidArgument("this Idempotency-Key was already used for a different request")
        return storage.get_concern(conn, earlier.concern_id)

    def _as_caller(self, cmd: domain.SubmitConcern) -> domain.SubmitConcern:
        """A resident raises concerns for their own household only."""
        principal = auth.current.get()
        if principal is None or principal.role != "resident":
            return cmd
        if cmd.household_id and cmd.household_id != principal.entity_id:
            raise InvalidArgument("household_id: residents raise concerns for their own household")
        return replace(cmd, household_id=principal.entity_id)

    def _neighbourhood(self, conn, cmd: domain.SubmitConcern):
        """The concern's neighbourhood from the directory, within the caller's scope, and its
        building: the one named, or the household's (they must agree)."""
        neighbourhood = self.place(conn, cmd.neighbourhood_id)
        if neighbourhood is None or neighbourhood.kind != "neighbourhood" or not auth.in_scope(neighbourhood.scope_path):
            raise InvalidArgument(f"neighbourhood_id: no neighbourhood {cmd.neighbourhood_id!r} in your scope")
        building_id = ""
        if cmd.building_id:
            building = self.place(conn, cmd.building_id)
            if building is None or building.kind != "building" or building.parent_id != neighbourhood.entity_id:
                raise InvalidArgument(f"building_id: no building {cmd.building_id!r} in that neighbourhood")
            building_id = building.entity_id
        if cmd.household_id:
            household = self.place(conn, cmd.household_id)
            if household is None or household.kind != "household" or \
                    neighbourhood.entity_id not in household.ancestor_ids:
                raise InvalidArgument(f"household_id: no household {cmd.household_id!r} in that neighbourhood")
            if building_id and household.parent_id != building_id:
                raise InvalidArgument("building_id: the household is in another building")
            building_id = household.parent_id
        return neighbourhood, building_id
