"""Operational endpoints on the public port: health, readiness and the OpenAPI document. The
metrics are not here: they have a port of their own (metrics_port.py), which no ingress routes."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

blueprint = Blueprint("ops", __name__)


@blueprint.get("/healthz")
def healthz():
    return Response("ok\n", mimetype="text/plain")


@blueprint.get("/readyz")
def readyz():
    """Ready is this process: it answers, its settings loaded and its routes built (else it would
    not be here). The services behind it are listed, not required: one that is down makes its own
    endpoints answer 503 (problems.py), and taking the gateway out of rotation for it would take
    the whole API with it, and every replica at once, since they all see the same services."""
    return jsonify(status="ready", upstreams=current_app.extensions["lianyi.upstreams"].upstream_states())


@blueprint.get("/openapi.json")
def openapi():
    return jsonify(current_app.extensions["lianyi.openapi"])
