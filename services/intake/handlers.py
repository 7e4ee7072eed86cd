"""Intake's concern commands and queries: each command is one unit of work writing state and its
events together."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from servicekit import auth, logs, paging
from servicekit.clock import Clock
from servicekit.database import Database
from servicekit.errors import InvalidArgument, NotFound
from servicekit.unit_of_work import UnitsOfWork
from services.intake import contract, domain, public, storage, views
from services.intake.contract import ID_MAX_CHARS, ONLINE_BATCH_MAX
from services.intake.places import Places
from services.intake.reception import Reception
from services.intake.settings import IntakeSettings

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,100}$")
SOURCE_ID = re.compile(r"^[^\x00-\x1f\x7f]{1,100}$")


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


class Concerns:
    def __init__(self, db: Database, units: UnitsOfWork, places: Places, settings: IntakeSettings,
                 reception: Reception, clock: Clock):
        self.db, self.units, self.places, self.settings = db, units, places, settings
        self.reception, self.clock = reception, clock

    def submit_concern(self, cmd: domain.SubmitConcern, address_id: str = "") -> domain.Concern:
        with self.units.start() as uow:
            if address_id:
                cmd = self.reception.placed(uow.conn, cmd, address_id)
            # After placing: an address naming a neighbour's household must not get past it.
            cmd = self.reception.as_caller(cmd)
            concern, neighbourhood = self.reception.received(uow.conn, cmd)
            if cmd.idempotency_key and not self._claim(uow.conn, cmd, concern):
                return self._replayed(uow.conn, cmd)
            concern = self.reception.record(uow, concern, neighbourhood, cmd.correlation_id)
            # Looked up in the same transaction: a second one would cost more than the query.
            return views.suggesting(uow.conn, concern, self.settings.duplicates_window(uow.conn, neighbourhood))

    def take_online_messages(self, source: str, messages: list[OnlineMessage]) -> list[OnlineOutcome]:
        """Concerns from a batch of chat-group messages, each taken once by its source message id.
        A message that breaks a rule is rejected with the reason; the others still count."""
        if not SOURCE_ID.match(source):
            raise InvalidArgument("source must be 1-100 characters of plain text")
        if not 0 < len(messages) <= ONLINE_BATCH_MAX:
            raise InvalidArgument(f"send 1-{ONLINE_BATCH_MAX} messages per batch")
        outcomes = []
        with self.units.start() as uow:
            for index, message in enumerate(messages, 1):
                try:
                    outcomes.append(self._take_online_message(uow, source, index, message))
                except InvalidArgument as exc:
                    outcomes.append(OnlineOutcome(index, "rejected", reason=exc.detail))
        return outcomes

    def _take_online_message(self, uow, source: str, index: int, message: OnlineMessage) -> OnlineOutcome:
        if not SOURCE_ID.match(message.source_message_id):
            raise InvalidArgument("source_message_id must be 1-100 characters of plain text")
        earlier = storage.concern_of_online_message(uow.conn, _caller(), source, message.source_message_id)
        if earlier:
            return OnlineOutcome(index, "duplicate", earlier)
        cmd = self.reception.as_caller(domain.SubmitConcern(
            neighbourhood_id=message.neighbourhood_id, channel="online", category=message.category or "other",
            description=message.text, household_id=message.household_id, correlation_id=logs.correlation_id.get(),
        ))
        concern, neighbourhood = self.reception.received(uow.conn, cmd)
        if not storage.claim_online_message(uow.conn, caller=_caller(), source=source,
                                            message_id=message.source_message_id, concern_id=concern.concern_id,
                                            received_at=concern.received_at):
            return OnlineOutcome(index, "duplicate", storage.concern_of_online_message(
                uow.conn, _caller(), source, message.source_message_id) or "")
        self.reception.record(uow, concern, neighbourhood, cmd.correlation_id)
        return OnlineOutcome(index, "created", concern.concern_id)

    def get_concern(self, concern_id: str) -> domain.Concern:
        if not concern_id:
            raise InvalidArgument("concern_id is required")
        if len(concern_id) > ID_MAX_CHARS:
            raise NotFound(f"no concern {concern_id[:ID_MAX_CHARS]}...")
        with self.db.read() as conn:
            concern = storage.get_concern(conn, concern_id)
            neighbourhood = self.places.entity(conn, concern.neighbourhood_id) if concern else None
            principal = auth.current.get()
            if (concern is None or not auth.in_scope(neighbourhood.scope_path if neighbourhood else ())
                    or (principal and principal.role == "resident" and concern.household_id != principal.entity_id)):
                raise NotFound(f"no concern {concern_id}")
            return views.followed(conn, concern)

    def list_concerns(self, neighbourhood_id: str, statuses: list[str], category: str, page_size: int,
                      page_token: str, building_id: str = "") -> tuple[list[domain.Concern], str]:
        """A neighbourhood's concerns, newest first; by status, the triage queue is "received"."""
        unknown = sorted(set(statuses) - set(contract.STATUSES))
        if unknown:
            raise InvalidArgument(f"status must be among {', '.join(contract.STATUSES)}")
        limit, before = paging.page_size(page_size), paging.decode_key_token(page_token)
        with self.db.read() as conn:
            neighbourhood = self.places.entity(conn, neighbourhood_id)
            if neighbourhood is None or neighbourhood.kind != "neighbourhood" or \
                    not auth.in_scope(neighbourhood.scope_path):
                raise NotFound(f"no neighbourhood {neighbourhood_id}")
            found = storage.list_concerns(conn, neighbourhood_id, statuses, category, before, limit + 1,
                                          building_id)
        return paging.one_page(found, limit, lambda concern: paging.encode_key_token(concern.concern_id))

    def list_public(self, *, concern_ids: list[str], categories: list[str], received_from: datetime | None,
                    received_to: datetime | None, states: list[str], neighbourhood_id: str, limit: int
                    ) -> list[public.PublicConcern]:
        """Concerns as anyone may see them, newest first; asked for by id, a merged concern
        answers with its survivor's status."""
        if not 0 <= limit <= contract.PUBLIC_LIMIT_MAX:
            raise InvalidArgument(f"limit must be 1-{contract.PUBLIC_LIMIT_MAX}")
        if len(concern_ids) > contract.PUBLIC_IDS_MAX:
            raise InvalidArgument(f"ask for at most {contract.PUBLIC_IDS_MAX} concerns by id")
        if received_from and received_to and received_from > received_to:
            raise InvalidArgument("the start of the period is after its end")
        wanted = public.statuses_of(states)
        with self.db.read() as conn:
            found = storage.public_concerns(conn, concern_ids=concern_ids, categories=categories,
                                            received_from=received_from, received_to=received_to, statuses=wanted,
                                            neighbourhood_id=neighbourhood_id, limit=limit or contract.PUBLIC_LIMIT_MAX)
            if concern_ids:
                found += storage.merged_among(conn, concern_ids)
            shown = []
            for concern in found:
                status = concern.status
                if concern.merged_into:
                    survivor = storage.get_concern(conn, concern.merged_into)
                    status = survivor.status if survivor else concern.status
                    if wanted is not None and status not in wanted:
                        continue
                neighbourhood = public.place_of(self.places.entity(conn, concern.neighbourhood_id))
                building = public.place_of(self.places.entity(conn, concern.building_id))
                shown.append(public.shown(concern, neighbourhood or public.Place(""), building, status=status))
        return shown

    def categories(self) -> list[tuple[str, str, str]]:
        with self.db.read() as conn:
            return storage.category_names(conn)

    def _claim(self, conn: sa.Connection, cmd: domain.SubmitConcern, concern: domain.Concern) -> bool:
        """Claim the caller's Idempotency-Key for this new concern; False if it was used before."""
        if not IDEMPOTENCY_KEY.match(cmd.idempotency_key):
            raise InvalidArgument("idempotency_key must be 1-100 printable ASCII characters")
        return storage.claim_idempotency_key(conn, caller=_caller(), key=cmd.idempotency_key,
                                             fingerprint=cmd.fingerprint(), concern_id=concern.concern_id,
                                             created_at=concern.received_at)

    def _replayed(self, conn: sa.Connection, cmd: domain.SubmitConcern) -> domain.Concern:
        """The concern a key's first use created (as it is now); the same key with a different
        request is refused."""
        earlier = storage.idempotency_key(conn, _caller(), cmd.idempotency_key)
        if earlier.fingerprint != cmd.fingerprint():
            raise InvalidArgument("this Idempotency-Key was already used for a different request")
        concern = storage.get_concern(conn, earlier.concern_id)
        window = self.settings.duplicates_window(conn, self.places.entity(conn, concern.neighbourhood_id))
        return views.suggesting(conn, views.followed(conn, concern), window)
