"""Page tokens and settings refuse nonsense instead of guessing."""
import pytest
from pydantic import ValidationError

from servicekit import paging
from servicekit.config import RuntimeSettings, load_gateway_settings, load_service_settings
from servicekit.errors import InvalidArgument


def test_a_page_token_round_trips():
    assert paging.decode_token(paging.encode_token(41)) == 41
    assert paging.decode_token("") == 0


@pytest.mark.parametrize("token", ["garbage!", "YWZ0ZXI6LTE", "Zm9vOjE", paging.encode_token(2**63)])
def test_a_token_we_did_not_issue_is_refused(token):
    with pytest.raises(InvalidArgument, match="page_token"):
        paging.decode_token(token)


def test_page_size_defaults_and_is_capped():
    assert paging.page_size(0) == paging.DEFAULT_PAGE_SIZE
    assert paging.page_size(10_000) == paging.MAX_PAGE_SIZE
    with pytest.raises(InvalidArgument):
        paging.page_size(-1)


def test_a_broker_address_without_a_port_fails_fast(monkeypatch):
    monkeypatch.setenv("LIANYI_BROKER", "localhost")
    with pytest.raises(ValidationError, match="host:port"):
        RuntimeSettings()


def test_a_service_address_that_is_not_host_port_fails_fast(monkeypatch):
    monkeypatch.setenv("LIANYI_INTAKE_GRPC_ADDR", "intake")
    with pytest.raises(ValidationError, match="host:port"):
        load_service_settings("intake")


def test_defaults_are_the_embedded_local_run(monkeypatch):
    for name in ("LIANYI_INTAKE_GRPC_ADDR", "LIANYI_INTAKE_DATABASE_URL", "LIANYI_VAR_DIR", "LIANYI_BROKER"):
        monkeypatch.delenv(name, raising=False)
    settings = load_service_settings("intake")
    assert settings.grpc_addr == "127.0.0.1:9201"
    assert settings.database_url == "sqlite:///var/intake.db"
    assert settings.runtime.broker == "127.0.0.1:9092"


def test_only_id_shaped_text_is_ever_looked_up():
    from servicekit.ids import looks_like_id, new_id

    assert looks_like_id(new_id())
    for text in ("", "nb-1", new_id() + "x", new_id().upper(), new_id()[:-1] + "\x00"):
        assert not looks_like_id(text)


@pytest.mark.parametrize("variable, value, problem", [
    ("LIANYI_GATEWAY_PUBLIC_RATE", "120 per minuet", "no rate limit like"),
    ("LIANYI_GATEWAY_SIGN_IN_RATE", "lots", "no rate limit like"),
    ("LIANYI_GATEWAY_RATE_LIMIT_STORAGE", "memry", "unknown storage scheme"),
])
def test_a_rate_limit_the_gateway_could_not_apply_fails_at_start(monkeypatch, variable, value, problem):
    """flask-limiter reads its limits at the first request: without this check every request
    would get a 500 while /readyz said all is well."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match=problem):
        load_gateway_settings()


def test_the_gateways_rate_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("LIANYI_GATEWAY_PUBLIC_RATE", "5/second")
    monkeypatch.setenv("LIANYI_GATEWAY_SIGN_IN_RATE", "3 per hour")
    settings = load_gateway_settings()
    assert (settings.public_rate, settings.sign_in_rate, settings.rate_limit_storage) == (
        "5/second", "3 per hour", "memory://")
