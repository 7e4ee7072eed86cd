"""Signing in, creating accounts, issuing and revoking API keys."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from servicekit import auth
from servicekit.audit import AuditLog
from servicekit.auth import Principal
from servicekit.clock import Clock
from servicekit.database import Database
from servicekit.errors import Conflict, InvalidArgument, NotFound, Unauthenticated
from servicekit.ids import new_id
from services.intake.accounts import domain, storage
from services.intake.directory import storage as directory_storage
from services.intake.directory.domain import places_of

# Recording every use of a key would be a write per request; once a minute is precise enough.
LAST_USED_GRANULARITY = timedelta(minutes=1)
ACCESS_CODE_TTL = timedelta(days=30)
_WRONG = "wrong username or password"


class Accounts:
    def __init__(self, db: Database, clock: Clock, audit: AuditLog | None = None):
        self.db, self.clock = db, clock
        self.audit = audit or AuditLog(db, clock)

    def authenticate(self, username: str, password: str) -> Principal:
        with self.db.read() as conn:
            account = storage.account_by_username(conn, username)
            # Checked even for an unknown name, so timing does not tell which names exist.
            if not domain.password_matches(account.password_hash if account else None, password):
                raise Unauthenticated(_WRONG)
            scope = directory_storage.get(conn, account.scope_id)
        if scope is None:
            raise Unauthenticated("this account's place no longer exists; ask an administrator")
        return Principal(subject=account.account_id, role=account.role, scope=scope.scope_path,
                         entity_id=account.entity_id, name=account.display_name)

    def authenticate_api_key(self, api_key: str) -> Principal:
        parts = domain.split_api_key(api_key)
        if parts is None:
            raise Unauthenticated("the API key is not valid")
        key_id, secret = parts
        now = self.clock.now()
        # A read first: bogus keys must not take the database's write lock.
        with self.db.read() as conn:
            row = storage.api_key(conn, key_id)
            if row is None or row.revoked_at is not None or not domain.secret_matches(row.secret_hash, secret):
                raise Unauthenticated("the API key is not valid or has been revoked")
            scope = directory_storage.get(conn, row.scope_id)
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_GRANULARITY:
            with self.db.write() as tx:
                storage.mark_api_key(tx.conn, key_id, last_used_at=now)
        if scope is None:
            raise Unauthenticated("this key's place no longer exists")
        return Principal(subject=key_id, role="integration", scope=scope.scope_path, name=row.name)

    def create_account(self, *, username: str, password: str, role: str, scope_id: str, entity_id: str = "",
                       display_name: str = "") -> domain.Account:
        domain.check_new_account(username, password, role)
        account = domain.Account(account_id=new_id(), username=username, role=role, scope_id=scope_id,
                                 entity_id=entity_id, display_name=display_name,
                                 password_hash=domain.hash_password(password))
        with self.db.write() as tx:
            self._check_place(tx.conn, scope_id, domain.SCOPE_KIND[role], "scope_id")
            if role not in domain.ENTITY_KIND and entity_id:
                raise InvalidArgument(f"entity_id: a {role} account has no entity of its own")
            if role in domain.ENTITY_KIND:
                entity = self._check_place(tx.conn, entity_id, (domain.ENTITY_KIND[role],), "entity_id")
                scope = directory_storage.get(tx.conn, scope_id)
                if not entity.scope_path[: len(scope.scope_path)] == scope.scope_path:
                    raise InvalidArgument("entity_id must lie within scope_id")
            if storage.account_by_username(tx.conn, username):
                raise Conflict(f"username {username} is taken")
            storage.add_account(tx.conn, account, self.clock.now())
            self.audit.record(tx, "account.created", "account", account.account_id, f"{role} {username}")
        return account

    def issue_api_key(self, *, name: str, scope_id: str) -> tuple[str, str]:
        """(key id, the key itself): the key is shown once; only its hash is kept."""
        if not 0 < len(name) <= 100:
            raise InvalidArgument("name must be 1-100 characters")
        key_id = new_id()
        api_key, secret_hash = domain.new_api_key(key_id)
        with self.db.write() as tx:
            self._check_place(tx.conn, scope_id, domain.SCOPE_KIND["integration"], "scope_id")
            storage.add_api_key(tx.conn, key_id=key_id, name=name, secret_hash=secret_hash, scope_id=scope_id,
                                created_at=self.clock.now())
            self.audit.record(tx, "api_key.issued", "api_key", key_id, name)
        return key_id, api_key

    def revoke_api_key(self, key_id: str) -> None:
        with self.db.write() as tx:
            row = storage.api_key(tx.conn, key_id)
            if row is None or not self._caller_covers(tx.conn, row.scope_id):
                raise NotFound(f"no API key {key_id}")
            if row.revoked_at is None:
                storage.mark_api_key(tx.conn, key_id, revoked_at=self.clock.now())
                self.audit.record(tx, "api_key.revoked", "api_key", key_id, row.name)

    def issue_access_code(self, household_id: str) -> tuple[str, datetime]:
        """A new sign-in code for a household, replacing its previous one: (code, expires at).
        A building leader may issue codes only for the buildings they lead."""
        now = self.clock.now()
        code, code_hash = domain.new_access_code()
        with self.db.write() as tx:
            household = directory_storage.get(tx.conn, household_id) if household_id else None
            if household is None or household.kind != "household" or not self._caller_covers(tx.conn, household_id) \
                    or not self._leads_building_of(tx.conn, household):
                raise NotFound(f"no household {household_id} you look after")
            principal = auth.current.get()
            try:
                storage.replace_access_code(tx.conn, code_hash=code_hash, household_id=household_id,
                                            issued_by=principal.subject if principal else "system",
                                            issued_at=now, expires_at=now + ACCESS_CODE_TTL)
            except IntegrityError:
                # Someone issued this household a code at the same instant; theirs stands.
                raise Conflict("another code was just issued for this household; ask again") from None
            self.audit.record(tx, "access_code.issued", "household", household_id)
        return code, now + ACCESS_CODE_TTL

    def authenticate_access_code(self, code: str) -> Principal:
        with self.db.read() as conn:
            row = storage.access_code(conn, domain.access_code_hash(code)) if 0 < len(code) <= 40 else None
            if row is None or row.revoked_at is not None or row.expires_at <= self.clock.now():
                raise Unauthenticated("the access code is not valid; ask your building leader for a new one")
            household = directory_storage.get(conn, row.household_id)
        if household is None:
            raise Unauthenticated("the access code is not valid; ask your building leader for a new one")
        neighbourhood = places_of(household)["neighbourhood"]
        scope = household.scope_path[: household.scope_path.index(neighbourhood) + 1]
        return Principal(subject=f"household:{household.entity_id}", role="resident", scope=scope,
                         entity_id=household.entity_id, name=household.name)

    def _leads_building_of(self, conn, household) -> bool:
        principal = auth.current.get()
        if principal is None or principal.role != "building_leader":
            return True
        member = directory_storage.get(conn, principal.entity_id)
        return member is not None and household.parent_id in member.attributes.get("leads_building_ids", [])

    def _check_place(self, conn, entity_id: str, kinds: tuple[str, ...], field: str):
        entity = directory_storage.get(conn, entity_id) if entity_id else None
        if entity is None or entity.kind not in kinds:
            raise InvalidArgument(f"{field} must be a {' or '.join(kinds)} in the directory")
        if not self._caller_covers(conn, entity_id):
            raise NotFound(f"no {kinds[0]} {entity_id}")
        return entity

    def _caller_covers(self, conn, entity_id: str) -> bool:
        principal = auth.current.get()
        if principal is None:  # called in-process without a caller: set-up and tests
            return True
        entity = directory_storage.get(conn, entity_id)
        return entity is not None and principal.covers(entity.scope_path)
