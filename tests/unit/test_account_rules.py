"""Account rules: usernames, passwords, API keys and access codes."""
import pytest

from servicekit.errors import InvalidArgument
from servicekit.ids import new_id
from services.intake.accounts import domain


def test_passwords_are_hashed_slowly_and_checked_whether_or_not_the_account_exists():
    hashed = domain.hash_password("correct horse battery")
    assert hashed.startswith("$argon2")
    assert domain.password_matches(hashed, "correct horse battery")
    assert not domain.password_matches(hashed, "wrong")
    assert not domain.password_matches(None, "correct horse battery")


@pytest.mark.parametrize("username, password, role, problem", [
    ("Ab", "long enough password", "member", "username"),
    ("ok.name", "short", "member", "password"),
    ("ok.name", "long enough password", "mayor", "role"),
    # An integration signs in with an API key; an account holding its role could never sign in.
    ("ok.name", "long enough password", "integration", "an integration signs in with an API key"),
])
def test_bad_accounts_are_refused(username, password, role, problem):
    with pytest.raises(InvalidArgument, match=problem):
        domain.check_new_account(username, password, role)


def test_an_api_key_splits_into_its_id_and_a_secret_that_only_its_hash_confirms():
    issued_id = new_id()
    key, secret_hash = domain.new_api_key(issued_id)
    key_id, secret = domain.split_api_key(key)
    assert key_id == issued_id and domain.secret_matches(secret_hash, secret)
    assert not domain.secret_matches(secret_hash, secret + "x")
    assert domain.split_api_key("Bearer something") is None
    assert domain.split_api_key("lk_not-an-id.secret") is None


def test_an_access_code_matches_however_a_person_types_it():
    code, code_hash = domain.new_access_code()
    assert len(code) == 11 and code[5] == "-"
    assert not set(code.replace("-", "")) & set("01IO")  # nothing to misread
    assert domain.access_code_hash(code.lower().replace("-", " ")) == code_hash
