"""The gateway's edge settings (servicekit/config.py): trusted proxy hops, where the rate-limit
counts live and under what prefix, and the metrics port; the local run's defaults, nonsense refused."""
import pytest
from pydantic import ValidationError

from servicekit.config import load_gateway_settings


def test_the_local_run_trusts_no_proxy_and_scrapes_on_its_own_port(monkeypatch):
    for name in ("PROXY_HOPS", "METRICS_ADDR", "RATE_LIMIT_KEY_PREFIX", "HTTP_ADDR"):
        monkeypatch.delenv(f"LIANYI_GATEWAY_{name}", raising=False)
    settings = load_gateway_settings()
    assert settings.proxy_hops == 0
    # Not 9100: node_exporter's usual port on a developer's machine (Kubernetes sets 9100 itself).
    assert settings.metrics_addr == "127.0.0.1:9105" != settings.http_addr
    assert settings.rate_limit_key_prefix == "lianyi"


def test_production_edge_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("LIANYI_GATEWAY_PROXY_HOPS", "1")
    monkeypatch.setenv("LIANYI_GATEWAY_METRICS_ADDR", "0.0.0.0:9100")
    monkeypatch.setenv("LIANYI_GATEWAY_RATE_LIMIT_STORAGE", "redis://redis.example:6379/0")
    monkeypatch.setenv("LIANYI_GATEWAY_RATE_LIMIT_KEY_PREFIX", "lianyi-prod")
    settings = load_gateway_settings()
    assert (settings.proxy_hops, settings.metrics_addr) == (1, "0.0.0.0:9100")
    assert (settings.rate_limit_storage, settings.rate_limit_key_prefix) == ("redis://redis.example:6379/0",
                                                                             "lianyi-prod")


@pytest.mark.parametrize("variable, value, problem", [
    ("LIANYI_GATEWAY_PROXY_HOPS", "-1", "greater than or equal to 0"),
    ("LIANYI_GATEWAY_PROXY_HOPS", "9", "less than or equal to 5"),
    # Not a traceback from int(): the settings' own message, naming the setting.
    ("LIANYI_GATEWAY_PROXY_HOPS", "one", "proxy_hops\n.*valid integer"),
    ("LIANYI_GATEWAY_WORKERS", "2.5", "workers\n.*valid integer"),
    ("LIANYI_GATEWAY_RPC_TIMEOUT_S", "soon", "rpc_timeout_s\n.*valid number"),
    ("LIANYI_GATEWAY_METRICS_ADDR", "9100", "host:port"),
    ("LIANYI_GATEWAY_RATE_LIMIT_KEY_PREFIX", "two words", "pattern"),
])
def test_nonsense_edge_settings_fail_at_start(monkeypatch, variable, value, problem):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match=problem):
        load_gateway_settings()
