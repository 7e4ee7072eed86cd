"""The gateway's Flask application factory: the one place its parts are wired."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import grpc
from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from servicekit import logs, metrics
from servicekit.clock import Clock, clock_from_environment
from servicekit.config import GatewaySettings, RuntimeSettings, load_gateway_settings
from servicekit.errors import DomainError
from servicekit.grpc_tls import GrpcTls
from servicekit.ids import new_id
from services.gateway import (
    accounts,
    annual_ratings,
    audit,
    auth,
    concerns,
    county_figures,
    county_settings,
    decisions,
    department_calls,
    directory,
    dispatch_reports,
    drafting,
    figures,
    heads,
    ledgers,
    limits,
    matters,
    neighbourhoods,
    open311,
    openapi,
    ops,
    panels,
    problems,
    rates,
    reviews,
    routing,
    sessions,
    talks,
    task_handling,
    task_outcomes,
    tasks,
    topics,
    triage,
    visits,
    votes,
)
from services.gateway.clients import Upstreams

_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


def create_app(settings: GatewaySettings | None = None, clock: Clock | None = None) -> Flask:
    settings = settings or load_gateway_settings()
    runtime = RuntimeSettings()
    logs.configure("gateway", runtime.log_level)
    metrics.set_build_info("gateway")
    app = routing.GatewayFlask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config["LIANYI_OPEN311_JURISDICTION"] = settings.open311_jurisdiction
    app.json.ensure_ascii = False  # Chinese text stays readable in responses
    if settings.proxy_hops:
        # Behind an ingress the peer is the proxy: the client is the address the trusted proxies
        # appended, so rate limits (limits.py) count per client, not per ingress. Only that many
        # hops: what a client wrote into X-Forwarded-For itself stays further left, unread.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops,  # type: ignore[method-assign]
                                x_proto=settings.proxy_hops)
    auth.Credentials(clock or clock_from_environment([settings.http_addr]), runtime.signing_key(),
                     timedelta(seconds=runtime.auth_token_ttl_s)).install(app)
    app.extensions["lianyi.upstreams"] = Upstreams(settings, GrpcTls.from_settings(runtime))

    @app.before_request
    def _start() -> None:
        given = request.headers.get("X-Correlation-Id", "")
        g.correlation_id = given if _CORRELATION_ID.match(given) else new_id()
        g.correlation_token = logs.correlation_id.set(g.correlation_id)
        g.started = time.perf_counter()
        g.principal, g.auth_error = None, None
        oversized = heads.too_large(request.environ)
        if oversized:  # before its credentials are checked: such a head is nobody's request
            raise problems.ProblemError(*oversized)
        try:
            g.principal = auth.authenticate()
        except (problems.ProblemError, DomainError, grpc.RpcError) as exc:
            # Refused by the endpoint (after the rate limiter has counted the attempt).
            g.auth_error = exc

    @app.after_request
    def _finish(response):
        response.headers["X-Correlation-Id"] = g.get("correlation_id", "")
        route = request.url_rule.rule if request.url_rule else "(unmatched)"
        if "started" in g:
            metrics.http_duration.labels(request.method, route, str(response.status_code)).observe(
                time.perf_counter() - g.started
            )
        return response

    @app.teardown_request
    def _forget(_exc) -> None:
        if "correlation_token" in g:
            logs.correlation_id.reset(g.correlation_token)

    problems.install(app)
    limits.install(app, settings)
    for blueprint in (sessions.blueprint, concerns.blueprint, concerns.categories_blueprint, directory.blueprint,
                      neighbourhoods.blueprint, visits.blueprint, talks.blueprint, accounts.blueprint, audit.blueprint,
                      ops.blueprint, open311.blueprint, triage.blueprint, county_settings.blueprint,
                      topics.blueprint, drafting.blueprint, votes.blueprint, panels.blueprint, decisions.blueprint,
                      figures.blueprint, tasks.blueprint, task_handling.blueprint, task_outcomes.blueprint,
                      department_calls.blueprint, ledgers.blueprint, dispatch_reports.blueprint,
                      matters.blueprint, county_figures.blueprint, rates.blueprint, reviews.blueprint,
                      annual_ratings.blueprint):
        app.register_blueprint(blueprint)
    routing.seal(app)  # after the last route: a name a route spells out is never another's id
    app.extensions["lianyi.openapi"] = openapi.build(app)
    return app
