"""Gateway fixtures: the real Flask app in-process, with a fake behind it instead of the services.

What the gateway decides by itself (bodies, query strings, credentials and roles, formats, how a
service's status becomes an HTTP answer, rate limits) is tested here; "nothing was created"
becomes "no write call reached the fake".
"""
from __future__ import annotations

import logging

import pytest

from servicekit.config import GatewaySettings
from services.gateway import auth
from services.gateway.app import create_app
from services.gateway.limits import limiter
from tests.gateway.callers import PLATFORM, PLATFORM_KEY, SIGNING_KEY
from tests.gateway.fakes import FakeUpstreams

MAX_BODY_BYTES = 65536  # the gateway's default LIANYI_GATEWAY_MAX_BODY_BYTES
# Anonymous requests allowed per client address and route per minute. flask-limiter keeps the
# default limit of the first app it is initialised with, so the one app is made with this.
PUBLIC_LIMIT = 10


def build_app(**settings):
    """The gateway's app with these GatewaySettings (beside the tests' defaults), its upstreams'
    channels closed unused. The rate limiter is one per process (flask-limiter's, limits.py): a
    second app shares its counts with the first, and `fake` resets them."""
    services = ("intake", "deliberation", "dispatch", "evaluation")
    settings = GatewaySettings(**{
        "http_addr": "127.0.0.1:8080", "upstreams": dict.fromkeys(services, "127.0.0.1:9"),
        "max_body_bytes": MAX_BODY_BYTES, "rpc_timeout_s": 5, "workers": 1, "threads": 1,
        "public_rate": f"{PUBLIC_LIMIT}/minute", **settings})
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LIANYI_AUTH_SIGNING_KEY", SIGNING_KEY)
        try:
            flask_app = create_app(settings)
        finally:
            # create_app sends every log record to stdout as JSON, as a process should; here
            # pytest's own log capture stays in place.
            root.handlers[:] = handlers
            root.setLevel(level)
    flask_app.extensions["lianyi.upstreams"].close()  # its channels never connected
    return flask_app


@pytest.fixture(scope="session")
def app():
    """One app for the session (building it takes ~0.1 s); `fake` resets what a test can change."""
    return build_app()


@pytest.fixture
def fake(app) -> FakeUpstreams:
    """A fresh fake upstream for this test, with no API key cached and no request counted."""
    upstreams = FakeUpstreams()
    app.extensions["lianyi.upstreams"] = upstreams
    credentials: auth.Credentials = app.extensions["lianyi.credentials"]
    credentials.api_keys.clear()
    credentials.internal_tokens.clear()
    limiter.reset()
    yield upstreams
    assert upstreams.unanswered == [], "the gateway made calls the test gave no answer for"


@pytest.fixture
def client(app, fake):
    return app.test_client()


@pytest.fixture
def platform(fake) -> dict[str, str]:
    """Headers of the county platform's integration, whose API key the fake knows."""
    fake.api_keys[PLATFORM_KEY] = PLATFORM
    return {"X-Api-Key": PLATFORM_KEY}
