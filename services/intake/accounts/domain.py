"""Rules for accounts and API keys: who may hold which role where, and how secrets are kept."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from servicekit.errors import InvalidArgument
from servicekit.ids import looks_like_id
from services.contract import ACCOUNT_ROLES
from services.intake.contract import PASSWORD_MIN_CHARS, USERNAME_PATTERN

USERNAME = re.compile(USERNAME_PATTERN)
PLACES = ("county", "township", "community", "neighbourhood")

# The kind of directory entity each role's scope is (its subtree is what the role may see).
SCOPE_KIND: dict[str, tuple[str, ...]] = {
    "resident": ("neighbourhood",),
    "member": ("neighbourhood",),
    "building_leader": ("neighbourhood",),
    "party_secretary": ("neighbourhood",),
    "owners_committee": ("neighbourhood",),
    "property_company": ("neighbourhood",),
    "community_admin": ("community",),
    "township_admin": ("township",),
    "department": ("county",),
    "county_admin": ("county",),
    "integration": PLACES,
}
# The kind of the person's own entity, where the role has one.
ENTITY_KIND = {"resident": "household", "member": "member", "building_leader": "member",
               "party_secretary": "member", "department": "department"}

_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


@dataclass(frozen=True)
class Account:
    account_id: str
    username: str
    role: str
    scope_id: str
    entity_id: str
    display_name: str
    password_hash: str = ""


def check_new_account(username: str, password: str, role: str) -> None:
    problems = []
    if not USERNAME.fullmatch(username):  # fullmatch: "$" alone lets a final newline through
        problems.append("username must be 3-50 lower-case letters, digits or _.-")
    if len(password) < PASSWORD_MIN_CHARS:
        problems.append(f"password must be at least {PASSWORD_MIN_CHARS} characters")
    if role not in ACCOUNT_ROLES:
        problems.append(f"role must be one of {', '.join(ACCOUNT_ROLES)} (an integration signs in with an API key)")
    if problems:
        raise InvalidArgument("; ".join(problems))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not the account exists."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_api_key(key_id: str) -> tuple[str, str]:
    """A fresh key for `key_id` and the hash to keep. Keys are long and random, so a fast hash
    suffices (unlike passwords, which people choose)."""
    secret = secrets.token_urlsafe(32)
    return f"lk_{key_id}.{secret}", _digest(secret)


def split_api_key(api_key: str) -> tuple[str, str] | None:
    """(key id, secret) from a presented key, or None if it is not shaped like one of ours."""
    if not api_key.startswith("lk_") or "." not in api_key or len(api_key) > 200:
        return None
    key_id, secret = api_key[3:].split(".", 1)
    return (key_id, secret) if looks_like_id(key_id) and secret else None


def secret_matches(secret_hash: str, secret: str) -> bool:
    return hmac.compare_digest(secret_hash, _digest(secret))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# Access codes are read out or written down for residents: unambiguous letters and digits only.
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ACCESS_CODE_CHARS = 10  # ~50 bits; online guessing is rate-limited at the gateway


def new_access_code() -> tuple[str, str]:
    """A fresh code as shown to the resident ("ABCDE-23456") and the hash to keep."""
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(ACCESS_CODE_CHARS))
    return f"{code[:5]}-{code[5:]}", access_code_hash(code)


def access_code_hash(presented: str) -> str:
    """The hash of a code as typed, ignoring case, spaces and dashes."""
    return _digest("".join(c for c in presented.upper() if c.isalnum()))
